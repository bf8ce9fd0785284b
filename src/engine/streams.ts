// Stream faces of the engine for transports: each is a Duplex that feeds written chunks to a
// native engine one step at a time (on the thread pool) and honours backpressure both ways.
import { Duplex } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import type { NativeEngineHandle } from '../../typings/addon.js';
import { AbortedError, fromNativeError, InvalidArgumentError } from '../errors.js';
import { nativeAddon } from './native.js';
import { fromNativeParams, type SignatureOptions, type SignatureParams, toNativeParams } from './params.js';

export interface EngineStreamOptions {
  /** Destroys the stream with an AbortedError. */
  signal?: AbortSignal;
  /** Upper bound of output bytes produced per native step (patch only; default 1 MiB). */
  outputChunkSize?: number;
}

const DEFAULT_OUTPUT_CHUNK = 1 << 20;

/** A Duplex around a native step engine, which may be created asynchronously. */
export class EngineStream extends Duplex {
  #engine: NativeEngineHandle | undefined;
  readonly #outputBudget: number;
  #input: Buffer | null = null;
  #inputDone: ((error?: Error | null) => void) | null = null;
  #ending: ((error?: Error | null) => void) | null = null;
  #readWanted = false;
  #pumping = false;
  #finished = false;
  #morePending = false;

  constructor(engine: NativeEngineHandle | Promise<NativeEngineHandle>, options: EngineStreamOptions = {}) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.#outputBudget = options.outputChunkSize ?? DEFAULT_OUTPUT_CHUNK;
    Promise.resolve(engine).then((ready) => {
      this.#engine = ready;
      this.#pump();
    }, (error: unknown) => this.destroy(fromNativeError(error)));
    const { signal } = options;
    if (signal) {
      if (signal.aborted) {
        process.nextTick(() => this.destroy(new AbortedError()));
      } else {
        const onAbort = (): void => {
          this.destroy(new AbortedError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.once('close', () => signal.removeEventListener('abort', onAbort));
      }
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#finished) {
      callback(chunk.length > 0 ? new InvalidArgumentError('data was written after the end of the stream content') : null);
      return;
    }
    this.#input = chunk;
    this.#inputDone = callback;
    this.#pump();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // A patch can reach the end of its delta before the writer ends the stream.
    if (this.#finished) {
      callback();
      return;
    }
    this.#ending = callback;
    this.#pump();
  }

  override _read(): void {
    this.#readWanted = true;
    this.#pump();
  }

  // One native step at a time; stop stepping while the reader has not asked for more.
  #pump(): void {
    if (this.#pumping || !this.#engine || this.destroyed || this.#finished) return;
    // The final step is the one with no input left and the writable side ended.
    const final = this.#input === null && this.#ending !== null;
    if (!this.#readWanted || (this.#input === null && !final && !this.#morePending)) return;
    this.#pumping = true;
    const input = this.#input;
    this.#engine.step(input, final && input === null, this.#outputBudget).then((result) => {
      this.#pumping = false;
      if (this.destroyed) return;
      this.#morePending = result.more;
      if (input) {
        if (result.consumed < input.length) {
          this.#input = input.subarray(result.consumed);
        } else {
          this.#input = null;
          const done = this.#inputDone;
          this.#inputDone = null;
          done?.();
        }
      }
      if (result.output.length > 0) this.#readWanted = this.push(result.output);
      if (result.done) {
        this.#finished = true;
        if (this.#input !== null && this.#input.length > 0) {
          this.destroy(new InvalidArgumentError('data was written after the end of the stream content'));
          return;
        }
        this.push(null);
        this.#ending?.();
        this.#ending = null;
        return;
      }
      this.#pump();
    }, (error: unknown) => {
      this.#pumping = false;
      this.destroy(fromNativeError(error));
    });
  }
}

/** Signature of the bytes written to it. Native signatures carry basis length and digest in a trailer. */
export class SignatureStream extends EngineStream {
  readonly params: SignatureParams;
  constructor(options: SignatureOptions & EngineStreamOptions & { sizeHint?: number } = {}) {
    const engine = createNative(() => nativeAddon().createSignatureEngine(toNativeParams(options), options.sizeHint ?? null));
    super(engine, options);
    this.params = fromNativeParams(engine.params);
  }
}

export function createSignatureStream(
  options: SignatureOptions & EngineStreamOptions & { sizeHint?: number } = {}): SignatureStream {
  return new SignatureStream(options);
}

/** Delta of the new file written to it against the basis the signature describes. */
export function createDeltaStream(signature: Buffer, options: EngineStreamOptions = {}): EngineStream {
  if (!Buffer.isBuffer(signature)) throw new InvalidArgumentError('signature must be a Buffer');
  return new EngineStream(nativeAddon().createDeltaEngine(signature), options);
}

/**
 * The new file, from the delta written to it and a basis: a Buffer, or an open file (FileHandle or
 * descriptor) that stays open and owned by the caller until the stream closes.
 */
export function createPatchStream(basis: Buffer | FileHandle | number, options: EngineStreamOptions = {}): EngineStream {
  const budget = options.outputChunkSize ?? DEFAULT_OUTPUT_CHUNK;
  if (!Number.isInteger(budget) || budget < 1) throw new InvalidArgumentError('outputChunkSize must be a positive integer');
  let ref: Buffer | number;
  if (Buffer.isBuffer(basis)) ref = basis;
  else if (typeof basis === 'number') ref = basis;
  else ref = basis.fd;
  return new EngineStream(createNative(() => nativeAddon().createPatchEngine(ref)), options);
}

function createNative<T>(create: () => T): T {
  try {
    return create();
  } catch (error) {
    throw fromNativeError(error);
  }
}
