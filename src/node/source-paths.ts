// Turns an inventory path from a caller (or a peer) into a place on disk, refusing anything that
// could reach outside the source: not a plain inventory path, an unknown source, a read-only
// source for a write, or a folder on the way that is a symlink (a link swapped in under a folder
// must not redirect a write). The parents are checked with lstat one by one.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ReadOnlyError, UnsafePathError } from '../errors.js';
import type { SourceSpec } from './data-node.js';
import { isSafeInventoryPath } from './paths.js';

export interface ResolvedPath {
  source: SourceSpec;
  /** The source folder, links resolved. */
  root: string;
  /** Relative to the root, '/'-separated ('' for the root itself). */
  relative: string;
  diskPath: string;
}

export class SourcePaths {
  readonly #sources: ReadonlyMap<string, SourceSpec>;
  readonly #roots = new Map<string, Promise<string>>();

  constructor(sources: readonly SourceSpec[]) {
    this.#sources = new Map(sources.map((source) => [source.alias, source]));
  }

  async resolve(inventoryPath: string, access: 'read' | 'write'): Promise<ResolvedPath> {
    if (typeof inventoryPath !== 'string' || !isSafeInventoryPath(inventoryPath)) {
      throw new UnsafePathError(`not a plain inventory path: ${JSON.stringify(inventoryPath)}`);
    }
    const slash = inventoryPath.indexOf('/');
    const alias = slash < 0 ? inventoryPath : inventoryPath.slice(0, slash);
    const source = this.#sources.get(alias);
    if (!source) throw new UnsafePathError(`no source named ${JSON.stringify(alias)} on this node`);
    if (access === 'write' && source.readOnly) throw new ReadOnlyError(`source ${alias} is read-only; ${inventoryPath} was not changed`);
    const relative = slash < 0 ? '' : inventoryPath.slice(slash + 1);
    let root = this.#roots.get(alias);
    if (!root) {
      root = fs.realpath(source.path);
      this.#roots.set(alias, root);
    }
    const realRoot = await root;
    const parts = relative === '' ? [] : relative.split('/');
    let folder = realRoot;
    for (const part of parts.slice(0, -1)) {
      folder = path.join(folder, part);
      const stats = await fs.lstat(folder).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (stats === null) break;  // a missing parent: the operation itself fails with ENOENT
      if (!stats.isDirectory()) throw new UnsafePathError(`${inventoryPath}: ${path.relative(realRoot, folder)} is not a folder (a link?)`);
    }
    return { source, root: realRoot, relative, diskPath: parts.length === 0 ? realRoot : path.join(realRoot, ...parts) };
  }

  /**
   * Entries of one folder (paths with the same parent, not the source root), checked as `resolve`
   * checks one: the folders on the way are looked at once for all of them.
   */
  async resolveSiblings(inventoryPaths: readonly string[], access: 'read' | 'write'): Promise<ResolvedPath[]> {
    const first = await this.resolve(inventoryPaths[0]!, access);
    const parent = inventoryPaths[0]!.slice(0, inventoryPaths[0]!.lastIndexOf('/') + 1);
    const folderDisk = path.dirname(first.diskPath);
    const folderRelative = first.relative.slice(0, first.relative.lastIndexOf('/') + 1);
    return inventoryPaths.map((inventoryPath, i) => {
      if (i === 0) return first;
      if (typeof inventoryPath !== 'string' || !isSafeInventoryPath(inventoryPath) || !inventoryPath.startsWith(parent) ||
        inventoryPath.indexOf('/', parent.length) >= 0) {
        throw new UnsafePathError(`not an entry of ${JSON.stringify(parent)}: ${JSON.stringify(inventoryPath)}`);
      }
      const name = inventoryPath.slice(parent.length);
      return { source: first.source, root: first.root, relative: folderRelative + name, diskPath: path.join(folderDisk, name) };
    });
  }
}
