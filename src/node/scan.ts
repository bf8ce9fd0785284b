// Streams the entries of one source folder in inventory order (see paths.ts): a depth-first walk
// over sorted names, a bounded number of lstat calls in flight, and per folder only that folder's
// names in memory. Links are recorded, never followed; special files are skipped and reported;
// an entry that cannot be read becomes an error entry instead of ending the walk.
import type { BigIntStats, Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { childPath, collisionKey, normalizeName } from './paths.js';
import type { IgnoreRules } from './ignore.js';

export type EntryType = 'file' | 'folder' | 'symlink';

export interface ScanEntry {
  /** `alias/relative/path`, NFC. */
  path: string;
  /** Where it is on disk, in the disk's own spelling. */
  diskPath: string;
  type: EntryType;
  /** Bytes for files; 0 for folders; the target's length for links. */
  size: number;
  mtimeNs: bigint;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  inode: bigint;
  device: bigint;
  /** Symlinks only: the target text, as stored. */
  linkTarget?: string;
  /** Another entry of the same folder has the same name once case is folded or Unicode normalised. */
  collision?: 'case' | 'normalization';
  /** Set when the entry (or, for a folder, its listing) could not be read. */
  error?: { code: string; message: string };
}

export interface SkippedEntry {
  path: string;
  diskPath: string;
  reason: 'special' | 'vanished';
}

export interface ScanOptions {
  /** Rules of the source and the node, tested in that order (any match ignores). */
  ignore?: readonly IgnoreRules[];
  /** Entries skipped whatever the rules say (the node's own state and temporary files). */
  isInternal?: (name: string, diskPath: string) => boolean;
  /** lstat calls in flight at once. */
  concurrency?: number;
  onSkip?: (skipped: SkippedEntry) => void;
  signal?: AbortSignal;
}

const typeOf = (stats: BigIntStats): EntryType | null =>
  stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : stats.isSymbolicLink() ? 'symlink' : null;

function errorOf(error: unknown): { code: string; message: string } {
  const { code, message } = error as NodeJS.ErrnoException;
  return { code: code ?? 'EIO', message };
}

interface Child {
  name: string;       // on disk
  normalized: string;
  collision?: 'case' | 'normalization';
}

async function listFolder(diskPath: string): Promise<Child[]> {
  const names = await fs.readdir(diskPath);
  const children: Child[] = names.map((name) => ({ name, normalized: normalizeName(name) }));
  children.sort((a, b) => (a.normalized < b.normalized ? -1 : a.normalized > b.normalized ? 1 : a.name < b.name ? -1 : 1));
  // Siblings that would be one file on a case-insensitive or normalising file system.
  const byKey = new Map<string, Child[]>();
  for (const child of children) {
    const key = collisionKey(child.normalized);
    const group = byKey.get(key);
    if (group) group.push(child);
    else byKey.set(key, [child]);
  }
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    const sameName = group.some((child, i) => group.some((other, j) => i !== j && other.normalized === child.normalized));
    for (const child of group) child.collision = sameName ? 'normalization' : 'case';
  }
  return children;
}

async function describe(inventoryPath: string, diskPath: string, stats: BigIntStats, type: EntryType): Promise<ScanEntry> {
  const entry: ScanEntry = {
    path: inventoryPath,
    diskPath,
    type,
    size: type === 'folder' ? 0 : Number(stats.size),
    mtimeNs: stats.mtimeNs,
    mode: Number(stats.mode) & 0o7777,
    inode: stats.ino,
    device: stats.dev,
  };
  if (type === 'symlink') {
    try {
      entry.linkTarget = await fs.readlink(diskPath);
    } catch (error) {
      entry.error = errorOf(error);
    }
  }
  return entry;
}

/**
 * Entries of the folder `root`, named `alias/...`; the first entry is the root itself (path
 * `alias`). Order: see comparePaths.
 */
export async function* scanSource(alias: string, root: string, options: ScanOptions = {}): AsyncGenerator<ScanEntry> {
  const { ignore = [], isInternal = () => false, concurrency = 32, onSkip, signal } = options;
  const rootStats = await fs.lstat(root, { bigint: true });
  if (!rootStats.isDirectory()) throw Object.assign(new Error(`${root} is not a folder`), { code: 'ENOTDIR' });
  const ignored = (relative: string, folder: boolean) => ignore.some((rules) => rules.ignores(relative, folder));

  // Depth-first: a folder's entry, then its children in order, each sub-folder walked in place.
  async function* walk(folderPath: string, folderDisk: string, relative: string, stats: BigIntStats,
    collision?: 'case' | 'normalization'): AsyncGenerator<ScanEntry> {
    const entry = await describe(folderPath, folderDisk, stats, 'folder');
    if (collision) entry.collision = collision;
    let children: Child[] = [];
    try {
      children = await listFolder(folderDisk);
    } catch (error) {
      entry.error = errorOf(error);
    }
    yield entry;
    for (let start = 0; start < children.length; start += concurrency) {
      signal?.throwIfAborted();
      const window = children.slice(start, start + concurrency);
      const found = await Promise.all(window.map(async (child) => {
        const disk = path.join(folderDisk, child.name);
        if (isInternal(child.name, disk)) return null;
        try {
          return { child, disk, stats: await fs.lstat(disk, { bigint: true }) };
        } catch (error) {
          return { child, disk, error };
        }
      }));
      for (const item of found) {
        if (!item) continue;
        const { child, disk } = item;
        const childRelative = childPath(relative, child.normalized);
        const childInventory = childPath(folderPath, child.normalized);
        if ('error' in item) {
          if ((item.error as NodeJS.ErrnoException).code === 'ENOENT') {
            onSkip?.({ path: childInventory, diskPath: disk, reason: 'vanished' });
            continue;
          }
          if (ignored(childRelative, false)) continue;
          yield { path: childInventory, diskPath: disk, type: 'file', size: 0, mtimeNs: 0n, mode: 0, inode: 0n, device: 0n,
            error: errorOf(item.error), ...(child.collision ? { collision: child.collision } : {}) };
          continue;
        }
        const type = typeOf(item.stats);
        if (ignored(childRelative, type === 'folder')) continue;
        if (type === null) {
          onSkip?.({ path: childInventory, diskPath: disk, reason: 'special' });
          continue;
        }
        if (type === 'folder') {
          yield* walk(childInventory, disk, childRelative, item.stats, child.collision);
          continue;
        }
        const childEntry = await describe(childInventory, disk, item.stats, type);
        if (child.collision) childEntry.collision = child.collision;
        yield childEntry;
      }
    }
  }
  yield* walk(normalizeName(alias), root, '', rootStats);
}
