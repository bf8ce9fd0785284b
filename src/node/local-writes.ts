// Writes of a LocalDataNode. Content goes to a temporary file beside its target, is synced, read
// back and checked against the expected BLAKE3 digest and size, gets its mode and mtime, and is
// renamed into place; then the folder is synced. The version it replaces is first hard-linked
// into the trash, so at every instant the path holds the old or the new content, never a mix or
// nothing, and the old content is kept. Anything that fails leaves the target as it was.
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AbortedError, describeFailure, DigestMismatchError, IoError } from '../errors.js';
import { readFileBatch, writeFolderBatches, type BatchWriteResult, type FolderBatchToWrite } from '../engine/file-batch.js';
import { hashFile } from '../engine/hash-file.js';
import { temporaryPathFor } from '../engine/output.js';
import { deltaOfFile, patchIntoFile, signatureOfFile } from '../engine/file-streams.js';
import { BATCH_FILE_LIMIT, type EntryMetadata, type ExpectedFile, type FileFailure, type FileRead, type FileWrite, type FileWriteResult,
  type RemoveOptions, type SignatureOptions, WriteOptions, WriteOutcome, WriteSource } from './data-node.js';
import type { ResolvedPath, SourcePaths } from './source-paths.js';
import { FolderSyncs } from './folder-syncs.js';
import { groupBy } from './group-by.js';
import { partialNamesFor } from './temporary-files.js';
import { Trash } from './trash.js';

const toSeconds = (ns: bigint) => Number(ns / 1000n) / 1e6;

