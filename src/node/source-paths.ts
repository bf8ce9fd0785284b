// Turns an inventory path from a caller (or a peer) into a place on disk, refusing anything that
// could reach outside the source: not a plain inventory path, an unknown source, a read-only
// source for a write, or a folder on the way that is a symlink (a link swapped in under a folder
// must not redirect a read or a write).
import { existsSync, promises as fs } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { getSystemErrorName } from 'node:util';
import { ReadOnlyError, UnsafePathError } from '../errors.js';
import { closeFolder, openFolderChain } from '../engine/folder-chain.js';
import type { SourceSpec } from './data-node.js';
import { isSafeInventoryPath } from './paths.js';

export interface ResolvedPath {
  source: SourceSpec;
  /** The source folder, links resolved. */
  root: string;
  /** Relative to the root, '/'-separated ('' for the root itself). */
  relative: string;
  /**
   * Where to operate on the entry. On Linux it goes through a handle on its parent folder, opened
   * one component at a time without following links: a link swapped in on the way afterwards
   * redirects nothing. Valid until the place is released.
   */
  diskPath: string;
  /** The entry's folder, in the same form (for calls that take a folder and names). */
  folderPath: string;
  /** root/relative: for messages. */
  shownPath: string;
}

export interface HeldPaths {
  places: ResolvedPath[];
  /** Closes the folder handle; the places' paths are not to be used after. */
  release: () => Promise<void>;
}

// /proc/self/fd/N/name resolves N to the open folder itself, not to a path looked up again.
const PINNED = process.platform === 'linux' && existsSync('/proc/self/fd');
const { ENOENT, ELOOP, ENOTDIR } = osConstants.errno;

export class SourcePaths {
  readonly #sources: ReadonlyMap<string, SourceSpec>;
  readonly #roots = new Map<string, Promise<string>>();

  constructor(sources: readonly SourceSpec[]) {
    this.#sources = new Map(sources.map((source) => [source.alias, source]));
  }

  #check(inventoryPath: string, access: 'read' | 'write'): { source: SourceSpec; relative: string } {
    if (typeof inventoryPath !== 'string' || !isSafeInventoryPath(inventoryPath)) {
      throw new UnsafePathError(`not a plain inventory path: ${JSON.stringify(inventoryPath)}`);
    }
    const slash = inventoryPath.indexOf('/');
    const alias = slash < 0 ? inventoryPath : inventoryPath.slice(0, slash);
    const source = this.#sources.get(alias);
    if (!source) throw new UnsafePathError(`no source named ${JSON.stringify(alias)} on this node`);
    if (access === 'write' && source.readOnly) throw new ReadOnlyError(`source ${alias} is read-only; ${inventoryPath} was not changed`);
    return { source, relative: slash < 0 ? '' : inventoryPath.slice(slash + 1) };
  }

  #root(source: SourceSpec): Promise<string> {
    let root = this.#roots.get(source.alias);
    if (!root) {
      root = fs.realpath(source.path);
      this.#roots.set(source.alias, root);
    }
    return root;
  }

  /** One entry, its folder held until `release`. */
  async hold(inventoryPath: string, access: 'read' | 'write'): Promise<ResolvedPath & { release: () => Promise<void> }> {
    const { places, release } = await this.holdSiblings([inventoryPath], access);
    return { ...places[0]!, release };
  }

  /**
   * Entries of one folder (paths with the same parent), checked as one is: the folders on the way
   * are walked once for all of them.
   */
  async holdSiblings(inventoryPaths: readonly string[], access: 'read' | 'write'): Promise<HeldPaths> {
    const first = inventoryPaths[0]!;
    const { source, relative } = this.#check(first, access);
    const parent = first.slice(0, first.lastIndexOf('/') + 1);
    const names = inventoryPaths.map((inventoryPath, i) => {
      if (i === 0) return relative === '' ? '' : relative.slice(relative.lastIndexOf('/') + 1);
      this.#check(inventoryPath, access);
      if (!inventoryPath.startsWith(parent) || parent === '' || inventoryPath.indexOf('/', parent.length) >= 0) {
        throw new UnsafePathError(`not an entry of ${JSON.stringify(parent)}: ${JSON.stringify(inventoryPath)}`);
      }
      return inventoryPath.slice(parent.length);
    });
    const root = await this.#root(source);
    const folderParts = relative === '' ? [] : relative.split('/').slice(0, -1);
    const folderRelative = folderParts.length === 0 ? '' : `${folderParts.join('/')}/`;
    const shownFolder = path.join(root, ...folderParts);
    const { folder, release } = PINNED ? await walk(root, folderParts, first) : { folder: await checkFolders(root, folderParts, first), release: async () => undefined };
    const places = names.map((name) => ({
      source, root, relative: relative === '' && name === '' ? '' : folderRelative + name,
      diskPath: name === '' ? root : `${folder}/${name}`, folderPath: folder, shownPath: path.join(shownFolder, name),
    }));
    return { places, release };
  }
}

// /proc is not writable: nothing can ever appear under this name, so an operation on a path below
// it fails with ENOENT (and a remove finds nothing to remove).
const NEVER_EXISTS = '/proc/self/fd/-1';

// Opens the folders from the root down, each with O_NOFOLLOW through the handle of the one above.
// A missing folder ends the walk and the operation fails with ENOENT. What remains is not named
// under the last folder found: a link could be put there in its place before the operation runs.
async function walk(root: string, parts: readonly string[], inventoryPath: string): Promise<{ folder: string; release: () => Promise<void> }> {
  const chain = await openFolderChain(root, parts);
  if (chain.ok) {
    let open = true;
    // Once only: a second close could hit another file that got the same number meanwhile.
    const release = async () => {
      if (open) closeFolder(chain.fd);
      open = false;
    };
    return { folder: `/proc/self/fd/${chain.fd}`, release };
  }
  const { errno, failed } = chain;
  if (failed >= 0 && errno === ENOENT) return { folder: NEVER_EXISTS, release: async () => undefined };
  if (failed >= 0 && (errno === ELOOP || errno === ENOTDIR)) {
    throw new UnsafePathError(`${inventoryPath}: ${parts.slice(0, failed + 1).join('/')} is not a folder (a link?)`);
  }
  // As node:fs reports a failed open, which is what callers saw before the walk was native.
  const where = path.join(root, ...parts.slice(0, failed + 1));
  const code = getSystemErrorName(-errno);
  throw Object.assign(new Error(`${code}: cannot open folder '${where}' for ${inventoryPath}`), { errno: -errno, code, syscall: 'open', path: where });
}

// Elsewhere: the folders on the way are checked with lstat one by one.
async function checkFolders(root: string, parts: readonly string[], inventoryPath: string): Promise<string> {
  let folder = root;
  for (const part of parts) {
    folder = path.join(folder, part);
    const stats = await fs.lstat(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (stats === null) break;
    if (!stats.isDirectory()) throw new UnsafePathError(`${inventoryPath}: ${path.relative(root, folder)} is not a folder (a link?)`);
  }
  return path.join(root, ...parts);
}
