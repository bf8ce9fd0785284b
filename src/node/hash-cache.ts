// The node's memory of content digests, in an SQLite database in its state folder: one row per
// folder of a source, holding the size, mtime, inode and digest of each of its files as one
// packed record (see encodeFolderCache). A quick inventory reads one row per folder and the
// native folder scan reuses a digest only while all three are unchanged; per-file rows cost an
// SQLite lookup per file, which was most of a warm inventory's time.
// SQLite in WAL mode survives a crash mid-write (the next open rolls back the unfinished
// transaction); an exclusive lock keeps a second writer out.
import Database from 'better-sqlite3';
import { type CachedFolderEntry, decodeFolderCache, encodeFolderCache } from '../engine/folder-scan.js';
import { StateBusyError } from '../errors.js';

// 1: one row per file; 2: folder records without a checksum.
const SCHEMA_VERSION = 3;
// Writes are grouped: one transaction per this many folder records.
const BATCH = 500;
// Written files remembered before they are folded into their folders' records.
const WRITTEN_BATCH = 10_000;

/** The first key after every `prefix/...` key: '/' + 1 is '0'. */
const afterSubtree = (folder: string) => `${folder}0`;

export class HashCache {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string, string], Buffer>;
  readonly #put: Database.Statement<[string, string, Buffer]>;
  readonly #removeTree: Database.Statement<[string, string, string, string]>;
  readonly #removeSource: Database.Statement<[string]>;
  #pending = new Map<string, { source: string; folder: string; record: Buffer }>();  // not yet written
  // Files this node wrote and verified, by folder: merged into the folder's record when it is next read.
  #written = new Map<string, { source: string; folder: string; files: Map<string, CachedFolderEntry> }>();
  #writtenCount = 0;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare<[string, string], Buffer>('SELECT record FROM folders WHERE source = ? AND folder = ?').pluck();
    this.#put = db.prepare('INSERT OR REPLACE INTO folders (source, folder, record) VALUES (?, ?, ?)');
    // The folder and everything below it: keys `folder/...` sort between `folder/` and `folder0`.
    this.#removeTree = db.prepare(
      'DELETE FROM folders WHERE source = ? AND (folder = ? OR (folder >= ? AND folder < ?))');
    this.#removeSource = db.prepare('DELETE FROM folders WHERE source = ?');
  }

  static open(file: string): HashCache {
    const db = new Database(file);
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Reads through a memory map: a warm inventory reads one record per folder, and pread per
      // page took half of that (14 instead of 30 us per 7 KB record). The file is ours, locked
      // exclusively, so nobody truncates it under the map. Mapped pages count in the resident
      // size, so the map is capped (64 MiB: the records of about 900,000 files); the rest of a
      // larger cache is read with pread.
      db.pragma('mmap_size = 67108864');
      // Taking the write lock now makes a second process fail here, not half-way through a scan.
      db.exec('BEGIN IMMEDIATE; COMMIT');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) {
        db.exec(`DROP TABLE IF EXISTS digests; DROP TABLE IF EXISTS folders;
          CREATE TABLE folders (source TEXT NOT NULL, folder TEXT NOT NULL, record BLOB NOT NULL,
            PRIMARY KEY (source, folder)) WITHOUT ROWID;
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

  /**
   * Remembers a file this node has just written and verified (its digest was read back from disk),
   * so the next inventory does not read it again.
   */
  noteWritten(source: string, folder: string, file: CachedFolderEntry): void {
    const key = `${source}\0${folder}`;
    let written = this.#written.get(key);
    if (!written) {
      written = { source, folder, files: new Map() };
      this.#written.set(key, written);
    }
    written.files.set(file.name, file);
    if (++this.#writtenCount >= WRITTEN_BATCH) this.flush();
  }

  /** The record of `folder` (relative to the source's root, '' for the root). */
  folder(source: string, folder: string): Buffer | undefined {
    const key = `${source}\0${folder}`;
    const written = this.#written.get(key);
    if (written) {
      this.#written.delete(key);
      this.#merge(written.source, written.folder, written.files);
    }
    const pending = this.#pending.get(key);
    if (pending) return pending.record;
    return this.#get.get(source, folder);
  }

  /** The digest remembered for file `name` of `folder` while its size, mtime and inode are these. */
  digestOf(source: string, folder: string, name: string, now: { size: number; mtimeNs: bigint; inode: bigint }): Buffer | undefined {
    const record = this.folder(source, folder);
    const entry = record ? decodeFolderCache(record)?.find((candidate) => candidate.name === name) : undefined;
    if (entry?.kind !== 'file' || entry.size !== now.size || entry.mtimeNs !== now.mtimeNs || entry.inode !== now.inode) return undefined;
    return entry.digest;
  }

  // Folds written files into a folder's record (a damaged or missing record: the files alone;
  // the scan then finds the rest stale and hashes it).
  #merge(source: string, folder: string, files: ReadonlyMap<string, CachedFolderEntry>): void {
    const current = this.folder(source, folder);
    const byName = new Map((current ? decodeFolderCache(current) ?? [] : []).map((entry) => [entry.name, entry]));
    for (const [name, entry] of files) byName.set(name, entry);
    // Records are in the byte order of the names, as folder scans list them.
    const keyed = [...byName.values()].map((entry) => ({ bytes: Buffer.from(entry.name), entry }));
    keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    this.storeFolder(source, folder, encodeFolderCache(keyed.map(({ entry }) => entry)));
  }

  storeFolder(source: string, folder: string, record: Buffer): void {
    this.#pending.set(`${source}\0${folder}`, { source, folder, record });
    if (this.#pending.size >= BATCH) this.flush();
  }

  /** Forgets `folder` and every folder below it (they were removed or replaced). */
  forgetTree(source: string, folder: string): void {
    this.flush();
    if (folder === '') this.#removeSource.run(source);
    else this.#removeTree.run(source, folder, `${folder}/`, afterSubtree(folder));
  }

  /** Forgets every source not named here. */
  keepSources(sources: readonly string[]): void {
    this.flush();
    const known = this.#db.prepare<[], string>('SELECT DISTINCT source FROM folders').pluck().all();
    const keep = new Set(sources);
    this.#db.transaction(() => {
      for (const source of known) if (!keep.has(source)) this.#removeSource.run(source);
    })();
  }

  flush(): void {
    this.#writtenCount = 0;
    for (const [key, { source, folder, files }] of this.#written) {
      this.#written.delete(key);
      this.#merge(source, folder, files);
    }
    if (this.#pending.size === 0) return;
    const rows = this.#pending;
    this.#pending = new Map();
    this.#db.transaction(() => {
      for (const { source, folder, record } of rows.values()) this.#put.run(source, folder, record);
    })();
  }

  /** Folder records stored. */
  get size(): number {
    this.flush();
    return Number(this.#db.prepare('SELECT count(*) FROM folders').pluck().get());
  }

  close(): void {
    this.flush();
    this.#db.close();
  }
}
