// Links inside one process: a pair of bounded frame queues. Used to run sessions with every
// node behind the DataNode protocol without a network, and by tests.
import { LinkClosedError, TransportError } from '../errors.js';
import type { Link, Listener, Transport } from './transport.js';

export interface MemoryLinkOptions {
  /** Frames queued towards the reader before send() waits. */
  highWaterMark?: number;
  maxFrame?: number;
}

class Queue {
  readonly frames: Uint8Array[] = [];
  readerWaiting: (() => void) | null = null;
  writersWaiting: Array<() => void> = [];
  ended = false;
  failure: Error | null = null;

  wakeReader(): void {
    const wake = this.readerWaiting;
    this.readerWaiting = null;
    wake?.();
  }

  wakeWriters(): void {
    const waiting = this.writersWaiting;
    this.writersWaiting = [];
    for (const wake of waiting) wake();
  }
}

class MemoryLink implements Link {
  readonly maxFrame: number;
  readonly #incoming: Queue;
  readonly #outgoing: Queue;
  readonly #highWaterMark: number;
  #reading = false;

  constructor(incoming: Queue, outgoing: Queue, options: MemoryLinkOptions) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.maxFrame = options.maxFrame ?? 4 << 20;
    this.#highWaterMark = options.highWaterMark ?? 64;
  }

  async send(frame: Uint8Array, written?: () => void): Promise<void> {
    const queue = this.#outgoing;
    if (queue.ended || queue.failure) throw new LinkClosedError('the link is closed');
    if (frame.length > this.maxFrame) throw new TransportError(`a frame of ${frame.length} bytes is over the link's ${this.maxFrame}`);
    // The reader may keep the frame: give it its own copy, as a network would.
    queue.frames.push(Uint8Array.prototype.slice.call(frame));
    written?.();
    queue.wakeReader();
    while (queue.frames.length >= this.#highWaterMark && !queue.ended && !queue.failure) {
      await new Promise<void>((resolve) => queue.writersWaiting.push(resolve));
    }
  }

  async *frames(): AsyncGenerator<Uint8Array> {
    if (this.#reading) throw new TransportError('a link has one reader');
    this.#reading = true;
    const queue = this.#incoming;
    for (;;) {
      const frame = queue.frames.shift();
      if (frame) {
        queue.wakeWriters();
        yield frame;
        continue;
      }
      if (queue.failure) throw queue.failure;
      if (queue.ended) return;
      await new Promise<void>((resolve) => {
        queue.readerWaiting = resolve;
      });
    }
  }

  async close(error?: Error): Promise<void> {
    for (const queue of [this.#outgoing, this.#incoming]) {
      if (error && queue === this.#outgoing) queue.failure ??= error;
      queue.ended = true;
      queue.wakeReader();
      queue.wakeWriters();
    }
  }
}

/** Two connected links: what one sends, the other reads. */
export function createMemoryLinkPair(options: MemoryLinkOptions = {}): [Link, Link] {
  const aToB = new Queue();
  const bToA = new Queue();
  return [new MemoryLink(bToA, aToB, options), new MemoryLink(aToB, bToA, options)];
}

/** Listeners by name in this process. */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly #listeners = new Map<string, (link: Link) => void>();
  readonly #options: MemoryLinkOptions;

  constructor(options: MemoryLinkOptions = {}) {
    this.#options = options;
  }

  async listen(address: string, onLink: (link: Link) => void): Promise<Listener> {
    if (this.#listeners.has(address)) throw new TransportError(`memory address ${address} is in use`);
    this.#listeners.set(address, onLink);
    return { address, close: async () => void this.#listeners.delete(address) };
  }

  async connect(address: string): Promise<Link> {
    const onLink = this.#listeners.get(address);
    if (!onLink) throw new TransportError(`nothing listens at memory address ${address}`);
    const [near, far] = createMemoryLinkPair(this.#options);
    onLink(far);
    return near;
  }
}
