// Whole-file digests on a native worker thread, with the file's identity before and after the
// read so a caller (an inventory) can tell a file that changed while it was hashed.
import { fromNativeError } from '../errors.js';
import { JobControl, type JobOptions } from './control.js';
import { nativeAddon } from './native.js';
import type { FileInput } from './output.js';
import { toNativeRef } from './output.js';
import { digestLength, type DigestName, toNativeDigest } from './params.js';

/** What fstat said about a file: enough to notice that it changed. */
export interface FileIdentity {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  device: bigint;
}

export interface HashFileResult {
  /** 32 bytes for BLAKE3, 16 for XXH3-128. */
  digest: Buffer;
  /** Bytes read. */
  length: number;
  before: FileIdentity;
  after: FileIdentity;
  /** The file was modified, replaced or resized while it was read: the digest describes no single version. */
  changed: boolean;
}

export interface HashFileOptions extends JobOptions {
  /** Default `blake3`: inventories compare files across machines by this digest. */
  digest?: DigestName;
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.inode === b.inode &&
    a.device === b.device;
}

/** Digest of a file's content, read on a worker thread (large files: BLAKE3 on two threads). */
export async function hashFile(file: FileInput, options: HashFileOptions = {}): Promise<HashFileResult> {
  const digest = options.digest ?? 'blake3';
  const id = toNativeDigest(digest);
  const control = new JobControl(options);
  try {
    const result = await control.run((buffer) => nativeAddon().hashFile(toNativeRef(file), id, buffer));
    return {
      digest: result.digest.subarray(0, digestLength[digest]),
      length: result.length,
      before: result.before,
      after: result.after,
      changed: !sameIdentity(result.before, result.after) || result.length !== result.before.size,
    };
  } catch (error) {
    throw fromNativeError(error);
  }
}
