// One folder of an inventory per native call: its entries with lstat metadata and link targets,
// matched against the hash cache's record of the folder, small files hashed on the worker thread.
// This module decodes the packed result (layout: native/scan_folder.h) and encodes cache records.
import { fromNativeError } from '../errors.js';
import { JobControl } from './control.js';
import { nativeAddon } from './native.js';

export type FolderEntryType = 'file' | 'folder' | 'symlink' | 'special' | 'unknown';
export type HashMode = 'none' | 'quick' | 'full';

export interface FolderEntry {
  /** The name as the folder lists it (valid UTF-8 unless `nameNotUtf8`). */
  name: string;
  type: FolderEntryType;
  /** errno of lstat or readlink; 0 when the metadata was read. */
  statErrno: number;
  mode: number;
  size: number;
  mtimeNs: bigint;
  inode: bigint;
  device: bigint;
  linkTarget?: string;
  /**
   * BLAKE3 of the content: from the cache (`cache`), read by the job (`hashed`), or left to the
   * caller (`pending`: larger than the inline limit; `digest` then holds the cached digest, if any,
   * for corruption checks). `failed`: reading it failed with `hashErrno`.
   */
  digestState: 'none' | 'cache' | 'hashed' | 'pending' | 'failed';
  digest?: Buffer;
  hashErrno: number;
  /** The file was modified or replaced while it was hashed. */
  changedWhileHashed: boolean;
  /** Full hashing read other content than the cache recorded for the same size, mtime and inode. */
  silentCorruption: boolean;
  nameNotUtf8: boolean;
}

export interface FolderScan {
  /** Sorted by the names' UTF-8 bytes. */
  entries: FolderEntry[];
  /** errno of opening or listing the folder; 0 when it was listed. */
  folderErrno: number;
  /** Some name is not plain ASCII (byte order may then differ from inventory order). */
  nonAscii: boolean;
  /** Some name has an upper-case ASCII letter (names may then collide once case is folded). */
  upperCase: boolean;
  /** The cache record does not describe the folder's files exactly: store a new one. */
  cacheStale: boolean;
  /** Sub-folders the cache record knew that are no longer there: their records can go. */
  vanishedFolders: string[];
  bytesHashed: number;
  filesHashed: number;
  filesFromCache: number;
}

export interface FolderScanOptions {
  hash: HashMode;
  /** Files up to this many bytes are hashed inside the job; larger ones come back `pending`. */
  inlineHashLimit?: number;
  cache?: Buffer | null;
  signal?: AbortSignal;
}

const TYPES: readonly FolderEntryType[] = ['file', 'folder', 'symlink', 'special', 'unknown'];
const DIGEST_STATES: ReadonlyArray<FolderEntry['digestState']> = ['none', 'cache', 'hashed', 'pending', 'failed'];
const HASH_IDS = { none: 0, quick: 1, full: 2 } as const;
const HEADER = 32;
const ENTRY = 88;
const CACHE_ENTRY = 64;
const padded = (n: number) => (n + 7) & ~7;
export const DEFAULT_INLINE_HASH_LIMIT = 1 << 20;

