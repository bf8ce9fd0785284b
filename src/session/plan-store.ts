// The part of a comparison that a sync needs, kept on disk in a temporary SQLite database so a
// sync of millions of changed paths does not hold them in memory: the rows that are not identical
// (in path order), and per node the files it keeps until the plan's last step (removals come
// last), by digest: a renamed file is then copied locally from its old path before that path goes.
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

export class PlanStore {
  readonly #db: Database.Database;
  readonly #insertRow: Database.Statement<[string]>;
  readonly #insertLocal: Database.Statement<[number, Buffer, string]>;
  readonly #findLocal: Database.Statement<[number, Buffer], string>;
  readonly #queue: WriteQueue;
  rows = 0;

  constructor() {
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
    const stored = JSON.stringify({ path: row.path, status: row.status, groups: row.groups, metadataDiffers: row.metadataDiffers,
      entries: row.entries.map((entry) => (entry ? toStored(entry) : null)) });
    this.#queue.push(() => this.#insertRow.run(stored));
    this.rows++;
  }

  /** Notes that `node` holds `entry`'s content at its path until the plan's last step (a local-copy source). */
  addLocal(node: number, entry: InventoryEntry): void {
    if (entry.type !== 'file' || !entry.digest || entry.error || entry.changedDuringScan) return;
    const digest = entry.digest;
    this.#queue.push(() => this.#insertLocal.run(node, digest, entry.path));
  }

  findLocal(target: number, digest: Buffer): string | undefined {
    this.#queue.flush();
    return this.#findLocal.get(target, digest);
  }

  /** The kept rows, in the order they were added (path order). */
  *stored(): Generator<ComparisonRow> {
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
