// What two nodes last agreed on, for two-way syncs: per path, the type and content both held when
// their last sync ended. A change is a difference from it; a path changed on both sides is a
// conflict. Kept in SQLite in the state folder of whoever runs the session, one file per pair of
// node identities; a new state is written beside the old one during a run and replaces it in one
// transaction at the end, so an interrupted run leaves the previous state whole.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateCorruptError } from '../errors.js';
import type { EntryType, InventoryEntry } from '../node/entries.js';
import { WriteQueue } from './write-queue.js';

/** What a pair agreed a path held. */
export interface AgreedEntry {
  type: EntryType;
  /** Files: BLAKE3 of the content. */
  digest?: Buffer;
  /** Links: the target text. */
  linkTarget?: string;
  /** Permission bits and mtime both held: which side changed its metadata since. */
  mode: number;
  mtimeNs: bigint;
}

const TYPES: readonly EntryType[] = ['file', 'folder', 'symlink'];
const SCHEMA = 1;

interface Row {
  type: number;
  digest: Buffer | null;
  link: string | null;
  mode: number;
  mtime: string;
}

/** Whether an entry still holds what the pair agreed on (type and content; metadata aside). */
export function stillAgreed(entry: InventoryEntry | null, agreed: AgreedEntry | undefined): boolean {
  if (!entry || !agreed) return !entry && !agreed;
  if (entry.type !== agreed.type) return false;
  if (entry.type === 'symlink') return entry.linkTarget === agreed.linkTarget;
  if (entry.type === 'file') return entry.digest !== undefined && agreed.digest !== undefined && entry.digest.equals(agreed.digest);
  return true;
}

export class PairState {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], Row>;
  readonly #put: Database.Statement<[string, number, Buffer | null, string | null, number, string]>;
  readonly #carry: Database.Statement<[string]>;
  readonly #queue: WriteQueue;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare<[string], Row>('SELECT type, digest, link, mode, mtime FROM agreed WHERE path = ?');
    this.#put = db.prepare('INSERT OR REPLACE INTO next VALUES (?, ?, ?, ?, ?, ?)');
    this.#carry = db.prepare('INSERT OR REPLACE INTO next SELECT * FROM agreed WHERE path = ?');
    this.#queue = new WriteQueue(db);
  }

  /** The state of the pair of nodes with these identities (in either order). */
  static async open(stateFolder: string, firstId: string, secondId: string): Promise<PairState> {
    const folder = path.join(stateFolder, 'pairs');
    await fs.mkdir(folder, { recursive: true });
    const file = path.join(folder, `${[firstId, secondId].sort().join('-')}.db`);
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== 0 && version !== SCHEMA) throw new StateCorruptError(`${file}: unknown schema ${version}; it was written by another deltanode version`);
      const columns = '(path TEXT PRIMARY KEY, type INTEGER NOT NULL, digest BLOB, link TEXT, mode INTEGER NOT NULL, mtime TEXT NOT NULL) WITHOUT ROWID';
      db.exec(`CREATE TABLE IF NOT EXISTS agreed ${columns};
        DROP TABLE IF EXISTS next;
        CREATE TABLE next ${columns};
        PRAGMA user_version = ${SCHEMA};`);
    } catch (error) {
      if (error instanceof StateCorruptError) throw error;
      throw new StateCorruptError(`${file} cannot be read as the state of a two-way pair: ${(error as Error).message}; ` +
        'move it away to start over (the next sync then treats every difference as a conflict)', { cause: error });
    }
    return new PairState(db);
  }

  agreed(inventoryPath: string): AgreedEntry | undefined {
    const row = this.#get.get(inventoryPath);
    if (!row) return undefined;
    const type = TYPES[row.type];
    if (!type) throw new StateCorruptError(`the two-way state holds an unknown type ${row.type} for ${inventoryPath}`);
    return { type, mode: row.mode, mtimeNs: BigInt(row.mtime), ...(row.digest ? { digest: row.digest } : {}),
      ...(row.link !== null ? { linkTarget: row.link } : {}) };
  }

  /** Records, for the next state, that both nodes now hold this entry at its path. */
  agree(entry: InventoryEntry): void {
    const digest = entry.type === 'file' ? entry.digest ?? null : null;
    const link = entry.type === 'symlink' ? entry.linkTarget ?? '' : null;
    this.#queue.push(() => this.#put.run(entry.path, TYPES.indexOf(entry.type), digest, link, entry.mode, entry.mtimeNs.toString()));
  }

  /** Keeps, for the next state, what the pair last agreed on this path (it is not settled yet). */
  carry(inventoryPath: string): void {
    this.#queue.push(() => this.#carry.run(inventoryPath));
  }

  /** Drops what was recorded for the next state (a new attempt starts). */
  restart(): void {
    this.#queue.clear();
    this.#db.exec('DELETE FROM next');
  }

  /** The next state becomes the agreed one, in one transaction. */
  commit(): void {
    this.#queue.flush();
    this.#db.transaction(() => {
      this.#db.exec('DELETE FROM agreed; INSERT INTO agreed SELECT * FROM next; DELETE FROM next;');
    })();
  }

  close(): void {
    this.#db.close();
  }
}
