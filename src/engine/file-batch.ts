// Many small files per native call (of one or more folders for writes, one folder for reads).
// Written one by one from JavaScript, a small file costs about a dozen trips through the libuv
// pool (open, write, fsync, close, read-back, chmod, utimes, lstat, rename, folder fsync) and a
// read about five; a batch makes all of those calls in one job on a worker thread, and a write
// batch pays for one durability barrier instead of an fsync per file. Semantics: native/file_batch.h. Arguments are checked here; the addon assumes
// them well formed.
import type { NativeBatchFiles, NativeBatchOutcomes } from '../../typings/addon.js';
import { AbortedError, InvalidArgumentError, fromNativeError, type DeltanodeErrorCode } from '../errors.js';
import { JobControl } from './control.js';
import { nativeAddon } from './native.js';

export interface BatchFileToWrite {
  /** One path segment: not empty, `.` or `..`, no `/` or NUL. */
  name: string;
  /** The whole new content (small files: keep a batch to a few MiB). */
  content: Buffer;
  /** Permission bits to apply (`mode & 0o7777`). */
  mode: number;
  /** The mtime to apply, in nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** The expected BLAKE3-256 (32 bytes) of `content`; what is read back must match it. */
  digest: Buffer;
  /** When set and an entry exists at `name`: it is hard-linked as `trashFolder/trashName` before being replaced. */
  trashName?: string;
}

export type BatchFailure = { ok: false; code: DeltanodeErrorCode; errno?: number; message: string };

export type BatchWriteResult =
  | { ok: true; inode: bigint; /** As the file system stored it. */ mtimeNs: bigint; replaced: boolean }
  | BatchFailure;

export type BatchReadResult =
  | { ok: true; /** A view into one buffer shared by the batch. */ content: Buffer; size: number; mtimeNs: bigint; inode: bigint }
  | BatchFailure;

export interface WriteFolderBatchesOptions {
  /** Checked before the job starts and between files until the barrier; an aborted batch leaves nothing behind. */
  signal?: AbortSignal;
}

export interface WriteFileBatchOptions extends WriteFolderBatchesOptions {
  /** Where replaced entries are hard-linked, on the folder's file system: made (with missing parents) when the first one is kept. */
  trashFolder?: string;
}

export interface ReadFileBatchOptions {
  /** A larger file is an error result (errno EFBIG). Default 1 MiB. */
  maxFileBytes?: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_BATCH_FILE_BYTES = 1 << 20;

// BatchStatus of native/file_batch.h.
const STATUS_CODES: readonly DeltanodeErrorCode[] = ['DELTANODE_ERR_INTERNAL', 'DELTANODE_ERR_IO', 'DELTANODE_ERR_DIGEST_MISMATCH'];
const WRITE_RECORD = 24;
const READ_RECORD = 40;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
// In a /u regular expression a well-formed surrogate pair is one code point: this finds only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

function checkSegment(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || name.includes('/') ||
    name.includes('\0') || LONE_SURROGATE.test(name)) {
    throw new InvalidArgumentError(`${what} must be one path segment (not empty, . or .., no / or NUL, valid Unicode): ${JSON.stringify(name)}`);
  }
}

function checkFolder(what: string, folder: unknown): asserts folder is string {
  if (typeof folder !== 'string' || folder === '' || folder.includes('\0')) {
    throw new InvalidArgumentError(`${what} must be a non-empty path without NUL`);
  }
}

function checkFile(file: BatchFileToWrite, index: number, trashFolder: string | undefined): void {
  if (typeof file !== 'object' || file === null) throw new InvalidArgumentError(`files[${index}] must be an object`);
  checkSegment(`files[${index}].name`, file.name);
  if (!(file.content instanceof Uint8Array)) throw new InvalidArgumentError(`files[${index}].content must be a Buffer`);
  if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0xffffffff) {
    throw new InvalidArgumentError(`files[${index}].mode must be a non-negative integer`);
  }
  if (typeof file.mtimeNs !== 'bigint' || file.mtimeNs < INT64_MIN || file.mtimeNs > INT64_MAX) {
    throw new InvalidArgumentError(`files[${index}].mtimeNs must be a bigint within 64 bits`);
  }
  if (!(file.digest instanceof Uint8Array) || file.digest.length !== 32) {
    throw new InvalidArgumentError(`files[${index}].digest must be a 32-byte Buffer`);
  }
  if (file.trashName !== undefined) {
    checkSegment(`files[${index}].trashName`, file.trashName);
    if (trashFolder === undefined) throw new InvalidArgumentError(`files[${index}].trashName needs options.trashFolder`);
  }
}

function failure(code: number, errno: number, message: string | undefined): BatchFailure {
  const result: BatchFailure = { ok: false, code: STATUS_CODES[code] ?? 'DELTANODE_ERR_INTERNAL', message: message ?? 'failed' };
  if (errno !== 0) result.errno = errno;
  return result;
}

/** Checked files in the addon's form: one array per field (modes masked to permission bits). */
export function packBatchFiles(files: readonly BatchFileToWrite[]): NativeBatchFiles {
  const count = files.length;
  const packed: NativeBatchFiles = { names: new Array<string>(count), contents: new Array<Buffer>(count), modes: new Uint32Array(count),
    mtimesNs: new BigInt64Array(count), digests: Buffer.allocUnsafe(count * 32), trashNames: null };
  files.forEach((file, i) => {
    packed.names[i] = file.name;
    packed.contents[i] = file.content;
    packed.modes[i] = file.mode & 0o7777;
    packed.mtimesNs[i] = file.mtimeNs;
    packed.digests.set(file.digest, i * 32);
    if (file.trashName !== undefined) (packed.trashNames ??= new Array<string | null>(count).fill(null))[i] = file.trashName;
  });
  return packed;
}

