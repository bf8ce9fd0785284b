// AES-256-GCM for the encrypted link's bulk frames, through the addon: node's own OpenSSL with the
// key schedule done once per key, which node:crypto cannot keep between calls.
import { constants } from 'node:buffer';
import type { NativeAeadKey } from '../../typings/addon.js';
import { IntegrityError, InvalidArgumentError, fromNativeError } from '../errors.js';
import { nativeAddon } from './native.js';

// GCM's own limit (2^39 - 256 bits), and the sealed output must still fit one Buffer.
const MAX_PLAINTEXT_BYTES = Math.min(2 ** 36 - 32, constants.MAX_LENGTH - 16);

function checkBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${name} must be a Buffer or Uint8Array`);
  if (length !== undefined && value.byteLength !== length) {
    throw new InvalidArgumentError(`${name} must be ${length} bytes, not ${value.byteLength}`);
  }
}

// Encrypting in place is fine (each byte is read before it is written); a shifted overlap is not.
function partlyOverlap(out: Uint8Array, input: Uint8Array): boolean {
  if (out.buffer !== input.buffer || input.byteLength === 0) return false;
  const start = out.byteOffset;
  const from = input.byteOffset;
  return start !== from && start < from + input.byteLength && from < start + out.byteLength;
}

/**
 * One AES-256-GCM key. Calls are synchronous (a frame of a few MiB is about a millisecond).
 * A nonce must never be used twice with one key: choosing nonces is the caller's part.
 */
export class AeadKey {
  static readonly KEY_BYTES = 32;
  static readonly NONCE_BYTES = 12;
  static readonly TAG_BYTES = 16;

  #native: NativeAeadKey | null;

  /** The key bytes are read once; the caller's buffer is neither kept nor changed. */
  constructor(key: Uint8Array) {
    checkBytes('key', key, AeadKey.KEY_BYTES);
    try {
      this.#native = new (nativeAddon().AeadKey)(key);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** ciphertext || tag: `plaintext.length + TAG_BYTES` bytes. `aad` is authenticated, not sent. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer;
  /**
   * The same written at the start of `out` instead (saves an allocation per frame); returns the
   * length written. `out` may be the plaintext's own bytes (in place) but not partly overlap them.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): number;
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out?: Uint8Array): Buffer | number {
    const native = this.#live();
    checkBytes('nonce', nonce, AeadKey.NONCE_BYTES);
    checkBytes('aad', aad);
    checkBytes('plaintext', plaintext);
    if (plaintext.byteLength > MAX_PLAINTEXT_BYTES) {
      throw new InvalidArgumentError(`plaintext is longer than ${MAX_PLAINTEXT_BYTES} bytes`);
    }
    if (out !== undefined) {
      checkBytes('out', out);
      if (out.byteLength < plaintext.byteLength + AeadKey.TAG_BYTES) {
        throw new InvalidArgumentError(`out has ${out.byteLength} bytes, fewer than plaintext + tag`);
      }
      // Nonce and aad are consumed before anything is written, so only the plaintext matters here.
      if (partlyOverlap(out, plaintext)) throw new InvalidArgumentError('out partly overlaps the plaintext');
    }
    try {
      return out === undefined ? native.seal(nonce, aad, plaintext) : native.seal(nonce, aad, plaintext, out);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /** The plaintext of what seal() made with this key, nonce and aad; IntegrityError for anything else. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer {
    const native = this.#openable(nonce, aad, sealed);
    try {
      return native.open(nonce, aad, sealed);
    } catch (error) {
      throw fromNativeError(error);
    }
  }

  /**
   * As open(), decrypting over `sealed` itself: the result is a view of its first bytes, and no
   * buffer is allocated. For frames this side owns (a received frame nobody else reads).
   */
  openInPlace(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer {
    const native = this.#openable(nonce, aad, sealed);
    let length: number;
    try {
      length = native.open(nonce, aad, sealed, true);
    } catch (error) {
      throw fromNativeError(error);
    }
    return Buffer.from(sealed.buffer, sealed.byteOffset, length);
  }

  #openable(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): NativeAeadKey {
    const native = this.#live();
    checkBytes('nonce', nonce, AeadKey.NONCE_BYTES);
    checkBytes('aad', aad);
    checkBytes('sealed', sealed);
    // A frame cut shorter than a tag is damage in transit, like any other failed check.
    if (sealed.byteLength < AeadKey.TAG_BYTES) {
      throw new IntegrityError(`an encrypted frame of ${sealed.byteLength} bytes is shorter than its tag`);
    }
    return native;
  }

  /** Frees the key schedule now rather than at garbage collection; later calls throw. Idempotent. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = null;
  }

  #live(): NativeAeadKey {
    if (!this.#native) throw new InvalidArgumentError('the key was disposed');
    return this.#native;
  }
}
