// Links over TCP between members on a LAN. A frame on the wire is a 4-byte big-endian length and
// its bytes; a zero-length frame is a keepalive, never delivered, so an idle link stays open and a
// silent peer (a hung process, a pulled cable) is noticed within the idle timeout.
import net from 'node:net';
import { AbortedError, InvalidArgumentError, LinkClosedError, ProtocolError, TimeoutError, TransportError } from '../errors.js';
import type { Link, Listener, Transport } from './transport.js';

export interface TcpTransportOptions {
  /** Longest frame carried, both ways, in bytes. */
  maxFrame?: number;
  /** How long connect() waits for the connection to open. */
  connectTimeoutMs?: number;
  /** A keepalive is sent after this long without sending anything. */
  keepaliveMs?: number;
  /** The link fails when nothing at all came for this long; a clean close waits at most this long for the peer. */
  idleTimeoutMs?: number;
  /** Bytes of received frames waiting for frames()'s reader before the socket stops reading. */
  highWaterMarkBytes?: number;
}

type Settings = Required<TcpTransportOptions>;

// 64 bytes over 4 MiB: a layer above (the secure link's record header and tag) still carries 4 MiB frames.
const DEFAULT_MAX_FRAME = (4 << 20) + 64;
const HEADER_BYTES = 4;
const SEND_BUDGET = 4 << 20;
const KEEPALIVE = Buffer.alloc(HEADER_BYTES);
// What a queued frame costs beyond its bytes (its object), so a flood of tiny frames reaches the high-water mark too.
const QUEUED_FRAME_OVERHEAD = 64;

