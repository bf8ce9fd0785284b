// A DataNode over folders of this machine. Its state folder holds the hash cache (and, later,
// identity and sync state); the node never lists its own state or temporary files.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { DataNode, InventoryOptions, SourceSpec } from './data-node.js';
import { HashCache } from './hash-cache.js';
import { IgnoreRules } from './ignore.js';
import type { InventoryEntry } from './entries.js';
import { InventoryMeter } from './inventory.js';
import { comparePaths, isSafeInventoryPath } from './paths.js';
import { scanSource } from './scan.js';

export interface LocalDataNodeOptions {
  name: string;
  sources: readonly SourceSpec[];
  /** Where the node keeps its state; created if missing. */
  stateFolder: string;
  /** gitignore-syntax lines applied to every source. */
  ignore?: readonly string[];
  /** Files too large for their folder's job hashed at once during inventories. */
  hashConcurrency?: number;
}

/** The conventional name of a state folder kept inside a dataset; never listed, whoever's it is. */
export const STATE_FOLDER_NAME = '.deltanode';
const TEMPORARY_SUFFIX = '.deltanode-tmp';

export class LocalDataNode implements DataNode {
  readonly name: string;
  readonly sources: readonly SourceSpec[];
  readonly stateFolder: string;
  readonly #nodeRules: IgnoreRules;
  readonly #sourceRules: Map<string, IgnoreRules>;
  readonly #hashConcurrency: number;
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
        for await (const batch of scanSource(source.alias, path.resolve(source.path), {
          ignore: [this.#sourceRules.get(source.alias)!, this.#nodeRules],
          // The state folder (wherever it is) and interrupted writes are never part of the data.
          isInternal: (name, diskPath) =>
            name.endsWith(TEMPORARY_SUFFIX) || name === STATE_FOLDER_NAME || diskPath === stateFolder,
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
