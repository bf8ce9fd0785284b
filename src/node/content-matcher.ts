// Finds the same content under different paths across nodes: a file missing on some nodes
// whose bytes those nodes hold elsewhere is a move (or duplicate) candidate, and a plan can copy
// locally instead of sending it. Rows are recorded in a temporary on-disk SQLite database, so a
// comparison of millions of missing files does not hold them in memory.
import Database from 'better-sqlite3';
import type { ComparisonRow } from './compare.js';

export interface MoveCandidate {
  /** Hex BLAKE3 digest shared by every place listed. */
  digest: string;
  size: number;
  /** Each path holding this content and the nodes (indexes) that hold it there. */
  places: Array<{ path: string; nodes: number[] }>;
}

export class ContentMatcher {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[Buffer, number, string, number]>;
  #batch: Array<[Buffer, number, string, number]> = [];

  constructor() {
    this.#db = new Database('');  // an anonymous temporary database, on disk, removed on close
    this.#db.exec(`CREATE TABLE files (digest BLOB NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL, node INTEGER NOT NULL);`);
    this.#insert = this.#db.prepare('INSERT INTO files VALUES (?, ?, ?, ?)');
  }

  /** Records the files of a row whose content some node lacks there (missing or different). */
  add(row: ComparisonRow): void {
    if (row.status !== 'missing' && row.status !== 'different') return;
    row.entries.forEach((entry, node) => {
      if (entry?.type === 'file' && entry.digest) this.#batch.push([entry.digest, entry.size, row.path, node]);
    });
    if (this.#batch.length >= 5000) this.#flush();
  }

  #flush(): void {
    const rows = this.#batch;
    this.#batch = [];
    this.#db.transaction(() => {
      for (const row of rows) this.#insert.run(...row);
    })();
  }

  /** Contents found under more than one path, in digest order. */
  *candidates(): Generator<MoveCandidate> {
    this.#flush();
    this.#db.exec('CREATE INDEX IF NOT EXISTS by_digest ON files (digest, path)');
    const rows = this.#db.prepare<[], { digest: Buffer; size: number; path: string; nodes: string }>(`
      SELECT digest, size, path, group_concat(node) AS nodes FROM files
      WHERE digest IN (SELECT digest FROM files GROUP BY digest HAVING count(DISTINCT path) > 1)
      GROUP BY digest, path ORDER BY digest, path`).iterate();
    let current: MoveCandidate | null = null;
    for (const row of rows) {
      const digest = row.digest.toString('hex');
      if (current && current.digest !== digest) {
        yield current;
        current = null;
      }
      current ??= { digest, size: row.size, places: [] };
      current.places.push({ path: row.path, nodes: row.nodes.split(',').map(Number).sort((a, b) => a - b) });
    }
    if (current) yield current;
  }

  close(): void {
    this.#db.close();
  }
}
