// Memory for large outgoing records, reused once the link has written them. A fresh buffer of a
// MiB is fresh pages from the kernel, faulted in and zeroed on every frame: with 1 MiB frames that
// was a third of the sender's CPU time on the encrypted link (bench/lan).
const POOLED_FROM = 64 << 10;
const CAPACITY_STEP = 64 << 10;

export class FrameBuffers {
  // Free buffers by capacity: a transfer's frames are mostly one size, so exact classes suffice.
  readonly #free = new Map<number, Buffer[]>();
  readonly #limitBytes: number;
  #freeBytes = 0;

  /** Keeps at most `limitBytes` of free buffers. */
  constructor(limitBytes = 16 << 20) {
    this.#limitBytes = limitBytes;
  }

  /**
   * `length` bytes to fill, and the function to call once nothing reads them any more (none for a
   * small frame, which is cheaper to allocate than to track).
   */
  take(length: number): { buffer: Buffer; release?: () => void } {
    if (length < POOLED_FROM) return { buffer: Buffer.allocUnsafe(length) };
    const capacity = Math.ceil(length / CAPACITY_STEP) * CAPACITY_STEP;
    const list = this.#free.get(capacity);
    let whole = list?.pop();
    if (whole) {
      this.#freeBytes -= capacity;
      if (list?.length === 0) this.#free.delete(capacity);
    } else {
      whole = Buffer.allocUnsafeSlow(capacity);
    }
    return { buffer: whole.subarray(0, length), release: () => this.#giveBack(whole) };
  }

  /** Bytes held in free buffers. */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  #giveBack(whole: Buffer): void {
    if (this.#freeBytes + whole.length > this.#limitBytes) return;
    const list = this.#free.get(whole.length);
    if (list) list.push(whole);
    else this.#free.set(whole.length, [whole]);
    this.#freeBytes += whole.length;
  }
}
