// One folder of an inventory per native call: its entries with lstat metadata and link targets,
// matched against the hash cache's record of the folder, small files hashed on the worker thread.
// This module decodes the packed result (layout: native/scan_folder.h) and encodes cache records.
import { fromNativeError } from '../errors.js';
import { JobControl } from './control.js';
import { hash } from './hash.js';
import { nativeAddon } from './native.js';

export type FolderEntryType = 'file' | 'folder' | 'symlink' | 'special' | 'unknown';
export type HashMode = 'none' | 'quick' | 'full';

/**
 * Where an entry's digest stands: from the cache (`cache`), read by the job (`hashed`), left to
 * the caller (`pending`: larger than the inline limit; the digest, if any, is then the cached one,
 * for corruption checks), or `failed` (reading it failed with its hash errno).
 */
export type DigestState = 'none' | 'cache' | 'hashed' | 'pending' | 'failed';

/**
 * One listed folder. Entries are read by index (sorted by the names' UTF-8 bytes): a walk over
 * millions of entries builds its own objects from these fields without an intermediate one
 * per entry.
 */
export class FolderScan {
  /** errno of opening or listing the folder; 0 when it was listed. */
  readonly folderErrno: number;
  /** Some name is not plain ASCII (byte order may then differ from inventory order). */
  readonly nonAscii: boolean;
  /** Some name has an upper-case ASCII letter (names may then collide once case is folded). */
  readonly upperCase: boolean;
  /** The cache record does not describe the folder's files exactly: store a new one. */
  readonly cacheStale: boolean;
  /** Sub-folders the cache record knew that are no longer there: their records can go. */
  readonly vanishedFolders: string[] = [];
  readonly bytesHashed: number;
  readonly filesHashed: number;
  readonly filesFromCache: number;
  readonly count: number;
  readonly #buffer: Buffer;
  readonly #view: DataView;
  readonly #offsets: Uint32Array;
  // Entries of a folder are nearly always on one device: one BigInt for all of them.
  #device = 0n;
  #deviceLow = -1;
  #deviceHigh = -1;

  constructor(buffer: Buffer) {
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.#buffer = buffer;
    this.#view = view;
    this.count = view.getUint32(0, true);
    const flags = view.getUint32(4, true);
    this.folderErrno = view.getInt32(8, true);
    this.nonAscii = (flags & 1) !== 0;
    this.cacheStale = (flags & 2) !== 0;
    this.upperCase = (flags & 4) !== 0;
    this.bytesHashed = Number(view.getBigUint64(16, true));
    this.filesHashed = view.getUint32(24, true);
    this.filesFromCache = view.getUint32(28, true);
    this.#offsets = new Uint32Array(this.count);
    let at = HEADER;
    for (let i = 0; i < this.count; i++) {
      this.#offsets[i] = at;
      at += ENTRY + padded(view.getUint32(at, true)) + padded(view.getUint32(at + 4, true));
    }
    const vanished = view.getUint32(12, true);
    for (let i = 0; i < vanished; i++) {
      const length = view.getUint32(at, true);
      this.vanishedFolders.push(buffer.toString('utf8', at + 8, at + 8 + length));
      at += 8 + padded(length);
    }
  }

