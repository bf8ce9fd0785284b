// Public option names for signatures, their validation, and their mapping to native ids.
import type { NativeParams, NativeRequestedParams } from '../../typings/addon.js';
import { InvalidArgumentError } from '../errors.js';

export type SignatureFormat = 'native' | 'librsync';
export type StrongHashName = 'xxh3' | 'blake2' | 'md4';
export type WeakHashName = 'rabinkarp' | 'rollsum';
export type DigestName = 'xxh3' | 'blake3';

export interface SignatureOptions {
  /** `native` (default; carries basis length and digest) or `librsync` (rdiff 2.3's files). */
  format?: SignatureFormat;
  /** Bytes per block; 0 or absent picks librsync's recommendation for the basis size. */
  blockLength?: number;
  /** Bytes of strong sum kept per block; 0 or absent: maximum; -1: the minimum safe for the size. */
  strongLength?: number;
  /** Default `xxh3` for the native format, `blake2` for librsync. */
  strongHash?: StrongHashName;
  /** Default `rabinkarp`. */
  weakHash?: WeakHashName;
  /**
   * Whole-file digest of the native format (the basis's, in the signature; the new file's, in the
   * delta made from it, which patch verifies). `xxh3` (default, XXH3-128) detects a wrong basis or
   * damage at memory speed; `blake3` also gives the file's cryptographic digest.
   */
  digest?: DigestName;
}

/** The parameters a signature was made with. */
export interface SignatureParams {
  format: SignatureFormat;
  blockLength: number;
  strongLength: number;
  strongHash: StrongHashName;
  weakHash: WeakHashName;
  /** Meaningful for the native format only. */
  digest: DigestName;
}

export const MAX_BLOCK_LENGTH = 1 << 28;

const formats: Record<SignatureFormat, 1 | 2> = { native: 1, librsync: 2 };
const weakHashes: Record<WeakHashName, 1 | 2> = { rollsum: 1, rabinkarp: 2 };
const strongHashes: Record<StrongHashName, 1 | 2 | 3> = { md4: 1, blake2: 2, xxh3: 3 };
const digests: Record<DigestName, 1 | 2> = { blake3: 1, xxh3: 2 };
/** Bytes of each digest that carry information (XXH3-128 is stored zero-padded to 32). */
export const digestLength: Record<DigestName, number> = { blake3: 32, xxh3: 16 };
const maxStrongLength: Record<StrongHashName, number> = { md4: 16, blake2: 32, xxh3: 16 };

function oneOf<T extends string>(name: string, value: unknown, table: Record<T, number>, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && Object.hasOwn(table, value)) return value as T;
  throw new InvalidArgumentError(`${name} must be one of ${Object.keys(table).join(', ')}; got ${String(value)}`);
}

export function toNativeParams(options: SignatureOptions = {}): NativeRequestedParams {
  const format = oneOf<SignatureFormat>('format', options.format, formats, 'native');
  const strongHash = oneOf<StrongHashName>('strongHash', options.strongHash, strongHashes, format === 'native' ? 'xxh3' : 'blake2');
  const weakHash = oneOf<WeakHashName>('weakHash', options.weakHash, weakHashes, 'rabinkarp');
  if (format === 'librsync' && strongHash === 'xxh3') {
    throw new InvalidArgumentError('the librsync format supports the blake2 and md4 strong hashes only');
  }
  const blockLength = options.blockLength ?? 0;
  if (!Number.isInteger(blockLength) || blockLength < 0 || blockLength > MAX_BLOCK_LENGTH) {
    throw new InvalidArgumentError(`blockLength must be an integer from 0 to ${MAX_BLOCK_LENGTH}; got ${blockLength}`);
  }
  const strongLength = options.strongLength ?? 0;
  const max = maxStrongLength[strongHash];
  if (!Number.isInteger(strongLength) || strongLength < -1 || strongLength > max) {
    throw new InvalidArgumentError(
      `strongLength must be -1 (minimum), 0 (maximum) or 1..${max} for ${strongHash}; got ${strongLength}`);
  }
  return {
    format: formats[format],
    weak: weakHashes[weakHash],
    strong: strongHashes[strongHash],
    blockLength,
    strongLength,
    digest: toNativeDigest(options.digest),
  };
}

export function toNativeDigest(digest: unknown): 1 | 2 {
  return digests[oneOf<DigestName>('digest', digest, digests, 'xxh3')];
}

function nameOf<T extends string>(table: Record<T, number>, id: number): T {
  const entry = Object.entries(table).find(([, value]) => value === id);
  return entry![0] as T;
}

export function fromNativeParams(params: NativeParams): SignatureParams {
  return {
    format: nameOf(formats, params.format),
    blockLength: params.blockLength,
    strongLength: params.strongLength,
    strongHash: nameOf(strongHashes, params.strong),
    weakHash: nameOf(weakHashes, params.weak),
    digest: nameOf(digests, params.digest),
  };
}

export function formatName(id: number): SignatureFormat {
  return nameOf(formats, id);
}