async function lstatOrNull(file: string) {
  return fs.lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

const ZEROS = Buffer.alloc(1 << 20);

function allZeros(chunk: Buffer): boolean {
  for (let at = 0; at < chunk.length; at += ZEROS.length) {
    const piece = chunk.subarray(at, at + ZEROS.length);
    if (!piece.equals(ZEROS.subarray(0, piece.length))) return false;
  }
  return true;
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const CREATE_OR_EMPTY = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

// The chunks of `data` into a file, synced. Runs of zeros are skipped, not written, so a sparse
// source stays sparse (and a 1 TiB empty file costs no disk).
async function writeAll(file: string, data: AsyncIterable<Buffer>, flags: number, signal?: AbortSignal): Promise<void> {
  const output = await fs.open(file, flags, 0o600);
  try {
    let position = 0;
    let holeAtEnd = false;
    for await (const chunk of data) {
      if (signal?.aborted) throw new AbortedError();
      holeAtEnd = chunk.length >= 4096 && allZeros(chunk);
      if (!holeAtEnd) {
        for (let done = 0; done < chunk.length;) done += (await output.write(chunk, done, chunk.length - done, position + done)).bytesWritten;
      }
      position += chunk.length;
    }
    if (holeAtEnd) await output.truncate(position);
    await output.sync();
  } finally {
    await output.close();
  }
}

// Large outputs are written past the page cache: on this kind of machine (a VM whose freed memory
// goes back to the host) filling fresh page-cache pages cost 0.4-3.5 s per GiB, varying from run to
// run, and the fsync after it 0.4 s more; O_DIRECT writes took 0.8-1.2 s per GiB, durable. A patch
// checks its output's digest as it writes, so nothing reads the file back.
const DIRECT_MINIMUM = 8 << 20;

async function openOutput(file: string, flags: number, expectedSize: number): Promise<FileHandle> {
  if (expectedSize >= DIRECT_MINIMUM && constants.O_DIRECT !== undefined) {
    try {
      return await fs.open(file, flags | constants.O_DIRECT, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;  // a file system without O_DIRECT
    }
  }
  return fs.open(file, flags, 0o600);
}

// The new file from the delta, patched as it arrives, synced by the same native engine.
async function patchInto(basisPath: string, delta: AsyncIterable<Buffer>, output: string, flags: number, expectedSize: number,
  signal?: AbortSignal): Promise<void> {
  const basis = await fs.open(basisPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const handle = await openOutput(output, flags, expectedSize);
    try {
      await patchIntoFile(basis, delta, handle, { sync: true, ...(signal ? { signal } : {}) });
    } finally {
      await handle.close();
    }
  } finally {
    await basis.close();
  }
}

const DELTA_MAGIC = Buffer.from('DNDL');
const DELTA_HEADER = 64;
const DELTA_TRAILER = 40;
const BLAKE3_DIGEST_ID = 1;
const SIGNATURE_MAGIC = Buffer.from('DNSG');

/** Whether a (native) signature asks for BLAKE3 as the digest its deltas carry. */
const signatureDigestIsBlake3 = (signature: Buffer) =>
  signature.length >= 14 && signature.subarray(0, 4).equals(SIGNATURE_MAGIC) && signature[13] === BLAKE3_DIGEST_ID;

/** Keeps a native delta's header and last bytes as it passes, to read the digest the patch checks against. */
class DeltaWatch {
  #head: Buffer = Buffer.alloc(0);
  #tail: Buffer = Buffer.alloc(0);

  async *observe(data: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of data) {
      if (this.#head.length < DELTA_HEADER) this.#head = Buffer.concat([this.#head, chunk.subarray(0, DELTA_HEADER - this.#head.length)]);
      this.#tail = chunk.length >= DELTA_TRAILER ? chunk.subarray(chunk.length - DELTA_TRAILER)
        : Buffer.concat([this.#tail, chunk]).subarray(-DELTA_TRAILER);
      yield chunk;
    }
  }

  /** Whether the delta (applied without error) promised the expected BLAKE3 digest and size. */
  promises(expect: ExpectedFile): boolean {
    return this.#head.length === DELTA_HEADER && this.#head.subarray(0, 4).equals(DELTA_MAGIC) && this.#head[10] === BLAKE3_DIGEST_ID &&
      this.#tail.length === DELTA_TRAILER && this.#tail.readBigUInt64LE(0) === BigInt(expect.size) &&
      this.#tail.subarray(8).equals(expect.digest);
  }
}

// Smaller files are written whole again after an interruption: a resume would save little.
const RESUMABLE_MINIMUM = 8 << 20;

interface PartialSlots {
  paths: [string, string];
  sizes: [number, number];
  /** The slot holding more (the basis of a resume). */
  fuller: 0 | 1;
}

async function partialSlots(diskPath: string, digest: Buffer): Promise<PartialSlots> {
  const dir = path.dirname(diskPath);
  const paths = partialNamesFor(path.basename(diskPath), digest).map((name) => path.join(dir, name)) as [string, string];
  const sizes = await Promise.all(paths.map(async (slot) => {
    const stats = await lstatOrNull(slot);
    return stats?.isFile() ? stats.size : 0;
  })) as [number, number];
  return { paths, sizes, fuller: sizes[1] > sizes[0] ? 1 : 0 };
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// Indexes of `items` by the folder their path is in, in order.
function byFolder<T>(items: readonly T[], pathOf: (item: T) => string): Map<string, number[]> {
  return groupBy(items.keys(), (i) => {
    const itemPath = pathOf(items[i]!);
    return itemPath.slice(0, Math.max(0, itemPath.lastIndexOf('/')));
  });
}

const failureOf = (error: unknown): FileFailure => ({ ok: false, ...describeFailure(error) });

// One folder's part of a small-file write, its paths held until the batch is settled.
interface PreparedFolder {
  /** Of the caller's files, those in `batch`, in its order. */
  indexes: number[];
  places: ResolvedPath[];
  batch: FolderBatchToWrite;
  trashFolder: string | null;
  release: () => Promise<void>;
}

/** A file written and verified: what a hash cache needs to know it without reading it again. */
export interface WrittenFile {
  place: ResolvedPath;
  size: number;
  mtimeNs: bigint;
  inode: bigint;
  digest: Buffer;
}

/** A file as it is now, to look up a digest remembered for it. */
export type FileState = Omit<WrittenFile, 'digest'>;

// Files this large are worth a look in the hash cache: a digest found there is one pass over the
// file (BLAKE3, a quarter of a second per GiB here) that a signature or delta does not make.
const RECALL_MINIMUM = 64 << 20;

export class LocalWrites {
  readonly #paths: SourcePaths;
  readonly #trash: Trash;
  readonly #folders = new FolderSyncs();
  readonly #onWritten: (file: WrittenFile) => void;
  readonly #recall: (file: FileState) => Buffer | undefined;

  /**
   * `onWritten` hears of every verified write; `recall` gives the BLAKE3 digest remembered for a
   * file in the state it is in now (same size, mtime and inode), if any.
   */
  constructor(paths: SourcePaths, trash: Trash, onWritten: (file: WrittenFile) => void = () => undefined,
    recall: (file: FileState) => Buffer | undefined = () => undefined) {
    this.#paths = paths;
    this.#trash = trash;
    this.#onWritten = onWritten;
    this.#recall = recall;
  }

  // A regular file, held: the caller releases it.
  async #regularFile(inventoryPath: string): Promise<{ place: ResolvedPath & { release: () => Promise<void> }; size: number }> {
    const place = await this.#paths.hold(inventoryPath, 'read');
    try {
      const stats = await fs.lstat(place.diskPath);
      if (!stats.isFile()) throw new IoError(`${inventoryPath} is not a regular file`, { path: place.shownPath });
      return { place, size: stats.size };
    } catch (error) {
      await place.release();
      throw error;
    }
  }

  async *read(inventoryPath: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const { input: handle, size: length } = await this.#openRegular(inventoryPath);
    try {
      // Buffers the size of the file (one byte more, so the end shows at once), at most 1 MiB: a
      // 1 MiB buffer for each of many small files was most of a small-file sync's garbage.
      const size = Math.max(4096, Math.min(length + 1, 1 << 20));
      for (;;) {
        if (signal?.aborted) throw new AbortedError();
        const buffer = Buffer.allocUnsafe(size);
        const { bytesRead } = await handle.read(buffer, 0, size, null);
        if (bytesRead === 0) return;
        yield bytesRead === size ? buffer : buffer.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }

  async readFiles(inventoryPaths: readonly string[], signal?: AbortSignal): Promise<FileRead[]> {
    const results: FileRead[] = new Array<FileRead>(inventoryPaths.length);
    await Promise.all([...byFolder(inventoryPaths, (p) => p).values()].map(async (indexes) => {
      const group = indexes.map((i) => inventoryPaths[i]!);
      try {
        const { places, release } = await this.#paths.holdSiblings(group, 'read');
        try {
          const read = await readFileBatch(`${places[0]!.folderPath}/.`, places.map((place) => path.basename(place.diskPath)),
            { maxFileBytes: BATCH_FILE_LIMIT, ...(signal ? { signal } : {}) });
          read.forEach((result, j) => {
            results[indexes[j]!] = result.ok ? { ok: true, content: result.content } : { ok: false, code: result.code, message: `${group[j]}: ${result.message}` };
          });
        } finally {
          await release();
        }
      } catch (error) {
        if (signal?.aborted) throw error;
        for (const i of indexes) results[i] = failureOf(error);
      }
    }));
    return results;
  }

  async writeFiles(files: readonly FileWrite[], options: WriteOptions = {}): Promise<FileWriteResult[]> {
    const results: FileWriteResult[] = new Array<FileWriteResult>(files.length);
    // Each folder's paths held, then one native job for all of them:
    // one durability barrier for the whole batch, whatever the number of folders.
    const settled = await Promise.allSettled([...byFolder(files, (file) => file.path).values()].map((indexes) =>
      this.#prepareFolder(indexes, files, results, options)));
    const prepared = settled.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value !== null ? [outcome.value] : []));
    const refused = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    try {
      // Only an abort gets here: the folders that were ready let go of their paths too.
      if (refused) throw refused.reason;
      if (prepared.length === 0) return results;
      let written: BatchWriteResult[][];
      try {
        written = await writeFolderBatches(prepared.map((group) => group.batch), options.signal ? { signal: options.signal } : {});
      } catch (error) {
        if (options.signal?.aborted) throw error;
        for (const group of prepared) for (const i of group.indexes) results[i] = failureOf(error);
        return results;
      }
      prepared.forEach((group, g) => this.#settleFolder(group, written[g]!, files, results));
      return results;
    } finally {
      await Promise.all(prepared.map((group) => group.release()));
    }
  }

  // One folder's files held for writing and checked; null when none of them is left to write.
  async #prepareFolder(indexes: readonly number[], files: readonly FileWrite[], results: FileWriteResult[],
    options: WriteOptions): Promise<PreparedFolder | null> {
    const group = indexes.map((i) => files[i]!);
    let release = async () => undefined as void;
    try {
      const held = await this.#paths.holdSiblings(group.map((file) => file.path), 'write');
      release = held.release;
      const places = held.places;
      // A promised size that is not what arrived fails that file alone (its digest may still match).
      const ready = group.flatMap((file, j) => {
        if (file.content.length === file.expect.size) return [j];
        results[indexes[j]!] = { ok: false, code: 'DELTANODE_ERR_DIGEST_MISMATCH', message: `${file.path}: ${file.content.length} bytes arrived, ${file.expect.size} expected` };
        return [];
      });
      if (ready.length === 0) {
        await release();
        return null;
      }
      const trashFolder = options.trash !== false ? await this.#trash.folderFor(places[0]!) : null;
      const batch: FolderBatchToWrite = {
        folder: `${places[0]!.folderPath}/.`,
        files: ready.map((j) => {
          const file = group[j]!;
          const name = path.basename(places[j]!.diskPath);
          return { name, content: file.content, mode: file.expect.mode, mtimeNs: file.expect.mtimeNs, digest: file.expect.digest,
            ...(trashFolder !== null ? { trashName: name } : {}) };
        }),
        ...(trashFolder !== null ? { trashFolder } : {}),
      };
      return { indexes: ready.map((j) => indexes[j]!), places: ready.map((j) => places[j]!), batch, trashFolder, release };
    } catch (error) {
      await release();
      if (options.signal?.aborted) throw error;
      for (const i of indexes) results[i] = failureOf(error);
      return null;
    }
  }

  #settleFolder(group: PreparedFolder, written: readonly BatchWriteResult[], files: readonly FileWrite[],
    results: FileWriteResult[]): void {
    written.forEach((result, k) => {
      const file = files[group.indexes[k]!]!;
      const place = group.places[k]!;
      if (!result.ok) {
        results[group.indexes[k]!] = { ok: false, code: result.code, message: `${file.path}: ${result.message}` };
        return;
      }
      this.#onWritten({ place, size: file.expect.size, mtimeNs: result.mtimeNs, inode: result.inode, digest: file.expect.digest });
      const replaced = result.replaced && group.trashFolder !== null ? path.join(group.trashFolder, path.basename(place.diskPath)) : null;
      results[group.indexes[k]!] = { ok: true, outcome: { size: file.expect.size, replaced } };
    });
  }

  async *signature(inventoryPath: string, options: SignatureOptions = {}): AsyncGenerator<Buffer> {
    const { signal, partialOf } = options;
    let input: FileHandle;
    let knownDigest: Buffer | undefined;
    if (partialOf) {
      const place = await this.#paths.hold(inventoryPath, 'write');
      try {
        const slots = await partialSlots(place.diskPath, partialOf);
        if (slots.sizes[slots.fuller] === 0) throw new IoError(`${inventoryPath} has no partial content to resume from`, { path: place.shownPath });
        input = await fs.open(slots.paths[slots.fuller], constants.O_RDONLY | constants.O_NOFOLLOW);
      } finally {
        await place.release();
      }
    } else {
      ({ input, digest: knownDigest } = await this.#openRegular(inventoryPath, true));
    }
    // BLAKE3 as the signature's digest: the delta made from it then carries the new file's BLAKE3,
    // which the patch checks (so the written file needs no read-back).
    try {
      yield* signatureOfFile(input, { digest: 'blake3', ...(knownDigest ? { knownDigest } : {}), ...(signal ? { signal } : {}) });
    } finally {
      await input.close();
    }
  }

  // A regular file opened for reading (the caller closes it); with `recall`, a large one comes with
  // the digest remembered for it as it is now, if any.
  async #openRegular(inventoryPath: string, recall = false): Promise<{ input: FileHandle; size: number; digest?: Buffer }> {
    const { place, size } = await this.#regularFile(inventoryPath);
    try {
      const input = await fs.open(place.diskPath, constants.O_RDONLY | constants.O_NOFOLLOW);
      if (!recall || size < RECALL_MINIMUM) return { input, size };
      try {
        const now = await input.stat({ bigint: true });
        const digest = this.#recall({ place, size: Number(now.size), mtimeNs: now.mtimeNs, inode: now.ino });
        return { input, size, ...(digest ? { digest } : {}) };
      } catch (error) {
        await input.close();
        throw error;
      }
    } finally {
      await place.release();
    }
  }

  async *delta(inventoryPath: string, signature: Buffer, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const { input, digest } = await this.#openRegular(inventoryPath, true);
    try {
      // A remembered digest is BLAKE3: of use only to a delta that carries BLAKE3 (our nodes' signatures).
      const knownDigest = digest && signatureDigestIsBlake3(signature) ? { knownDigest: digest } : {};
      yield* deltaOfFile(signature, input, { ...knownDigest, ...(signal ? { signal } : {}) });
    } finally {
      await input.close();
    }
  }

  async partial(inventoryPath: string, digest: Buffer): Promise<number> {
    const place = await this.#paths.hold(inventoryPath, 'write');
    try {
      const slots = await partialSlots(place.diskPath, digest);
      return slots.sizes[slots.fuller];
    } finally {
      await place.release();
    }
  }

  async write(inventoryPath: string, source: WriteSource, expect: ExpectedFile, options: WriteOptions = {}): Promise<WriteOutcome> {
    const place = await this.#paths.hold(inventoryPath, 'write');
    try {
      return await this.#write(place, inventoryPath, source, expect, options);
    } finally {
      await place.release();
    }
  }

  async #write(place: ResolvedPath, inventoryPath: string, source: WriteSource, expect: ExpectedFile, options: WriteOptions): Promise<WriteOutcome> {
    const existing = await lstatOrNull(place.diskPath);
    if (existing?.isDirectory()) throw new IoError(`${inventoryPath} is a folder; remove it first`, { path: place.shownPath });
    // A large file is written into a partial slot named by its digest: if the run is interrupted,
    // the next one finds what arrived and resumes from it (a delta against it) instead of starting over.
    const slots = expect.size >= RESUMABLE_MINIMUM && source.kind !== 'local' ? await partialSlots(place.diskPath, expect.digest) : null;
    const resuming = slots !== null && source.kind === 'delta' && source.basis === 'partial';
    // The slot that holds less is written, so the fuller one survives a failure of this attempt.
    const temporary = slots ? slots.paths[1 - slots.fuller]! : temporaryPathFor(place.diskPath);
    let keepPartial = false;
    // A patch checks its output against the digest its delta carries: when that is the expected
    // BLAKE3 digest, reading the file back would prove nothing more.
    let selfVerified = false;
    try {
      if (source.kind === 'local') {
        const { place: from } = await this.#regularFile(source.from);
        try {
          await fs.copyFile(from.diskPath, temporary, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
        } finally {
          await from.release();
        }
        await syncFile(temporary);
      } else if (source.kind === 'content') {
        keepPartial = slots !== null;
        await writeAll(temporary, source.data, slots ? CREATE_OR_EMPTY : CREATE_NEW, options.signal);
      } else {
        const basisPath = resuming ? slots.paths[slots.fuller] : place.diskPath;
        if (resuming ? slots.sizes[slots.fuller] === 0 : !existing?.isFile()) {
          throw new IoError(`${inventoryPath} has no ${resuming ? 'partial content' : 'current version'} to apply a delta to`, { path: place.shownPath });
        }
        const watch = new DeltaWatch();
        keepPartial = slots !== null;
        await patchInto(basisPath, watch.observe(source.data), temporary, slots ? CREATE_OR_EMPTY : CREATE_NEW, expect.size, options.signal);
        selfVerified = watch.promises(expect);
      }
      keepPartial = false;  // complete: from here on, a failure means this content is not to be kept
      if (!selfVerified) await this.#verify(temporary, inventoryPath, expect, options.signal);
      await fs.chmod(temporary, expect.mode & 0o7777);
      await fs.utimes(temporary, toSeconds(expect.mtimeNs), toSeconds(expect.mtimeNs));
      // The mtime as the file system kept it (utimes rounds), and the inode the rename keeps.
      const written = await fs.lstat(temporary, { bigint: true });
      const replaced = existing && options.trash !== false ? await this.#trash.keep(place, 'link') : null;
      await fs.rename(temporary, place.diskPath);
      if (slots) await fs.rm(slots.paths[slots.fuller], { force: true });
      await this.#folders.sync(place.folderPath);
      this.#onWritten({ place, size: expect.size, mtimeNs: written.mtimeNs, inode: written.ino, digest: expect.digest });
      return { size: expect.size, replaced };
    } catch (error) {
      // What arrived of an interrupted large transfer stays for the next run; nothing else does.
      if (!keepPartial || error instanceof DigestMismatchError) await fs.rm(temporary, { force: true });
      throw error;
    }
  }

  // Reads the written (and synced) file back: what is on disk is what was promised, or nothing moves.
  async #verify(temporary: string, inventoryPath: string, expect: ExpectedFile, signal?: AbortSignal): Promise<void> {
    const written = await hashFile(temporary, { digest: 'blake3', ...(signal ? { signal } : {}) });
    if (written.length !== expect.size || !written.digest.equals(expect.digest)) {
      throw new DigestMismatchError(`${inventoryPath}: the content received (${written.length} bytes, ` +
        `${written.digest.toString('hex').slice(0, 16)}...) is not the expected one (${expect.size} bytes, ` +
        `${expect.digest.toString('hex').slice(0, 16)}...); the source may have changed while it was sent`);
    }
  }

  async setMetadata(inventoryPath: string, metadata: EntryMetadata): Promise<void> {
    await this.#holding(inventoryPath, async (place) => {
      // Through a descriptor opened without following a link: a link swapped in after the check changes nothing.
      const handle = await fs.open(place.diskPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ELOOP') throw new IoError(`${inventoryPath} is a symlink; its mode and time are not set`, { path: place.shownPath });
        if (error.code === 'EACCES') return null;  // unreadable to us: by its name, in its held folder
        throw error;
      });
      if (!handle) {
        const stats = await fs.lstat(place.diskPath);
        await fs.chmod(place.diskPath, metadata.mode & 0o7777);
        if (stats.isFile()) await fs.utimes(place.diskPath, toSeconds(metadata.mtimeNs), toSeconds(metadata.mtimeNs));
        return;
      }
      try {
        const existing = await handle.stat();
        await handle.chmod(metadata.mode & 0o7777);
        if (existing.isFile()) await handle.utimes(toSeconds(metadata.mtimeNs), toSeconds(metadata.mtimeNs));
      } finally {
        await handle.close();
      }
    });
  }

  async makeFolder(inventoryPath: string, mode: number, options: WriteOptions = {}): Promise<void> {
    await this.#holding(inventoryPath, async (place) => {
      const existing = await lstatOrNull(place.diskPath);
      if (existing && !existing.isDirectory()) await this.#setAside(place, options.trash !== false);
      if (!existing?.isDirectory()) await fs.mkdir(place.diskPath, { mode: mode & 0o7777 });
      const folder = await fs.open(place.diskPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        await folder.chmod(mode & 0o7777);
      } finally {
        await folder.close();
      }
      await this.#folders.sync(place.folderPath);
    });
  }

  async makeLink(inventoryPath: string, target: string, options: WriteOptions = {}): Promise<void> {
    await this.#holding(inventoryPath, async (place) => {
      const temporary = temporaryPathFor(place.diskPath);
      await fs.symlink(target, temporary);
      try {
        const existing = await lstatOrNull(place.diskPath);
        if (existing?.isDirectory()) await this.#setAside(place, options.trash !== false);
        else if (existing && options.trash !== false) await this.#trash.keep(place, 'link');
        await fs.rename(temporary, place.diskPath);
        await this.#folders.sync(place.folderPath);
      } catch (error) {
        await fs.rm(temporary, { force: true });
        throw error;
      }
    });
  }

  async remove(inventoryPath: string, options: RemoveOptions = {}): Promise<void> {
    await this.#holding(inventoryPath, async (place) => {
      if (place.relative === '') throw new IoError(`${inventoryPath} is a source root; it is never removed`, { path: place.shownPath });
      if (!await lstatOrNull(place.diskPath)) return;
      await this.#setAside(place, options.trash !== false);
      await this.#folders.sync(place.folderPath);
    });
  }

  async #holding(inventoryPath: string, work: (place: ResolvedPath) => Promise<void>): Promise<void> {
    const place = await this.#paths.hold(inventoryPath, 'write');
    try {
      await work(place);
    } finally {
      await place.release();
    }
  }

  // Moves an entry out of the way: into the trash, or deleted.
  async #setAside(place: ResolvedPath, keep: boolean): Promise<void> {
    if (keep) await this.#trash.keep(place, 'move');
    else await fs.rm(place.diskPath, { recursive: true, force: true });
  }
}