function decode(buffer: Buffer): FolderScan {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const count = view.getUint32(0, true);
  const flags = view.getUint32(4, true);
  const vanished = view.getUint32(12, true);
  const entries: FolderEntry[] = new Array(count);
  let at = HEADER;
  // Entries of a folder are nearly always on one device: one BigInt for all of them.
  let device = 0n;
  let deviceLow = -1;
  let deviceHigh = -1;
  const sameDevice = (low: number, high: number) => {
    if (low === deviceLow && high === deviceHigh) return true;
    deviceLow = low;
    deviceHigh = high;
    return false;
  };
  for (let i = 0; i < count; i++) {
    const nameLength = view.getUint32(at, true);
    const linkLength = view.getUint32(at + 4, true);
    const entryFlags = buffer[at + 10]!;
    const digestState = DIGEST_STATES[buffer[at + 9]!]!;
    const nameAt = at + ENTRY;
    const linkAt = nameAt + padded(nameLength);
    const entry: FolderEntry = {
      name: buffer.toString('utf8', nameAt, nameAt + nameLength),
      type: TYPES[buffer[at + 8]!]!,
      statErrno: view.getInt32(at + 12, true),
      mode: view.getUint32(at + 16, true),
      hashErrno: view.getInt32(at + 20, true),
      size: view.getUint32(at + 24, true) + view.getUint32(at + 28, true) * 2 ** 32,
      mtimeNs: view.getBigInt64(at + 32, true),
      inode: view.getBigUint64(at + 40, true),
      device: sameDevice(view.getUint32(at + 48, true), view.getUint32(at + 52, true)) ? device : (device = view.getBigUint64(at + 48, true)),
      digestState,
      changedWhileHashed: (entryFlags & 1) !== 0,
      silentCorruption: (entryFlags & 2) !== 0,
      nameNotUtf8: (entryFlags & 4) !== 0,
    };
    // A view into the result: one allocation per folder, not per digest.
    if (digestState === 'cache' || digestState === 'hashed' || (entryFlags & 8) !== 0) entry.digest = buffer.subarray(at + 56, at + 88);
    if (entry.type === 'symlink' && entry.statErrno === 0) entry.linkTarget = buffer.toString('utf8', linkAt, linkAt + linkLength);
    entries[i] = entry;
    at = linkAt + padded(linkLength);
  }
  const vanishedFolders: string[] = [];
  for (let i = 0; i < vanished; i++) {
    const length = view.getUint32(at, true);
    vanishedFolders.push(buffer.toString('utf8', at + 8, at + 8 + length));
    at += 8 + padded(length);
  }
  return {
    entries,
    folderErrno: view.getInt32(8, true),
    nonAscii: (flags & 1) !== 0,
    upperCase: (flags & 4) !== 0,
    cacheStale: (flags & 2) !== 0,
    vanishedFolders,
    bytesHashed: Number(view.getBigUint64(16, true)),
    filesHashed: view.getUint32(24, true),
    filesFromCache: view.getUint32(28, true),
  };
}

/** Lists and examines one folder on a worker thread; nothing is followed through links. */
export async function scanFolder(folder: string, options: FolderScanOptions): Promise<FolderScan> {
  const control = new JobControl(options.signal ? { signal: options.signal } : {});
  try {
    const packed = await control.run((buffer) => nativeAddon().scanFolder(folder, HASH_IDS[options.hash],
      options.inlineHashLimit ?? DEFAULT_INLINE_HASH_LIMIT, options.cache ?? null, buffer));
    return decode(packed);
  } catch (error) {
    throw fromNativeError(error);
  }
}

export interface CachedFolderEntry {
  name: string;
  kind: 'file' | 'folder';
  size: number;
  mtimeNs: bigint;
  inode: bigint;
  /** 32 bytes (files); ignored for folders. */
  digest?: Buffer;
}

/** A folder's cache record; `entries` must be sorted by the names' UTF-8 bytes, as scans return them. */
export function encodeFolderCache(entries: readonly CachedFolderEntry[]): Buffer {
  const names = entries.map((entry) => Buffer.from(entry.name, 'utf8'));
  let length = 0;
  for (const name of names) length += CACHE_ENTRY + padded(name.length);
  const out = Buffer.alloc(length);
  let at = 0;
  entries.forEach((entry, i) => {
    const name = names[i]!;
    out.writeUInt32LE(name.length, at);
    out[at + 4] = entry.kind === 'folder' ? 1 : 0;
    out.writeBigUInt64LE(BigInt(entry.size), at + 8);
    out.writeBigInt64LE(entry.mtimeNs, at + 16);
    out.writeBigUInt64LE(entry.inode, at + 24);
    entry.digest?.copy(out, at + 32, 0, 32);
    name.copy(out, at + CACHE_ENTRY);
    at += CACHE_ENTRY + padded(name.length);
  });
  return out;
}
