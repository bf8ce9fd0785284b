// Inventories of a node's sources: scanned entries in path order, with the content digest of
// every file (reused from the hash cache or computed on native threads, several files at once),
// streamed with a bounded window of files in flight.
import { getSystemErrorName } from 'node:util';
import { hashFile } from '../engine/hash-file.js';
import type { HashCache } from './hash-cache.js';
import type { ScanEntry } from './scan.js';

export type HashPolicy = 'none' | 'quick' | 'full';

export interface InventoryEntry extends ScanEntry {
  /** BLAKE3 of the content (files only), unless the policy is 'none' or the file could not be read. */
  digest?: Buffer;
  /** Where the digest came from. */
  digestSource?: 'cache' | 'hashed';
  /** The file changed while it was hashed: its digest describes no single version of it. */
  changedDuringScan?: boolean;
  /** Full hashing found other content than the cache recorded for the same size, mtime and inode. */
  silentCorruption?: boolean;
}

export interface InventoryProgress {
  entries: number;
  filesHashed: number;
  filesFromCache: number;
  bytesHashed: number;
  /** Bytes hashed per second since the start. */
  rate: number;
}

export interface DigestOptions {
  hash: HashPolicy;
  cache: HashCache | null;
  /** Files hashed at once. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: InventoryProgress) => void;
}

/** Adds digests to scanned entries, keeping their order. */
export async function* withDigests(entries: AsyncIterable<ScanEntry>, options: DigestOptions): AsyncGenerator<InventoryEntry> {
  const { hash, cache, concurrency = 8, signal, onProgress } = options;
  const started = performance.now();
  const progress: InventoryProgress = { entries: 0, filesHashed: 0, filesFromCache: 0, bytesHashed: 0, rate: 0 };
  const report = () => {
    progress.rate = progress.bytesHashed / Math.max((performance.now() - started) / 1000, 1e-3);
    onProgress?.({ ...progress });
  };

  async function digestOf(entry: ScanEntry): Promise<InventoryEntry> {
    if (entry.type !== 'file' || entry.error || hash === 'none') return entry;
    const cached = cache?.lookup(entry.path, entry.size, entry.mtimeNs, entry.inode);
    if (cached && hash === 'quick') {
      progress.filesFromCache++;
      return { ...entry, digest: cached, digestSource: 'cache' };
    }
    try {
      const result = await hashFile(entry.diskPath, { digest: 'blake3', ...(signal ? { signal } : {}) });
      progress.filesHashed++;
      progress.bytesHashed += result.length;
      const out: InventoryEntry = { ...entry, digest: result.digest, digestSource: 'hashed' };
      const replaced = result.before.inode !== entry.inode || result.before.mtimeNs !== entry.mtimeNs ||
        result.before.size !== entry.size;
      if (result.changed || replaced) {
        out.changedDuringScan = true;  // not cached: the next run hashes it again
        return out;
      }
      if (cached && !cached.equals(result.digest)) out.silentCorruption = true;
      cache?.record(entry.path, { size: entry.size, mtimeNs: entry.mtimeNs, inode: entry.inode, digest: result.digest });
      return out;
    } catch (error) {
      if ((error as { code?: string }).code === 'DELTANODE_ERR_ABORTED') throw error;
      const { code, errno, message } = error as { code?: string; errno?: number; message: string };
      return { ...entry, error: { code: errno ? getSystemErrorName(-errno) : code ?? 'EIO', message } };
    }
  }

  // A window of entries in flight; each is yielded once it and all before it are done.
  const window: Array<Promise<InventoryEntry>> = [];
  let lastReport = 0;
  for await (const entry of entries) {
    signal?.throwIfAborted();
    const pending = digestOf(entry);
    pending.catch(() => undefined);  // handled when its turn comes; never an unhandled rejection
    window.push(pending);
    if (window.length >= concurrency) {
      yield await window.shift()!;
      progress.entries++;
    }
    if (onProgress && performance.now() - lastReport > 200) {
      lastReport = performance.now();
      report();
    }
  }
  while (window.length > 0) {
    yield await window.shift()!;
    progress.entries++;
  }
  cache?.flush();
  report();
}
