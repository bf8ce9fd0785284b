// Where a node keeps what a sync replaced or removed: `<source root>/.deltanode/trash/<run>/<path>`,
// on the same file system as the data, so keeping a version is a link or a rename, never a copy
// (a copy only when the data spans file systems). Runs older than the retention are pruned.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ResolvedPath } from './source-paths.js';

export const TRASH_FOLDER = 'trash';

export class Trash {
  readonly #stateName: string;
  readonly #retentionMs: number;
  readonly #run: string;
  readonly #pruned = new Set<string>();

  /** `stateName`: the folder inside each source root that holds the trash (never listed). */
  constructor(stateName: string, retentionDays: number, now = new Date()) {
    this.#stateName = stateName;
    this.#retentionMs = retentionDays * 86_400_000;
    this.#run = `${now.toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  }

  folderOf(root: string): string {
    return path.join(root, this.#stateName, TRASH_FOLDER);
  }

  /** Keeps `place` in this run's trash: a hard link to it (it stays where it is) or the entry moved there. */
  async keep(place: ResolvedPath, how: 'link' | 'move'): Promise<string> {
    const trash = this.folderOf(place.root);
    await this.#prune(trash);
    const base = path.join(trash, this.#run, ...place.relative.split('/'));
    await fs.mkdir(path.dirname(base), { recursive: true });
    let target = base;
    for (let n = 1; ; n++) {
      try {
        if (how === 'link') await fs.link(place.diskPath, target);
        else await fs.rename(place.diskPath, target);
        return target;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          target = `${base}.${n}`;  // the same path kept twice in one run
          continue;
        }
        if (code !== 'EXDEV' && code !== 'EPERM') throw error;
        await fs.cp(place.diskPath, target, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
        if (how === 'move') await fs.rm(place.diskPath, { recursive: true, force: true });
        return target;
      }
    }
  }

  /**
   * The folder of this run's trash that keeps replaced entries of `place`'s folder. It is not made
   * here: the write job makes it when it first keeps an entry, so a run that replaces nothing
   * leaves no empty folders (and two jobs on one folder never race to make and remove it).
   */
  async folderFor(place: ResolvedPath): Promise<string> {
    const trash = this.folderOf(place.root);
    await this.#prune(trash);
    const slash = place.relative.lastIndexOf('/');
    return path.join(trash, this.#run, ...(slash < 0 ? [] : place.relative.slice(0, slash).split('/')));
  }

  // Once per trash folder and run: removes runs older than the retention.
  async #prune(trash: string): Promise<void> {
    if (this.#pruned.has(trash)) return;
    this.#pruned.add(trash);
    const runs = await fs.readdir(trash).catch(() => [] as string[]);
    const now = Date.now();
    for (const run of runs) {
      const stats = await fs.lstat(path.join(trash, run)).catch(() => null);
      if (stats?.isDirectory() && now - stats.mtimeMs > this.#retentionMs) await fs.rm(path.join(trash, run), { recursive: true, force: true });
    }
  }
}
