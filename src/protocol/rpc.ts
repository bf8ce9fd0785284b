// Calls and streams over one link. Either side may call the other; a call may carry an upload
// stream and its answer a download stream, each with credit-based flow control (the receiver
// grants items as it consumes them), so a large transfer never fills memory or starves the other
// streams and calls on the link. A peer that breaks the protocol has its link closed.
import { AbortedError, DeltanodeError, LinkClosedError, ProtocolError, RemoteError } from '../errors.js';
import type { Link } from '../transport/transport.js';
import { decodeMessage, encodeMessage, INITIAL_CREDIT, Kind, type Message } from './messages.js';

/** Calls a peer may have open here at once; the session keeps far fewer in flight. */
export const MAX_SERVED_CALLS = 256;

export interface CallContext {
  /** Items the caller sent with the call, or null. */
  upload: AsyncIterable<unknown> | null;
  /** Aborts when the caller cancels or the link ends. */
  signal: AbortSignal;
}

export interface HandlerResult {
  result?: unknown;
  /** Items sent after the result. */
  download?: AsyncIterable<unknown>;
}

export type Handler = (params: unknown, context: CallContext) => Promise<HandlerResult>;

export interface CallResult {
  result: unknown;
  download: AsyncIterable<unknown> | null;
}

/** Turns an error from the peer into ours: a known code keeps its meaning, others become RemoteError. */
export type ErrorFactory = (code: string, message: string) => Error;

// Items received on one stream, waiting for their consumer.
class Incoming {
  readonly items: unknown[] = [];
  ended = false;
  failure: Error | null = null;
  wake: (() => void) | null = null;
  received = 0;
  granted = INITIAL_CREDIT;

  notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

// A stream this side sends: how many more items the receiver takes.
class Outgoing {
  credit = INITIAL_CREDIT;
  stopped = false;
  wake: (() => void) | null = null;

  notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

export class RpcPeer {
  readonly #link: Link;
  readonly #handlers: Readonly<Record<string, Handler>>;
  readonly #toError: ErrorFactory;
  readonly #calls = new Map<number, { resolve: (value: CallResult) => void; reject: (error: Error) => void }>();
  readonly #served = new Map<number, AbortController>();
  readonly #incoming = new Map<number, Incoming>();
  readonly #outgoing = new Map<number, Outgoing>();
  // Calls given up and streams stopped here: what the peer sent before it knew is dropped.
  readonly #cancelled = new Set<number>();
  readonly #stopped = new Set<number>();
  #nextCall = 1;
  #nextStream = 1;
  #closed: Error | null = null;
  #failure: Error | null = null;
  /** Resolves when the link has ended, cleanly or not (see `failure`). */
  readonly done: Promise<void>;

  constructor(link: Link, handlers: Readonly<Record<string, Handler>> = {}, toError: ErrorFactory = (code, message) => new RemoteError(code, message)) {
    this.#link = link;
    this.#handlers = handlers;
    this.#toError = toError;
    this.done = this.#readLoop();
  }

  async #send(message: Message): Promise<void> {
    if (this.#closed) throw this.#closed;
    await this.#link.send(encodeMessage(message));
  }

