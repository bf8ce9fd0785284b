// One stream read once and given to several consumers (content that several targets need). The
// consumers move nearly in step: none reads more than `window` chunks ahead of the slowest, so
// memory stays bounded. A consumer that is returned (its write failed, even before it read
// anything) no longer holds the others back; the source is closed when all are done.
export function tee<T>(source: AsyncIterable<T>, count: number, window = 4): Array<AsyncIterableIterator<T>> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks = new Map<number, Promise<IteratorResult<T>>>();
  const positions = new Array<number>(count).fill(0);
  const detached = new Array<boolean>(count).fill(false);
  let waiters: Array<() => void> = [];
  let closed = false;
  const slowest = () => {
    let low = Infinity;
    positions.forEach((position, i) => {
      if (!detached[i] && position < low) low = position;
    });
    return low;
  };
  const moved = () => {
    const low = slowest();
    for (const k of chunks.keys()) if (k < low) chunks.delete(k);
    const ready = waiters;
    waiters = [];
    for (const wake of ready) wake();
  };
  const chunk = (k: number) => {
    let next = chunks.get(k);
    if (!next) {
      // In order: chunk k is asked for only once chunk k - 1 has arrived.
      next = (chunks.get(k - 1) ?? Promise.resolve(null)).then(() => iterator.next());
      chunks.set(k, next);
    }
    return next;
  };
  const detach = async (i: number) => {
    if (detached[i]) return;
    detached[i] = true;
    moved();
    if (detached.every(Boolean) && !closed) {
      closed = true;
      await iterator.return?.();
    }
  };

  return positions.map((_, i): AsyncIterableIterator<T> => ({
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (detached[i]) return { value: undefined, done: true };
      while (positions[i]! - slowest() >= window) await new Promise<void>((resolve) => waiters.push(resolve));
      let result: IteratorResult<T>;
      try {
        result = await chunk(positions[i]!);
      } catch (error) {
        await detach(i);
        throw error;
      }
      if (result.done) {
        await detach(i);
        return { value: undefined, done: true };
      }
      positions[i]!++;
      moved();
      return { value: result.value, done: false };
    },
    async return(): Promise<IteratorResult<T>> {
      await detach(i);
      return { value: undefined, done: true };
    },
  }));
}
