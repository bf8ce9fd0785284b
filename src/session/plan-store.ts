// The part of a comparison that a sync needs: the rows that are not identical (in path order), and
// per node the files it keeps until the plan's last step (removals come last), by digest: a
// renamed file is then copied locally from its old path before that path goes. The first rows stay
// in memory up to a budget; the rest, and every local-copy source, go to a temporary SQLite
// database, so a sync of millions of changed paths holds a bounded amount. (Serialising every row
// and parsing it again in both passes was about a fifth of the main thread's time in a first copy
// of 100,000 small files.)
import Database from 'better-sqlite3';
import type { ComparisonRow } from '../node/compare.js';
import type { InventoryEntry } from '../node/entries.js';
import { WriteQueue } from './write-queue.js';

interface StoredEntry extends Omit<InventoryEntry, 'mtimeNs' | 'inode' | 'device' | 'digest'> {
  mtimeNs: string;
  inode: string;
  device: string;
  digest?: string;
}

const toStored = (entry: InventoryEntry): StoredEntry => ({
  ...entry,
  mtimeNs: entry.mtimeNs.toString(),
  inode: entry.inode.toString(),
  device: entry.device.toString(),
  digest: entry.digest?.toString('hex'),
});

const fromStored = (stored: StoredEntry): InventoryEntry => {
  const { digest, ...rest } = stored;
  const entry: InventoryEntry = { ...rest, mtimeNs: BigInt(stored.mtimeNs), inode: BigInt(stored.inode), device: BigInt(stored.device) };
  if (digest !== undefined) entry.digest = Buffer.from(digest, 'hex');
  return entry;
};

// What a row costs in memory, roughly: measured over 101,011 rows of a first copy of small files
// (one entry each), 694 bytes of heap and about 220 of the folder scans their digests point into.
const ROW_BYTES = 240;
const ENTRY_BYTES = 580;

/** Memory for rows before the rest go to disk, by that estimate: about 100,000 such rows. */
export const DEFAULT_MEMORY_BUDGET = 96 << 20;

function rowBytes(row: ComparisonRow): number {
  let bytes = ROW_BYTES + 2 * row.path.length;
  for (const entry of row.entries) {
    if (entry) bytes += ENTRY_BYTES + 2 * (entry.diskPath.length + (entry.linkTarget?.length ?? 0) + (entry.error?.message.length ?? 0));
  }
  return bytes;
}

export class PlanStore {
  readonly #db: Database.Database;
  readonly #insertRow: Database.Statement<[string]>;
  readonly #insertLocal: Database.Statement<[number, Buffer, string]>;
  readonly #findLocal: Database.Statement<[number, Buffer], string>;
  readonly #queue: WriteQueue;
  readonly #inMemory: ComparisonRow[] = [];
  #memoryLeft: number;
  #spilled = false;
  // Local-copy sources noted per node: a target with none needs no lookup.
  readonly #locals = new Map<number, number>();
  rows = 0;

  constructor(memoryBudget = DEFAULT_MEMORY_BUDGET) {
    this.#memoryLeft = memoryBudget;
    this.#db = new Database('');  // anonymous: on disk, removed on close
    this.#db.exec(`CREATE TABLE rows (seq INTEGER PRIMARY KEY, row TEXT NOT NULL);
      CREATE TABLE local (target INTEGER NOT NULL, digest BLOB NOT NULL, path TEXT NOT NULL, PRIMARY KEY (target, digest));`);
    this.#insertRow = this.#db.prepare('INSERT INTO rows (row) VALUES (?)');
    this.#insertLocal = this.#db.prepare('INSERT OR IGNORE INTO local VALUES (?, ?, ?)');
    this.#findLocal = this.#db.prepare<[number, Buffer], string>('SELECT path FROM local WHERE target = ? AND digest = ?').pluck();
    this.#queue = new WriteQueue(this.#db);
  }

  /** Keeps a row that is not identical (or whose metadata differs). */
  add(row: ComparisonRow): void {
    if (row.status === 'identical' && !row.metadataDiffers) return;
    this.rows++;
    if (!this.#spilled) {
      // Rows are yielded in the order they came: once one goes to disk, all later ones do.
      this.#memoryLeft -= rowBytes(row);
      if (this.#memoryLeft >= 0) {
        this.#inMemory.push(row);
        return;
      }
      this.#spilled = true;
    }
    const stored = JSON.stringify({ path: row.path, status: row.status, groups: row.groups, metadataDiffers: row.metadataDiffers,
      entries: row.entries.map((entry) => (entry ? toStored(entry) : null)) });
    this.#queue.push(() => this.#insertRow.run(stored));
  }

  /** Notes that `node` holds `entry`'s content at its path until the plan's last step (a local-copy source). */
  addLocal(node: number, entry: InventoryEntry): void {
    if (entry.type !== 'file' || !entry.digest || entry.error || entry.changedDuringScan) return;
    const digest = entry.digest;
    this.#locals.set(node, (this.#locals.get(node) ?? 0) + 1);
    this.#queue.push(() => this.#insertLocal.run(node, digest, entry.path));
  }

  findLocal(target: number, digest: Buffer): string | undefined {
    if (!this.#locals.has(target)) return undefined;
    this.#queue.flush();
    return this.#findLocal.get(target, digest);
  }

  /** The kept rows, in the order they were added (path order). */
  *stored(): Generator<ComparisonRow> {
    yield* this.#inMemory;
    if (!this.#spilled) return;
    this.#queue.flush();
    // Read in pages so lookups (findLocal) can run between them on the same connection.
    let after = 0;
    const page = this.#db.prepare<[number], { seq: number; row: string }>('SELECT seq, row FROM rows WHERE seq > ? ORDER BY seq LIMIT 1000');
    for (;;) {
      const rows = page.all(after);
      if (rows.length === 0) return;
      for (const { seq, row } of rows) {
        after = seq;
        const parsed = JSON.parse(row) as { path: string; status: ComparisonRow['status']; groups: number[][]; metadataDiffers?: true; entries: Array<StoredEntry | null> };
        yield { ...parsed, entries: parsed.entries.map((entry) => (entry ? fromStored(entry) : null)) };
      }
    }
  }

  close(): void {
    this.#db.close();
  }
}
