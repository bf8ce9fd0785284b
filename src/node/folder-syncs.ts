// fsync of folders, shared: a write must not report success before the rename that put it in
// place is durable, but one fsync of a folder covers every rename done in it before that fsync
// began. Writes into the same folder at once therefore wait for one shared fsync instead of one
// each (many small files in a folder: one folder fsync per group instead of per file).
import { syncDirectory } from '../engine/output.js';

interface Scheduled {
  promise: Promise<void>;
  started: boolean;
}

export class FolderSyncs {
  readonly #next = new Map<string, Scheduled>();
  readonly #running = new Map<string, Promise<void>>();

  /** Resolves once an fsync of `folder` that began after this call has finished. */
  sync(folder: string): Promise<void> {
    const waiting = this.#next.get(folder);
    if (waiting && !waiting.started) return waiting.promise;
    const before = this.#running.get(folder) ?? Promise.resolve();
    const scheduled: Scheduled = { promise: Promise.resolve(), started: false };
    scheduled.promise = before.catch(() => undefined).then(async () => {
      scheduled.started = true;
      if (this.#next.get(folder) === scheduled) this.#next.delete(folder);
      const run = syncDirectory(folder);
      this.#running.set(folder, run);
      try {
        await run;
      } finally {
        if (this.#running.get(folder) === run) this.#running.delete(folder);
      }
    });
    this.#next.set(folder, scheduled);
    return scheduled.promise;
  }
}
