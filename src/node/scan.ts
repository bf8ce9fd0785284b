// Streams the entries of one source folder in inventory order (see paths.ts), in batches: a
// depth-first walk over sorted names in which native jobs scan the folders (list, lstat, link
// targets, cache matching, hashing of small files), a few sibling folders per job, listed ahead.
// Per folder only that folder's entries are in memory. Links are recorded, never followed;
// special files are skipped and reported; an entry that cannot be read becomes an error entry
// instead of ending the walk.
import { constants as osConstants } from 'node:os';
import { promises as fs } from 'node:fs';
import { AbortedError, IoError } from '../errors.js';
import { DEFAULT_INLINE_HASH_LIMIT, encodeFolderCache, scanFolders, type CachedFolderEntry,
  type FolderScan } from '../engine/folder-scan.js';
import type { HashPolicy, InventoryEntry, InventoryProgress, SkippedEntry } from './entries.js';
import type { HashCache } from './hash-cache.js';
import type { IgnoreRules } from './ignore.js';
import { errnoError, InventoryMeter, LargeFileHasher } from './inventory.js';
import { childPath, collisionKey, normalizeName } from './paths.js';

export type { ScanEntry, SkippedEntry, EntryType } from './entries.js';

export interface ScanOptions {
  /** Rules of the source and the node, tested in that order (any match ignores). */
  ignore?: readonly IgnoreRules[];
  /** Entries skipped whatever the rules say (the node's own state and temporary files). */
  isInternal?: (name: string, diskPath: string) => boolean;
  /** Digests: 'none' (default), 'quick' (reuse the cache's while size, mtime and inode match), 'full'. */
  hash?: HashPolicy;
  /** Where digests are remembered between runs; its key for this source is the alias. */
  cache?: HashCache | null;
  /** Folders listed ahead of the walk (native jobs in flight or waiting to be read). */
  prefetch?: number;
  /** Files larger than `inlineHashLimit` hashed at once. */
  hashConcurrency?: number;
  /** Files up to this size are hashed inside their folder's job. */
  inlineHashLimit?: number;
  /** Entries per batch at most. */
  batchSize?: number;
  /** Shared counters when several sources make one inventory. */
  meter?: InventoryMeter;
  onProgress?: (progress: InventoryProgress) => void;
  onSkip?: (skipped: SkippedEntry) => void;
  signal?: AbortSignal;
}

interface FolderTask {
  /** The folder's own entry, the first of its walk. */
  entry: InventoryEntry;
  /** Relative to the root, NFC: what ignore rules match. */
  relative: string;
  /** Relative to the root in the disk's spelling: the folder's key in the hash cache. */
  cacheKey: string;
  scan: Promise<FolderScan> | null;
}

// A folder's entries in inventory order, by index into its scan.
interface Listing {
  order: number[];
  /** On disk, by index. */
  names: string[];
  /** NFC, by index (the same array as `names` when every name is ASCII). */
  normalized: string[];
  collisions: Map<number, 'case' | 'normalization'> | null;
}

const isTask = (item: InventoryEntry | FolderTask): item is FolderTask => 'cacheKey' in item;
// Folder results listed ahead and not yet walked, at most.
const UNREAD_LIMIT = 64;
// Sibling folders scanned by one native job, at most.
const FOLDERS_PER_JOB = 8;
const join = (folder: string, name: string) => (folder.endsWith('/') ? `${folder}${name}` : `${folder}/${name}`);

// Inventory order of a folder's entries; siblings that would be one file on a case-insensitive
// or normalising file system are flagged.
function listing(scan: FolderScan): Listing {
  const names: string[] = new Array(scan.count);
  for (let i = 0; i < scan.count; i++) names[i] = scan.name(i);
  const normalized = scan.nonAscii ? names.map(normalizeName) : names;
  const order = Array.from({ length: scan.count }, (_, i) => i);
  // The native job sorts by bytes, which is inventory order for ASCII names.
  if (scan.nonAscii) {
    order.sort((a, b) => {
      const x = normalized[a]!;
      const y = normalized[b]!;
      return x < y ? -1 : x > y ? 1 : names[a]! < names[b]! ? -1 : 1;
    });
  }
  // Lower-case ASCII names cannot collide.
  if (!scan.nonAscii && !scan.upperCase) return { order, names, normalized, collisions: null };
  const groups = new Map<string, number[]>();
  for (const i of order) {
    const key = scan.nonAscii ? collisionKey(normalized[i]!) : normalized[i]!.toLowerCase();
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  const collisions = new Map<number, 'case' | 'normalization'>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const sameName = group.some((a) => group.some((b) => a !== b && normalized[a] === normalized[b]));
    for (const i of group) collisions.set(i, sameName ? 'normalization' : 'case');
  }
  return { order, names, normalized, collisions };
}