function positiveInteger(value: number | undefined, fallback: number, option: string, limit?: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > (limit ?? Number.MAX_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${option} must be a whole number from 1${limit === undefined ? '' : ` to ${limit}`}, not ${value}`);
  }
  return value;
}

function settingsFrom(options: TcpTransportOptions): Settings {
  return {
    maxFrame: positiveInteger(options.maxFrame, DEFAULT_MAX_FRAME, 'maxFrame', 0xffff_ffff),
    connectTimeoutMs: positiveInteger(options.connectTimeoutMs, 10_000, 'connectTimeoutMs'),
    keepaliveMs: positiveInteger(options.keepaliveMs, 15_000, 'keepaliveMs'),
    idleTimeoutMs: positiveInteger(options.idleTimeoutMs, 60_000, 'idleTimeoutMs'),
    highWaterMarkBytes: positiveInteger(options.highWaterMarkBytes, 8 << 20, 'highWaterMarkBytes'),
  };
}

/** `host:port`, with an IPv6 host in brackets (`[::1]:7000`). */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\[\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(address);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || port > 65535) {
    throw new InvalidArgumentError(`${JSON.stringify(address)} is not a host:port address (an IPv6 host goes in brackets: [::1]:7000)`);
  }
  if (match?.[1] !== undefined && !net.isIPv6(host)) throw new InvalidArgumentError(`${JSON.stringify(address)}: brackets are for IPv6 addresses`);
  return { host, port };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function systemCode(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

// Received frames waiting for the reader. Array.shift() moves every element once an array is large,
// so frames are taken by index and the taken ones dropped in one go.
class FrameQueue {
  #items: Array<Buffer | undefined> = [];
  #head = 0;
  /** The queued frames' bytes and overhead. */
  cost = 0;

  push(frame: Buffer): void {
    this.#items.push(frame);
    this.cost += frame.length + QUEUED_FRAME_OVERHEAD;
  }

  shift(): Buffer | undefined {
    const frame = this.#items[this.#head];
    if (frame === undefined) return undefined;
    this.#items[this.#head++] = undefined;
    this.cost -= frame.length + QUEUED_FRAME_OVERHEAD;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return frame;
  }
}

export class TcpLink implements Link {
  readonly maxFrame: number;
  /** The peer's `host:port`, for messages. */
  readonly remoteAddress: string;
  readonly #socket: net.Socket;
  readonly #settings: Settings;
  readonly #closed: Promise<void>;
  readonly #idleTimer: NodeJS.Timeout;
  readonly #keepaliveTimer: NodeJS.Timeout;
  #closeTimer: NodeJS.Timeout | undefined;

  // Received bytes not yet cut into frames, and the length announced for the frame being received.
  readonly #chunks: Buffer[] = [];
  #chunkOffset = 0;
  #unparsedBytes = 0;
  #frameLength: number | null = null;

  readonly #frames = new FrameQueue();
  #paused = false;
  #reading = false;
  #readerWaiting: (() => void) | null = null;
  #drainWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  // No more frames will be queued: the peer ended cleanly, or this side closed.
  #incomingDone = false;
  #failure: Error | null = null;
  #closing = false;
  #peerEnded = false;

  constructor(socket: net.Socket, settings: Settings) {
    this.#socket = socket;
    this.#settings = settings;
    this.maxFrame = settings.maxFrame;
    this.remoteAddress = formatAddress(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0);
    socket.setNoDelay(true);
    // The kernel counts keepalive delays in whole seconds.
    socket.setKeepAlive(true, Math.max(1000, settings.keepaliveMs));
    this.#closed = new Promise((resolve) => socket.once('close', () => {
      clearTimeout(this.#closeTimer);
      this.#fail(new TransportError(`the link to ${this.remoteAddress} was cut`));
      resolve();
    }));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('drain', () => this.#releaseWriters(null));
    socket.on('error', (error) => this.#fail(new TransportError(`the link to ${this.remoteAddress} failed: ${systemCode(error)}`, { cause: error })));
    this.#idleTimer = setTimeout(() => this.#onIdle(), settings.idleTimeoutMs).unref();
    this.#keepaliveTimer = setTimeout(() => this.#sendKeepalive(), settings.keepaliveMs).unref();
  }

  /**
   * Resolves when the socket can take more. The frame is written as it is, not copied: it must not
   * change until `written` is called, once the kernel has all of it (not at all if the link fails first).
   */
  async send(frame: Uint8Array, written?: () => void): Promise<void> {
    const blocked = this.#writeBlocked();
    if (blocked) throw blocked;
    if (frame.length > this.maxFrame) throw new TransportError(`a frame of ${frame.length} bytes is over the link's ${this.maxFrame}`);
    if (frame.length === 0) throw new TransportError('a TCP link cannot carry a zero-length frame (it is the keepalive)');
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(frame.length, 0);
    // Corked, header and payload leave in one writev: no copy of the payload, no tiny packet.
    this.#socket.cork();
    this.#socket.write(header);
    let released = false;
    const release = written && ((error?: Error | null) => {
      if (released || error) return;
      released = true;
      written();
    });
    const ready = this.#socket.write(frame, release);
    this.#socket.uncork();
    // Nothing left queued: the kernel took all of it already, and its callback comes only later.
    if (this.#socket.writableLength === 0) release?.();
    this.#keepaliveTimer.refresh();
    // A few frames may wait in the socket, so the next one is prepared (sealed) while the kernel
    // writes this one; the socket's own mark (16 KiB) would wait after every large frame.
    if (ready || this.#socket.writableLength <= SEND_BUDGET) return;
    await new Promise<void>((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  async *frames(): AsyncGenerator<Uint8Array> {
    if (this.#reading) throw new TransportError('a link has one reader');
    this.#reading = true;
    for (;;) {
      const frame = this.#frames.shift();
      if (frame !== undefined) {
        if (this.#paused && this.#frames.cost <= this.#settings.highWaterMarkBytes) {
          this.#paused = false;
          this.#socket.resume();
          // Nothing was read while paused: the silence was ours, not the peer's.
          this.#idleTimer.refresh();
        }
        yield frame;
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#incomingDone) return;
      await new Promise<void>((resolve) => {
        this.#readerWaiting = resolve;
      });
    }
  }

  /**
   * A clean close flushes what was sent, ends the socket and resolves once the peer ended too. With an error, it
   * resets the connection: the peer's frames() fails with a TransportError (the error itself does not cross TCP).
   */
  close(error?: Error): Promise<void> {
    if (this.#closing) return this.#closed;
    this.#closing = true;
    this.#finishIncoming();
    if (error) {
      this.#releaseWriters(new LinkClosedError(`the link to ${this.remoteAddress} was closed`, { cause: error }));
      this.#reset();
    } else if (!this.#failure) {
      // Frames already sent are flushed before the FIN; a peer that never answers it is cut after the idle timeout.
      this.#releaseWriters(null);
      this.#socket.end();
      this.#paused = false;
      this.#socket.resume();
      this.#closeTimer = setTimeout(() => this.#socket.destroy(), this.#settings.idleTimeoutMs).unref();
    }
    return this.#closed;
  }

  #writeBlocked(): Error | null {
    if (this.#closing) return new LinkClosedError(`the link to ${this.remoteAddress} is closed`);
    if (this.#failure) return this.#failure;
    if (this.#peerEnded) return new LinkClosedError(`${this.remoteAddress} closed the link`);
    return null;
  }

  #onData(chunk: Buffer): void {
    // Closing: the peer's frames after this side's close are dropped, but read so its FIN arrives.
    if (this.#incomingDone) return;
    this.#idleTimer.refresh();
    this.#chunks.push(chunk);
    this.#unparsedBytes += chunk.length;
    for (;;) {
      if (this.#frameLength === null) {
        if (this.#unparsedBytes < HEADER_BYTES) break;
        const length = this.#take(HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrame) {
          this.#fail(new ProtocolError(`${this.remoteAddress} announced a frame of ${length} bytes, over the link's ${this.maxFrame}`));
          return;
        }
        if (length === 0) continue;
        this.#frameLength = length;
      }
      if (this.#unparsedBytes < this.#frameLength) break;
      const frame = this.#take(this.#frameLength);
      this.#frameLength = null;
      this.#frames.push(frame);
    }
    if (!this.#paused && this.#frames.cost > this.#settings.highWaterMarkBytes) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#wakeReader();
  }

  // The next `count` unparsed bytes: a view when they sit in one chunk, a copy only when they span chunks.
  #take(count: number): Buffer {
    this.#unparsedBytes -= count;
    const first = this.#chunks[0]!;
    if (first.length - this.#chunkOffset >= count) {
      const view = first.subarray(this.#chunkOffset, this.#chunkOffset + count);
      this.#chunkOffset += count;
      if (this.#chunkOffset === first.length) {
        this.#chunks.shift();
        this.#chunkOffset = 0;
      }
      return view;
    }
    const copy = Buffer.allocUnsafe(count);
    let filled = 0;
    let used = 0;
    while (filled < count) {
      const chunk = this.#chunks[used]!;
      const copied = chunk.copy(copy, filled, this.#chunkOffset, Math.min(chunk.length, this.#chunkOffset + count - filled));
      filled += copied;
      this.#chunkOffset += copied;
      if (this.#chunkOffset === chunk.length) {
        used++;
        this.#chunkOffset = 0;
      }
    }
    // One splice for all the chunks used: a frame trickled in many small reads stays linear.
    this.#chunks.splice(0, used);
    return copy;
  }

  #onEnd(): void {
    if (this.#incomingDone) return;
    if (this.#frameLength !== null || this.#unparsedBytes > 0) {
      this.#fail(new TransportError(`the link to ${this.remoteAddress} was cut mid-frame`));
      return;
    }
    this.#peerEnded = true;
    this.#releaseWriters(new LinkClosedError(`${this.remoteAddress} closed the link`));
    this.#finishIncoming();
  }

  #onIdle(): void {
    if (this.#paused) return;
    this.#fail(new TimeoutError(`nothing came from ${this.remoteAddress} for ${this.#settings.idleTimeoutMs} ms`));
  }

  #sendKeepalive(): void {
    this.#socket.write(KEEPALIVE);
    this.#keepaliveTimer.refresh();
  }

  #finishIncoming(): void {
    this.#incomingDone = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#keepaliveTimer);
    this.#wakeReader();
  }

  // The first failure wins; once no more frames are expected, a later one changes nothing.
  #fail(error: Error): void {
    if (this.#incomingDone || this.#failure) return;
    this.#failure = error;
    this.#paused = false;
    this.#finishIncoming();
    this.#releaseWriters(error);
    this.#reset();
  }

  // A reset, not a FIN, so the peer's frames() fails instead of ending as if all was said.
  #reset(): void {
    if (!this.#socket.destroyed) this.#socket.resetAndDestroy();
  }

  #releaseWriters(error: Error | null): void {
    const waiting = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const { resolve, reject } of waiting) {
      if (error) reject(error);
      else resolve();
    }
  }

  #wakeReader(): void {
    const wake = this.#readerWaiting;
    this.#readerWaiting = null;
    wake?.();
  }
}

class TcpListener implements Listener {
  readonly address: string;
  readonly #server: net.Server;
  #closing: Promise<void> | undefined;

  constructor(server: net.Server) {
    this.#server = server;
    // A listening TCP server's address is always host, family and port.
    const bound = server.address() as net.AddressInfo;
    this.address = formatAddress(bound.address, bound.port);
  }

  /** Stops listening; links already open stay open. */
  close(): Promise<void> {
    // server.close()'s callback waits for every open link; the port is released at once.
    this.#closing ??= new Promise((resolve) => {
      this.#server.close();
      setImmediate(resolve);
    });
    return this.#closing;
  }
}

export class TcpTransport implements Transport {
  readonly name = 'tcp';
  readonly #settings: Settings;

  constructor(options: TcpTransportOptions = {}) {
    this.#settings = settingsFrom(options);
  }

  /** Listens at `host:port` (port 0: any free port); the listener's address is the one bound. */
  async listen(address: string, onLink: (link: TcpLink) => void): Promise<Listener> {
    const { host, port } = parseAddress(address);
    const server = net.createServer((socket) => onLink(new TcpLink(socket, this.#settings)));
    await new Promise<void>((resolve, reject) => {
      server.on('error', (error) => {
        // After listening, only a failed accept (EMFILE) comes here: that one connection is lost, the server listens on.
        if (!server.listening) reject(new TransportError(`could not listen on ${address}: ${systemCode(error)}`, { cause: error }));
      });
      server.listen({ host, port }, resolve);
    });
    return new TcpListener(server);
  }

  async connect(address: string, options: { signal?: AbortSignal } = {}): Promise<TcpLink> {
    const { host, port } = parseAddress(address);
    if (port === 0) throw new InvalidArgumentError(`${address}: port 0 is for listening, not connecting`);
    const { signal } = options;
    const aborted = () => new AbortedError(`connecting to ${address} was aborted`);
    if (signal?.aborted) throw aborted();
    const socket = net.connect({ host, port });
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onError: ((error: Error) => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onAbort = () => reject(aborted());
        onError = (error) => reject(new TransportError(`could not connect to ${address}: ${systemCode(error)}`, { cause: error }));
        timer = setTimeout(() => reject(new TimeoutError(`connecting to ${address} timed out after ${this.#settings.connectTimeoutMs} ms`)),
          this.#settings.connectTimeoutMs);
        signal?.addEventListener('abort', onAbort, { once: true });
        socket.once('error', onError);
        socket.once('connect', resolve);
      });
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      if (onError) socket.off('error', onError);
    }
    return new TcpLink(socket, this.#settings);
  }
}

type LinkOf<T extends Transport> = Awaited<ReturnType<T['connect']>>;

/**
 * Tries `addresses` in order, each with the transport's connect timeout, and returns the first link
 * that opens; when none does, a TransportError that lists each address with its reason.
 */
export async function connectFirst<T extends Transport>(transport: T, addresses: readonly string[], options: { signal?: AbortSignal } = {}): Promise<LinkOf<T>> {
  if (addresses.length === 0) throw new InvalidArgumentError('no address to connect to');
  const failures: Error[] = [];
  const reasons: string[] = [];
  for (const address of addresses) {
    if (options.signal?.aborted) throw new AbortedError(`connecting to ${address} was aborted`);
    try {
      return await transport.connect(address, options) as LinkOf<T>;
    } catch (error) {
      // A cancelled join stops here: the remaining addresses are not worth trying.
      if (error instanceof AbortedError) throw error;
      const failure = error instanceof Error ? error : new Error(String(error));
      failures.push(failure);
      reasons.push(failure.message.includes(address) ? failure.message : `${address}: ${failure.message}`);
    }
  }
  throw new TransportError(`no address answered: ${reasons.join('; ')}`, { cause: new AggregateError(failures) });
}