/** One folder's files of a write batch. */
export interface FolderBatchToWrite {
  folder: string;
  files: readonly BatchFileToWrite[];
  /** Where replaced entries of this folder are hard-linked, on its file system: made (with missing parents) when the first one is kept. */
  trashFolder?: string;
}

/**
 * Writes small files into one folder in one native job: each to a temporary file, checked against
 * its digest when read back, with its mode and mtime; then one durability barrier for the batch;
 * then each renamed into place (the entry it replaces first hard-linked into the trash when it has
 * a `trashName`) and the folder synced once. One result per file, in order; a file that fails
 * leaves its old entry as it was and no temporary file. The promise rejects only for an abort
 * (DELTANODE_ERR_ABORTED) or a bug: a folder that cannot be opened fails every file.
 */
export async function writeFileBatch(folder: string, files: readonly BatchFileToWrite[],
  options: WriteFileBatchOptions = {}): Promise<BatchWriteResult[]> {
  const group: FolderBatchToWrite = { folder, files, ...(options.trashFolder !== undefined ? { trashFolder: options.trashFolder } : {}) };
  const [results] = await writeFolderBatches([group], options.signal ? { signal: options.signal } : {});
  return results!;
}

/**
 * writeFileBatch for the files of several folders in one job: every file of every folder is
 * written and checked, then one durability barrier covers them all (a syncfs per file system, or an
 * fsync of each file in small jobs), then each folder's files are renamed into place and the folder
 * synced. One result list per group, in order. A group whose folder cannot be opened fails its
 * files only.
 */
export async function writeFolderBatches(groups: readonly FolderBatchToWrite[],
  options: WriteFolderBatchesOptions = {}): Promise<BatchWriteResult[][]> {
  if (!Array.isArray(groups)) throw new InvalidArgumentError('groups must be an array');
  groups.forEach((group, g) => {
    if (typeof group !== 'object' || group === null) throw new InvalidArgumentError(`groups[${g}] must be an object`);
    checkFolder(`groups[${g}].folder`, group.folder);
    if (group.trashFolder !== undefined) checkFolder(`groups[${g}].trashFolder`, group.trashFolder);
    if (!Array.isArray(group.files as unknown)) throw new InvalidArgumentError(`groups[${g}].files must be an array`);
    const names = new Set<string>();
    group.files.forEach((file: BatchFileToWrite, i: number) => {
      checkFile(file, i, group.trashFolder);
      if (names.has(file.name)) throw new InvalidArgumentError(`files[${i}].name appears twice in the batch: ${JSON.stringify(file.name)}`);
      names.add(file.name);
    });
  });
  if (options.signal?.aborted) throw new AbortedError();
  const nonEmpty = groups.filter((group) => group.files.length > 0);
  if (nonEmpty.length === 0) return groups.map(() => []);
  const packed = nonEmpty.map((group) => ({ folder: group.folder, files: packBatchFiles(group.files), trashFolder: group.trashFolder ?? null }));
  const control = new JobControl(options.signal ? { signal: options.signal } : {});
  let outcomes: NativeBatchOutcomes;
  try {
    outcomes = await control.run((buffer) => nativeAddon().writeFileBatch(packed, 0, buffer));
  } catch (error) {
    throw fromNativeError(error);
  }
  const { records, messages } = outcomes;
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  let at = 0;
  return groups.map((group) => group.files.map(() => {
    const record = at++;
    const offset = record * WRITE_RECORD;
    const status = records[offset]!;
    return status === 0
      ? { ok: true, inode: view.getBigUint64(offset + 8, true), mtimeNs: view.getBigInt64(offset + 16, true), replaced: records[offset + 1] === 1 }
      : failure(status, view.getInt32(offset + 4, true), messages?.[record]);
  }));
}

/**
 * Reads small files of one folder in one native job, without following links: each must be a
 * regular file of at most `maxFileBytes`, unchanged (size, mtime, ctime) while it was read. The
 * contents are views into one buffer for the whole batch. One result per name, in order.
 */
export async function readFileBatch(folder: string, names: readonly string[],
  options: ReadFileBatchOptions = {}): Promise<BatchReadResult[]> {
  checkFolder('folder', folder);
  if (!Array.isArray(names)) throw new InvalidArgumentError('names must be an array');
  names.forEach((name, i) => checkSegment(`names[${i}]`, name));
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_BATCH_FILE_BYTES;
  if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < 0) {
    throw new InvalidArgumentError('options.maxFileBytes must be a non-negative integer');
  }
  if (options.signal?.aborted) throw new AbortedError();
  if (names.length === 0) return [];
  const control = new JobControl(options.signal ? { signal: options.signal } : {});
  let outcomes: NativeBatchOutcomes & { data: Buffer };
  try {
    outcomes = await control.run((buffer) => nativeAddon().readFileBatch(folder, names, maxFileBytes, buffer));
  } catch (error) {
    throw fromNativeError(error);
  }
  const { records, messages, data } = outcomes;
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const results: BatchReadResult[] = new Array<BatchReadResult>(names.length);
  for (let i = 0; i < names.length; i++) {
    const at = i * READ_RECORD;
    const status = records[at]!;
    if (status !== 0) {
      results[i] = failure(status, view.getInt32(at + 4, true), messages?.[i]);
      continue;
    }
    const offset = Number(view.getBigUint64(at + 8, true));
    const size = Number(view.getBigUint64(at + 16, true));
    results[i] = { ok: true, content: data.subarray(offset, offset + size), size, mtimeNs: view.getBigInt64(at + 24, true),
      inode: view.getBigUint64(at + 32, true) };
  }
  return results;
}