function folderEntry(path: string, diskPath: string, raw: { mode: number; mtimeNs: bigint; inode: bigint; device: bigint }): InventoryEntry {
  return { path, diskPath, type: 'folder', size: 0, mtimeNs: raw.mtimeNs, mode: raw.mode & 0o7777, inode: raw.inode, device: raw.device };
}

/**
 * Batches of entries of the folder `root`, named `alias/...`; the first entry is the root itself
 * (path `alias`). Order: see comparePaths.
 */
export async function* scanSource(alias: string, root: string, options: ScanOptions = {}): AsyncGenerator<InventoryEntry[]> {
  const { isInternal = () => false, hash = 'none', prefetch = 4, batchSize = 2048, onSkip, signal } = options;
  const cache = hash === 'none' ? null : options.cache ?? null;
  const inlineHashLimit = options.inlineHashLimit ?? DEFAULT_INLINE_HASH_LIMIT;
  const rules = (options.ignore ?? []).filter((set) => set.size > 0);
  const ignored = rules.length === 0 ? () => false : (relative: string, folder: boolean) => rules.some((set) => set.ignores(relative, folder));
  const meter = options.meter ?? new InventoryMeter(options.onProgress);
  const hasher = new LargeFileHasher(options.hashConcurrency ?? 4, meter, signal);

  const realRoot = await fs.realpath(root).catch((error: NodeJS.ErrnoException) => {
    throw new IoError(`source ${alias}: ${root} ${error.code === 'ENOENT' ? 'does not exist' : `cannot be opened (${error.code ?? error.message})`}`,
      { ...(typeof error.errno === 'number' ? { errno: -error.errno } : {}), path: root }, { cause: error });
  });
  const rootStats = await fs.stat(realRoot, { bigint: true });
  if (!rootStats.isDirectory()) throw new IoError(`source ${alias}: ${root} is not a folder`, { path: root });

  // Folder jobs run `prefetch` at a time, in walk order as far as it is known: `levels` are the
  // sub-folders still to walk at each depth of the current path, deepest last, and the deepest
  // come next. Results not yet read by the walk are bounded too (memory).
  let running = 0;
  let unread = 0;
  const levels: Array<{ tasks: FolderTask[]; next: number }> = [];
  const topUp = () => {
    for (let depth = levels.length - 1; depth >= 0 && running < prefetch && unread < UNREAD_LIMIT; depth--) {
      const level = levels[depth]!;
      while (level.next < level.tasks.length && running < prefetch && unread < UNREAD_LIMIT) {
        const group = level.tasks.slice(level.next, level.next + Math.min(FOLDERS_PER_JOB, UNREAD_LIMIT - unread));
        level.next += group.length;
        const waiting = group.filter((task) => !task.scan);
        if (waiting.length > 0) startJob(waiting);
      }
    }
  };
  const startJob = (tasks: FolderTask[]) => {
    running++;
    unread += tasks.length;
    const job = scanFolders(tasks.map((task) => ({ path: task.entry.diskPath, cache: cache?.folder(alias, task.cacheKey) ?? null })),
      { hash, inlineHashLimit, ...(signal ? { signal } : {}) });
    tasks.forEach((task, k) => {
      task.scan = job.then((scans) => scans[k]!);
      // Read (and its error thrown) when the walk gets there, or never if the walk stops first.
      task.scan.catch(() => undefined);
    });
    // Meanwhile the next job starts.
    job.then(() => undefined, () => undefined).then(() => {
      running--;
      topUp();
    });
  };
  const start = (task: FolderTask): Promise<FolderScan> => {
    if (!task.scan) startJob([task]);
    return task.scan!;
  };

  async function* walk(task: FolderTask): AsyncGenerator<InventoryEntry[]> {
    if (signal?.aborted) throw new AbortedError();
    let scan: FolderScan;
    try {
      scan = await start(task);
    } finally {
      unread--;
    }
    meter.progress.filesHashed += scan.filesHashed;
    meter.progress.filesFromCache += scan.filesFromCache;
    meter.progress.bytesHashed += scan.bytesHashed;
    if (scan.folderErrno) task.entry.error = errnoError(scan.folderErrno, `listing ${task.entry.path}`);
    for (const gone of scan.vanishedFolders) cache?.forgetTree(alias, childPath(task.cacheKey, gone));

    const items: Array<InventoryEntry | FolderTask> = [];
    const subfolders: FolderTask[] = [];
    const largeFiles: Array<Promise<void>> = [];
    const hashedHere = new Map<number, InventoryEntry>();
    const { order, names, normalized, collisions } = listing(scan);
    for (const i of order) {
      const name = names[i]!;
      const diskPath = join(task.entry.diskPath, name);
      if (isInternal(name, diskPath)) continue;
      const path = `${task.entry.path}/${normalized[i]!}`;
      const relative = rules.length > 0 ? childPath(task.relative, normalized[i]!) : '';
      const collision = collisions?.get(i);
      const unreadable = (error: { code: string; message: string }): InventoryEntry => ({ path, diskPath, type: 'file', size: 0,
        mtimeNs: 0n, mode: 0, inode: 0n, device: 0n, error, ...(collision ? { collision } : {}) });
      if (scan.nameNotUtf8(i)) {
        items.push(unreadable({ code: 'EILSEQ', message: `the name of ${path} is not valid UTF-8` }));
        continue;
      }
      const statErrno = scan.statErrno(i);
      if (statErrno) {
        if (statErrno === osConstants.errno.ENOENT) onSkip?.({ path, diskPath, reason: 'vanished' });
        else if (!ignored(relative, false)) items.push(unreadable(errnoError(statErrno, `reading ${path}`)));
        continue;
      }
      const type = scan.type(i);
      if (ignored(relative, type === 'folder')) continue;
      if (type === 'special' || type === 'unknown') {
        onSkip?.({ path, diskPath, reason: 'special' });
        continue;
      }
      if (type === 'folder') {
        const entry = folderEntry(path, diskPath, { mode: scan.mode(i), mtimeNs: scan.mtimeNs(i), inode: scan.inode(i), device: scan.device(i) });
        if (collision) entry.collision = collision;
        const sub: FolderTask = { entry, relative, cacheKey: childPath(task.cacheKey, name), scan: null };
        items.push(sub);
        subfolders.push(sub);
        continue;
      }
      const entry: InventoryEntry = { path, diskPath, type, size: scan.size(i), mtimeNs: scan.mtimeNs(i), mode: scan.mode(i) & 0o7777,
        inode: scan.inode(i), device: scan.device(i) };
      if (collision) entry.collision = collision;
      if (type === 'symlink') {
        const target = scan.linkTarget(i);
        if (target !== undefined) entry.linkTarget = target;
      }
      if (scan.changedWhileHashed(i)) entry.changedDuringScan = true;
      const state = scan.digestState(i);
      if (state === 'cache' || state === 'hashed') {
        entry.digest = scan.digest(i)!;
        entry.digestSource = state;
        if (scan.silentCorruption(i)) entry.silentCorruption = true;
      } else if (state === 'failed') {
        entry.error = errnoError(scan.hashErrno(i), `reading ${path}`);
      } else if (state === 'pending') {
        largeFiles.push(hasher.hash(entry, scan.digest(i)));
        hashedHere.set(i, entry);
      }
      items.push(entry);
    }

    levels.push({ tasks: subfolders, next: 0 });
    try {
      topUp();
      if (largeFiles.length > 0) await Promise.all(largeFiles);
      let batch: InventoryEntry[] = [task.entry];
      for (const item of items) {
        if (isTask(item)) {
          if (batch.length > 0) yield batch;
          batch = [];
          yield* walk(item);
          topUp();
          continue;
        }
        batch.push(item);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      levels.pop();
    }
    if (cache && scan.cacheStale) cache.storeFolder(alias, task.cacheKey, encodeFolderCache(cacheRecord(scan, names, hashedHere)));
  }

  const rootEntry = folderEntry(normalizeName(alias), realRoot, { mode: Number(rootStats.mode), mtimeNs: rootStats.mtimeNs,
    inode: rootStats.ino, device: rootStats.dev });
  yield* walk({ entry: rootEntry, relative: '', cacheKey: '', scan: null });
}

// What the cache keeps of a folder: its files with a trustworthy digest and its sub-folders, in
// the byte order the native job listed them.
function cacheRecord(scan: FolderScan, names: readonly string[], hashedHere: ReadonlyMap<number, InventoryEntry>): CachedFolderEntry[] {
  const record: CachedFolderEntry[] = [];
  for (let i = 0; i < scan.count; i++) {
    const type = scan.type(i);
    if (scan.statErrno(i) || scan.nameNotUtf8(i) || (type !== 'folder' && type !== 'file')) continue;
    const base = { name: names[i]!, size: scan.size(i), mtimeNs: scan.mtimeNs(i), inode: scan.inode(i) };
    if (type === 'folder') {
      record.push({ ...base, kind: 'folder' });
      continue;
    }
    const late = hashedHere.get(i);
    const state = scan.digestState(i);
    const digest = late ? (late.changedDuringScan || late.error ? undefined : late.digest)
      : scan.changedWhileHashed(i) || (state !== 'cache' && state !== 'hashed') ? undefined : scan.digest(i);
    if (digest) record.push({ ...base, kind: 'file', digest });
  }
  return record;
}
