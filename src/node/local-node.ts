// A DataNode over folders of this machine. Its state folder holds its identity and hash cache
// (and, later, sync state); the node never lists its own state or temporary files.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { DataNode, EntryMetadata, ExpectedFile, FileRead, FileWrite, FileWriteResult, InventoryOptions, RemoveOptions, SignatureOptions, SourceSpec, WriteOptions, WriteOutcome,
  WriteSource } from './data-node.js';
import { HashCache } from './hash-cache.js';
import { IgnoreRules } from './ignore.js';
import type { InventoryEntry } from './entries.js';
import { InventoryMeter } from './inventory.js';
import { loadOrCreateNodeId, type NodeIdentity } from './node-identity.js';
import { comparePaths, isSafeInventoryPath } from './paths.js';
import { LocalWrites } from './local-writes.js';
import { scanSource } from './scan.js';
import { SourcePaths } from './source-paths.js';
import { isStaleTemporary, TEMPORARY_SUFFIX } from './temporary-files.js';
import { Trash } from './trash.js';

export interface LocalDataNodeOptions {
  name: string;
  sources: readonly SourceSpec[];
  /** Where the node keeps its state; created if missing. */
  stateFolder: string;
  /** gitignore-syntax lines applied to every source. */
  ignore?: readonly string[];
  /** Files too large for their folder's job hashed at once during inventories. */
  hashConcurrency?: number;
  /** Days replaced and removed entries stay in the trash (default 30). */
  trashDays?: number;
}

/** The conventional name of a state folder kept inside a dataset; never listed, whoever's it is. */
export const STATE_FOLDER_NAME = '.deltanode';


// Hidden files looked at per source and inventory (more wait for the next one).
const MAX_LEFTOVERS_PER_SCAN = 10_000;

// Removes what interrupted runs left (a failure to remove is no reason to fail an inventory).
async function removeStale(candidates: readonly string[]): Promise<void> {
  for (const file of candidates) {
    const stats = await fs.lstat(file).catch(() => null);
    if (stats?.isFile() && isStaleTemporary(path.basename(file), stats.mtimeMs)) await fs.unlink(file).catch(() => undefined);
  }
}

export class LocalDataNode implements DataNode {
  readonly name: string;
  readonly sources: readonly SourceSpec[];
  readonly stateFolder: string;
  readonly #nodeRules: IgnoreRules;
  readonly #sourceRules: Map<string, IgnoreRules>;
  readonly #hashConcurrency: number;
  readonly #writes: LocalWrites;
  #cache: HashCache | null = null;