  name(i: number): string {
    const at = this.#offsets[i]!;
    return this.#buffer.toString('utf8', at + ENTRY, at + ENTRY + this.#view.getUint32(at, true));
  }
  type(i: number): FolderEntryType { return TYPES[this.#buffer[this.#offsets[i]! + 8]!]!; }
  digestState(i: number): DigestState { return DIGEST_STATES[this.#buffer[this.#offsets[i]! + 9]!]!; }
  #flags(i: number): number { return this.#buffer[this.#offsets[i]! + 10]!; }
  changedWhileHashed(i: number): boolean { return (this.#flags(i) & 1) !== 0; }
  silentCorruption(i: number): boolean { return (this.#flags(i) & 2) !== 0; }
  nameNotUtf8(i: number): boolean { return (this.#flags(i) & 4) !== 0; }
  statErrno(i: number): number { return this.#view.getInt32(this.#offsets[i]! + 12, true); }
  mode(i: number): number { return this.#view.getUint32(this.#offsets[i]! + 16, true); }
  hashErrno(i: number): number { return this.#view.getInt32(this.#offsets[i]! + 20, true); }
  size(i: number): number {
    const at = this.#offsets[i]!;
    return this.#view.getUint32(at + 24, true) + this.#view.getUint32(at + 28, true) * 2 ** 32;
  }
  mtimeNs(i: number): bigint { return this.#view.getBigInt64(this.#offsets[i]! + 32, true); }
  inode(i: number): bigint { return this.#view.getBigUint64(this.#offsets[i]! + 40, true); }
  device(i: number): bigint {
    const at = this.#offsets[i]!;
    const low = this.#view.getUint32(at + 48, true);
    const high = this.#view.getUint32(at + 52, true);
    if (low !== this.#deviceLow || high !== this.#deviceHigh) {
      this.#deviceLow = low;
      this.#deviceHigh = high;
      this.#device = this.#view.getBigUint64(at + 48, true);
    }
    return this.#device;
  }
  /** A view into the result (one allocation per folder, not per digest); undefined when there is none. */
  digest(i: number): Buffer | undefined {
    const at = this.#offsets[i]!;
    const state = this.#buffer[at + 9]!;
    if (state !== 1 && state !== 2 && (this.#buffer[at + 10]! & 8) === 0) return undefined;
    return this.#buffer.subarray(at + 56, at + 88);
  }
  linkTarget(i: number): string | undefined {
    const at = this.#offsets[i]!;
    if (this.#buffer[at + 8] !== 2 || this.statErrno(i) !== 0) return undefined;
    const linkAt = at + ENTRY + padded(this.#view.getUint32(at, true));
    return this.#buffer.toString('utf8', linkAt, linkAt + this.#view.getUint32(at + 4, true));
  }
}

export interface FolderScanOptions {
  hash: HashMode;
  /** Files up to this many bytes are hashed inside the job; larger ones come back `pending`. */
  inlineHashLimit?: number;
  signal?: AbortSignal;
}

/** One folder to scan: its path, and its record from the hash cache (or null). */
export interface FolderToScan {
  path: string;
  cache: Buffer | null;
}

const TYPES: readonly FolderEntryType[] = ['file', 'folder', 'symlink', 'special', 'unknown'];
const DIGEST_STATES: ReadonlyArray<DigestState> = ['none', 'cache', 'hashed', 'pending', 'failed'];
const HASH_IDS = { none: 0, quick: 1, full: 2 } as const;
const HEADER = 32;
const ENTRY = 88;
const CACHE_ENTRY = 64;
const CACHE_CHECKSUM = 16;
const padded = (n: number) => (n + 7) & ~7;
export const DEFAULT_INLINE_HASH_LIMIT = 1 << 20;

/**
 * Lists and examines folders, in one job on a worker thread, nothing followed through links: one
 * scan per folder, in order. (Folders of cached files are quick to scan: the job's own overhead
 * then counts, and several folders share it.)
 */
export async function scanFolders(folders: readonly FolderToScan[], options: FolderScanOptions): Promise<FolderScan[]> {
  const control = new JobControl(options.signal ? { signal: options.signal } : {});
  try {
    const packed = await control.run((buffer) => nativeAddon().scanFolders(folders.map((folder) => folder.path), HASH_IDS[options.hash],
      options.inlineHashLimit ?? DEFAULT_INLINE_HASH_LIMIT, folders.map((folder) => folder.cache), buffer));
    return packed.map((result) => new FolderScan(result));
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

/**
 * A folder's cache record; `entries` must be sorted by the names' UTF-8 bytes, as scans return
 * them. It ends with a checksum, so a damaged record is never trusted.
 */
export function encodeFolderCache(entries: readonly CachedFolderEntry[]): Buffer {
  const names = entries.map((entry) => Buffer.from(entry.name, 'utf8'));
  let length = CACHE_CHECKSUM;
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
  hash('xxh3-128', out.subarray(0, at)).copy(out, at);
  return out;
}

/** The entries of a cache record, or null when it is damaged (checksum) or malformed. */
export function decodeFolderCache(record: Buffer): CachedFolderEntry[] | null {
  if (record.length < CACHE_CHECKSUM) return null;
  const end = record.length - CACHE_CHECKSUM;
  if (!hash('xxh3-128', record.subarray(0, end)).equals(record.subarray(end))) return null;
  const entries: CachedFolderEntry[] = [];
  for (let at = 0; at < end;) {
    if (end - at < CACHE_ENTRY) return null;
    const nameLength = record.readUInt32LE(at);
    if (nameLength === 0 || end - at - CACHE_ENTRY < padded(nameLength)) return null;
    const kind = record[at + 4] === 1 ? 'folder' : 'file';
    entries.push({ name: record.toString('utf8', at + CACHE_ENTRY, at + CACHE_ENTRY + nameLength), kind,
      size: Number(record.readBigUInt64LE(at + 8)), mtimeNs: record.readBigInt64LE(at + 16), inode: record.readBigUInt64LE(at + 24),
      ...(kind === 'file' ? { digest: Buffer.from(record.subarray(at + 32, at + 64)) } : {}) });
    at += CACHE_ENTRY + padded(nameLength);
  }
  return entries;
}