  async #readLoop(): Promise<void> {
    try {
      for await (const frame of this.#link.frames()) this.#dispatch(decodeMessage(frame));
      this.#shutdown(new LinkClosedError('the peer closed the link'));
    } catch (error) {
      const failure = error instanceof DeltanodeError ? error : new LinkClosedError('the link failed', { cause: error });
      if (!this.#closed) this.#failure = failure;
      this.#shutdown(failure);
      if (error instanceof ProtocolError) await this.#link.close(error).catch(() => undefined);
    }
  }

  #dispatch(message: Message): void {
    switch (message.kind) {
      case Kind.Request: return this.#serve(message);
      case Kind.Result: {
        if (this.#cancelled.delete(message.id)) {
          if (message.download !== null) this.#refuse(message.download);
          return;
        }
        const call = this.#take(message.id);
        call.resolve({ result: message.result, download: message.download === null ? null : this.#receive(message.download) });
        return;
      }
      case Kind.Failure:
        if (this.#cancelled.delete(message.id)) return;
        this.#take(message.id).reject(this.#toError(message.code, message.message));
        return;
      case Kind.Data: {
        if (this.#stopped.has(message.stream)) return;
        const stream = this.#stream(message.stream);
        if (stream.received >= stream.granted) throw new ProtocolError(`stream ${message.stream} sent past its credit`);
        stream.received++;
        stream.items.push(message.item);
        stream.notify();
        return;
      }
      case Kind.End:
      case Kind.Abort: {
        if (this.#stopped.delete(message.stream)) return;
        const stream = this.#stream(message.stream);
        if (message.kind === Kind.Abort) stream.failure = this.#toError(message.code, message.message);
        stream.ended = true;
        stream.notify();
        return;
      }
      case Kind.Credit:
      case Kind.Stop: {
        const stream = this.#outgoing.get(message.stream);
        if (!stream) return;  // it may have just ended
        if (message.kind === Kind.Stop) stream.stopped = true;
        else stream.credit += message.count;
        stream.notify();
        return;
      }
      case Kind.Cancel:
        this.#served.get(message.id)?.abort();
        return;
    }
  }

  #take(id: number) {
    const call = this.#calls.get(id);
    if (!call) throw new ProtocolError(`an answer to call ${id}, which is not open`);
    this.#calls.delete(id);
    return call;
  }

  #stream(id: number): Incoming {
    const stream = this.#incoming.get(id);
    if (!stream) throw new ProtocolError(`items of stream ${id}, which is not open`);
    return stream;
  }

  // A stream the peer sends: items as they come, credit given back as they are taken.
  #receive(id: number): AsyncIterable<unknown> {
    if (this.#incoming.has(id)) throw new ProtocolError(`stream ${id} opened twice`);
    const stream = new Incoming();
    this.#incoming.set(id, stream);
    const peer = this;
    return {
      async *[Symbol.asyncIterator]() {
        let taken = 0;
        try {
          for (;;) {
            if (stream.items.length > 0) {
              const item = stream.items.shift();
              taken++;
              if (taken % (INITIAL_CREDIT / 2) === 0) {
                stream.granted += INITIAL_CREDIT / 2;
                await peer.#send({ kind: Kind.Credit, stream: id, count: INITIAL_CREDIT / 2 });
              }
              yield item;
              continue;
            }
            if (stream.failure) throw stream.failure;
            if (stream.ended) return;
            if (peer.#closed) throw peer.#closed;
            await new Promise<void>((resolve) => {
              stream.wake = resolve;
            });
          }
        } finally {
          peer.#incoming.delete(id);
          if (!stream.ended && !peer.#closed) peer.#refuse(id);
        }
      },
    };
  }

  // Tells the peer to stop sending stream `id`, and drops what is already on the way.
  #refuse(id: number): void {
    this.#stopped.add(id);
    void this.#send({ kind: Kind.Stop, stream: id }).catch(() => undefined);
  }

  // Sends the items of `source` as stream `id`, waiting for credit.
  async #pump(id: number, source: AsyncIterable<unknown>): Promise<void> {
    const stream = new Outgoing();
    this.#outgoing.set(id, stream);
    try {
      for await (const item of source) {
        while (stream.credit === 0 && !stream.stopped && !this.#closed) {
          await new Promise<void>((resolve) => {
            stream.wake = resolve;
          });
        }
        if (stream.stopped || this.#closed) return;
        stream.credit--;
        await this.#send({ kind: Kind.Data, stream: id, item });
      }
      await this.#send({ kind: Kind.End, stream: id });
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      await this.#send({ kind: Kind.Abort, stream: id, code: typeof code === 'string' ? code : 'DELTANODE_ERR_INTERNAL',
        message: typeof message === 'string' ? message : String(error) }).catch(() => undefined);
    } finally {
      this.#outgoing.delete(id);
    }
  }

  /** Calls `method` on the peer. */
  async call(method: string, params: unknown, options: { upload?: AsyncIterable<unknown>; signal?: AbortSignal } = {}): Promise<CallResult> {
    if (this.#closed) throw this.#closed;
    if (options.signal?.aborted) throw new AbortedError();
    const id = this.#nextCall++;
    const upload = options.upload ? this.#nextStream++ : null;
    const answer = new Promise<CallResult>((resolve, reject) => this.#calls.set(id, { resolve, reject }));
    const onAbort = () => {
      const call = this.#calls.get(id);
      if (!call) return;
      this.#calls.delete(id);
      this.#cancelled.add(id);
      void this.#send({ kind: Kind.Cancel, id }).catch(() => undefined);
      call.reject(new AbortedError());
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#send({ kind: Kind.Request, id, method, params, upload });
      if (upload !== null) void this.#pump(upload, options.upload!);
      return await answer;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #serve(message: Extract<Message, { kind: typeof Kind.Request }>): void {
    if (this.#served.has(message.id)) throw new ProtocolError(`call ${message.id} made twice`);
    // A peer that floods calls loses the link rather than this side's memory.
    if (this.#served.size >= MAX_SERVED_CALLS) throw new ProtocolError(`more than ${MAX_SERVED_CALLS} calls open at once`);
    const controller = new AbortController();
    this.#served.set(message.id, controller);
    const upload = message.upload === null ? null : this.#receive(message.upload);
    const handler = Object.hasOwn(this.#handlers, message.method) ? this.#handlers[message.method] : undefined;
    void (async () => {
      try {
        if (!handler) throw new ProtocolError(`no method ${message.method}`);
        const { result = null, download } = await handler(message.params, { upload, signal: controller.signal });
        const stream = download ? this.#nextStream++ : null;
        await this.#send({ kind: Kind.Result, id: message.id, result, download: stream });
        if (stream !== null) await this.#pump(stream, download!);
      } catch (error) {
        const { code, message: text } = error as { code?: unknown; message?: unknown };
        await this.#send({ kind: Kind.Failure, id: message.id, code: typeof code === 'string' ? code : 'DELTANODE_ERR_INTERNAL',
          message: typeof text === 'string' ? text : String(error) }).catch(() => undefined);
      } finally {
        this.#served.delete(message.id);
      }
    })();
  }

  #shutdown(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
    for (const controller of this.#served.values()) controller.abort(error);
    for (const stream of this.#incoming.values()) stream.notify();
    for (const stream of this.#outgoing.values()) stream.notify();
  }

  /** Why the link ended, when it did not end by either side closing it. */
  get failure(): Error | null {
    return this.#failure;
  }

  async close(): Promise<void> {
    this.#shutdown(new LinkClosedError('the link was closed'));
    await this.#link.close();
    await this.done;
  }
}
