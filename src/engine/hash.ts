// One-shot digests of in-memory data (BLAKE3 is the digest deltanode uses for whole files).
import { InvalidArgumentError } from '../errors.js';
import { nativeAddon } from './native.js';

export type HashAlgorithm = 'blake3' | 'xxh3-128' | 'blake2b-256' | 'md4';
const algorithms: ReadonlySet<string> = new Set(['blake3', 'xxh3-128', 'blake2b-256', 'md4']);

/** Synchronous: meant for small buffers (it runs on the calling thread). */
export function hash(algorithm: HashAlgorithm, data: Uint8Array): Buffer {
  if (!algorithms.has(algorithm)) throw new InvalidArgumentError(`unknown hash algorithm ${String(algorithm)}`);
  if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('data must be a Buffer or Uint8Array');
  return nativeAddon().hash(algorithm, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