  constructor(options: LocalDataNodeOptions) {
    const aliases = new Set<string>();
    for (const source of options.sources) {
      if (!isSafeInventoryPath(source.alias) || source.alias.includes('/')) {
        throw new InvalidArgumentError(`source alias must be one plain path segment; got ${JSON.stringify(source.alias)}`);
      }
      if (aliases.has(source.alias)) throw new InvalidArgumentError(`two sources are named ${source.alias}`);
      aliases.add(source.alias);
    }
    if (options.sources.length === 0) throw new InvalidArgumentError('a node needs at least one source');
    this.name = options.name;
    this.sources = [...options.sources].sort((a, b) => comparePaths(a.alias, b.alias));
    this.stateFolder = path.resolve(options.stateFolder);
    this.#nodeRules = new IgnoreRules(options.ignore ?? []);
    this.#sourceRules = new Map(this.sources.map((source) => [source.alias, new IgnoreRules(source.ignore ?? [])]));
    this.#hashConcurrency = options.hashConcurrency ?? 4;
    // A verified write is known to the hash cache at once: the sync's final check does not read it again.
    const folderOf = (relative: string) => {
      const slash = relative.lastIndexOf('/');
      return { folder: slash < 0 ? '' : relative.slice(0, slash), name: relative.slice(slash + 1) };
    };
    this.#writes = new LocalWrites(new SourcePaths(this.sources), new Trash(STATE_FOLDER_NAME, options.trashDays ?? 30),
      ({ place, size, mtimeNs, inode, digest }) => {
        const { folder, name } = folderOf(place.relative);
        this.#cache?.noteWritten(place.source.alias, folder, { name, kind: 'file', size, mtimeNs, inode, digest: Buffer.from(digest) });
      },
      // Only a cache an inventory opened: one opened here would know nothing yet.
      ({ place, ...now }) => {
        const { folder, name } = folderOf(place.relative);
        return this.#cache?.digestOf(place.source.alias, folder, name, now);
      });
  }

  read(path: string, options: { signal?: AbortSignal } = {}): AsyncIterable<Buffer> {
    return this.#writes.read(path, options.signal);
  }

  signature(path: string, options: SignatureOptions = {}): AsyncIterable<Buffer> {
    return this.#writes.signature(path, options);
  }

  readFiles(paths: readonly string[], options: { signal?: AbortSignal } = {}): Promise<FileRead[]> {
    return this.#writes.readFiles(paths, options.signal);
  }

  writeFiles(files: readonly FileWrite[], options?: WriteOptions): Promise<FileWriteResult[]> {
    return this.#writes.writeFiles(files, options);
  }

  partial(path: string, digest: Buffer): Promise<number> {
    return this.#writes.partial(path, digest);
  }

  delta(path: string, signature: Buffer, options: { signal?: AbortSignal } = {}): AsyncIterable<Buffer> {
    return this.#writes.delta(path, signature, options.signal);
  }

  write(path: string, source: WriteSource, expect: ExpectedFile, options?: WriteOptions): Promise<WriteOutcome> {
    return this.#writes.write(path, source, expect, options);
  }

  setMetadata(path: string, metadata: EntryMetadata): Promise<void> {
    return this.#writes.setMetadata(path, metadata);
  }

  makeFolder(path: string, mode: number, options?: WriteOptions): Promise<void> {
    return this.#writes.makeFolder(path, mode, options);
  }

  makeLink(path: string, target: string, options?: WriteOptions): Promise<void> {
    return this.#writes.makeLink(path, target, options);
  }

  remove(path: string, options?: RemoveOptions): Promise<void> {
    return this.#writes.remove(path, options);
  }

  async identity(): Promise<NodeIdentity> {
    return { id: await loadOrCreateNodeId(this.stateFolder), name: this.name };
  }

  async #openCache(): Promise<HashCache> {
    if (!this.#cache) {
      await fs.mkdir(this.stateFolder, { recursive: true });
      this.#cache = HashCache.open(path.join(this.stateFolder, 'hash-cache.db'));
    }
    return this.#cache;
  }

  async *inventory(options: InventoryOptions = {}): AsyncGenerator<InventoryEntry[]> {
    const hash = options.hash ?? 'quick';
    const cache = hash === 'none' ? null : await this.#openCache();
    cache?.keepSources(this.sources.map((source) => source.alias));
    // Entries carry real paths (sources are resolved through links), so the state folder is too.
    const stateFolder = await fs.realpath(this.stateFolder).catch(() => this.stateFolder);
    const meter = new InventoryMeter(options.onProgress);
    try {
      for (const source of this.sources) {
        const leftovers: string[] = [];
        for await (const batch of scanSource(source.alias, path.resolve(source.path), {
          ignore: [this.#sourceRules.get(source.alias)!, this.#nodeRules],
          // The state folder (wherever it is) and interrupted writes are never part of the data.
          isInternal: (name, diskPath) => {
            if (name.endsWith(TEMPORARY_SUFFIX)) {
              if (!source.readOnly && leftovers.length < MAX_LEFTOVERS_PER_SCAN) leftovers.push(diskPath);
              return true;
            }
            return name === STATE_FOLDER_NAME || diskPath === stateFolder;
          },
          hash,
          cache,
          hashConcurrency: this.#hashConcurrency,
          meter,
          ...(options.onSkip ? { onSkip: options.onSkip } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })) {
          meter.progress.entries += batch.length;
          meter.tick();
          yield batch;
        }
        await removeStale(leftovers);
      }
    } finally {
      cache?.flush();
    }
    meter.report();
  }

  async close(): Promise<void> {
    this.#cache?.close();
    this.#cache = null;
  }
}
