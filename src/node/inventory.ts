// The parts of an inventory around the folder walk: files too large to hash inside a folder job
// (hashed one by one on native threads, a bounded number at once, large ones on two threads),
// progress, and errno values turned into entry errors.
import { getSystemErrorName } from 'node:util';
import { hashFile } from '../engine/hash-file.js';
import type { InventoryEntry, InventoryProgress } from './entries.js';

export type { InventoryEntry, InventoryProgress, HashPolicy } from './entries.js';

export function errnoError(errno: number, what: string): { code: string; message: string } {
  let code = 'EIO';
  try {
    code = getSystemErrorName(-Math.abs(errno));
  } catch {
    // an errno node does not know: keep EIO
  }
  return { code, message: `${what}: ${code}` };
}

/** Counts and rate of an inventory, reported at most every `interval` ms and once at the end. */
export class InventoryMeter {
  readonly progress: InventoryProgress = { entries: 0, filesHashed: 0, filesFromCache: 0, bytesHashed: 0, rate: 0 };
  readonly #started = performance.now();
  readonly #onProgress: ((progress: InventoryProgress) => void) | undefined;
  readonly #interval: number;
  #last = 0;

  constructor(onProgress?: (progress: InventoryProgress) => void, interval = 200) {
    this.#onProgress = onProgress;
    this.#interval = interval;
  }

  tick(): void {
    if (!this.#onProgress) return;
    const now = performance.now();
    if (now - this.#last < this.#interval) return;
    this.#last = now;
    this.report();
  }

  report(): void {
    this.progress.rate = this.progress.bytesHashed / Math.max((performance.now() - this.#started) / 1000, 1e-3);
    this.#onProgress?.({ ...this.progress });
  }
}

/** Hashes large files, at most `concurrency` at once, filling in their entries. */
export class LargeFileHasher {
  readonly #concurrency: number;
  readonly #signal: AbortSignal | undefined;
  readonly #meter: InventoryMeter;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(concurrency: number, meter: InventoryMeter, signal?: AbortSignal) {
    this.#concurrency = Math.max(1, concurrency);
    this.#meter = meter;
    this.#signal = signal;
  }

  /**
   * Sets `digest` (or `error`, or `changedDuringScan`) on `entry`. With `cached` (full hashing of
   * a file whose cache record still matched), a different digest is reported as silent corruption.
   */
  async hash(entry: InventoryEntry, cached?: Buffer): Promise<void> {
    if (this.#running >= this.#concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    try {
      const result = await hashFile(entry.diskPath, { digest: 'blake3', ...(this.#signal ? { signal: this.#signal } : {}) });
      this.#meter.progress.filesHashed++;
      this.#meter.progress.bytesHashed += result.length;
      entry.digest = result.digest;
      entry.digestSource = 'hashed';
      const replaced = result.before.inode !== entry.inode || result.before.mtimeNs !== entry.mtimeNs ||
        result.before.size !== entry.size;
      if (result.changed || replaced) entry.changedDuringScan = true;
      else if (cached && !cached.equals(result.digest)) entry.silentCorruption = true;
    } catch (error) {
      if ((error as { code?: string }).code === 'DELTANODE_ERR_ABORTED') throw error;
      const { errno, message } = error as { errno?: number; message: string };
      entry.error = errno ? errnoError(errno, `reading ${entry.path}`) : { code: 'EIO', message };
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
