// The node's memory of content digests, in an SQLite database in its state folder: per path, the
// size, mtime and inode the file had when it was hashed, and the digest. A quick inventory reuses
// a digest only while all three are unchanged. SQLite in WAL mode survives a crash mid-write (the
// next open rolls back the unfinished transaction); an exclusive lock keeps a second writer out.
import Database from 'better-sqlite3';
import { StateBusyError } from '../errors.js';

export interface CachedDigest {
  size: number;
  mtimeNs: bigint;
  inode: bigint;
  digest: Buffer;
}

const SCHEMA_VERSION = 1;
// Writes are grouped: one transaction per this many records.
const BATCH = 2000;

export class HashCache {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string, number, bigint, bigint], Buffer>;
  readonly #put: Database.Statement<[string, number, bigint, bigint, Buffer]>;
  readonly #remove: Database.Statement<[string]>;
  #pending = new Map<string, CachedDigest>();  // recorded, not yet written

  private constructor(db: Database.Database) {
    this.#db = db;
    // The comparison happens in SQLite: only a digest (or nothing) comes back, no 64-bit integers
    // to convert, which halved the cost of a warm lookup.
    this.#get = db.prepare<[string, number, bigint, bigint], Buffer>(
      'SELECT digest FROM digests WHERE path = ? AND size = ? AND mtime_ns = ? AND inode = ?').pluck();
    this.#put = db.prepare('INSERT OR REPLACE INTO digests (path, size, mtime_ns, inode, digest) VALUES (?, ?, ?, ?, ?)');
    this.#remove = db.prepare('DELETE FROM digests WHERE path = ?');
  }

  static open(file: string): HashCache {
    const db = new Database(file);
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Taking the write lock now makes a second process fail here, not half-way through a scan.
      db.exec('BEGIN IMMEDIATE; COMMIT');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) {
        db.exec(`DROP TABLE IF EXISTS digests;
          CREATE TABLE digests (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            inode INTEGER NOT NULL, digest BLOB NOT NULL) WITHOUT ROWID;
          PRAGMA user_version = ${SCHEMA_VERSION};`);
      }
      return new HashCache(db);
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') {
        throw new StateBusyError(`the hash cache ${file} is in use by another deltanode process`, { cause: error });
      }
      throw error;
    }
  }

  /** The digest recorded for `path` if the file still has the same size, mtime and inode. */
  lookup(path: string, size: number, mtimeNs: bigint, inode: bigint): Buffer | undefined {
    const pending = this.#pending.get(path);
    if (pending) {
      return pending.size === size && pending.mtimeNs === mtimeNs && pending.inode === inode ? pending.digest : undefined;
    }
    return this.#get.get(path, size, mtimeNs, inode);
  }

  record(path: string, entry: CachedDigest): void {
    this.#pending.set(path, entry);
    if (this.#pending.size >= BATCH) this.flush();
  }

  forget(path: string): void {
    this.flush();
    this.#remove.run(path);
  }

  flush(): void {
    if (this.#pending.size === 0) return;
    const rows = this.#pending;
    this.#pending = new Map();
    this.#db.transaction(() => {
      for (const [path, { size, mtimeNs, inode, digest }] of rows) this.#put.run(path, size, mtimeNs, inode, digest);
    })();
  }

  get size(): number {
    this.flush();
    return Number(this.#db.prepare('SELECT count(*) FROM digests').pluck().get());
  }

  close(): void {
    this.flush();
    this.#db.close();
  }
}
