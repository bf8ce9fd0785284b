// SQLite statements queued and run a batch per transaction: one commit per thousands of rows
// instead of one per row, for the session's stores that grow with the number of paths.
import type Database from 'better-sqlite3';

export class WriteQueue {
  readonly #db: Database.Database;
  readonly #batch: number;
  #pending: Array<() => void> = [];

  constructor(db: Database.Database, batch = 2000) {
    this.#db = db;
    this.#batch = batch;
  }

  push(step: () => void): void {
    this.#pending.push(step);
    if (this.#pending.length >= this.#batch) this.flush();
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const work = this.#pending;
    this.#pending = [];
    this.#db.transaction(() => {
      for (const step of work) step();
    })();
  }

  /** Drops what is queued. */
  clear(): void {
    this.#pending = [];
  }
}
