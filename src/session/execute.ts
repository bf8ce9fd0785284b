// Runs planned actions against DataNodes. Files move a few at once; a folder is created (or an
// entry removed) before anything after it starts, so a file never waits on a folder that is still
// being made, while the writes before it go on. Content that several targets need whole is read once at the source.
import { AbortedError, describeFailure } from '../errors.js';
import { groupBy } from '../node/group-by.js';
import { BATCH_FILE_LIMIT, type DataNode, type ExpectedFile, type FileRead, type FileWriteResult } from '../node/data-node.js';
import type { Action, TransferMethod, WriteAction } from './plan.js';
import { tee } from './tee.js';

export interface ActionOutcome {
  action: Action;
  status: 'done' | 'failed';
  /** Bytes that crossed between the nodes for it (whole content, delta plus signature, 0 for a local copy). */
  bytesMoved: number;
  /** Bytes of the resulting file (writes). */
  size: number;
  /** Writes: how the content came, which differs from the plan's when an interrupted write resumed (as a delta). */
  method?: TransferMethod;
  /** Bytes of partial content a previous, interrupted run had left, that this write resumed from. */
  resumedFrom?: number;
  error?: { code: string; message: string };
}

export interface ExecuteOptions {
  trash?: boolean;
  /** Paths written at once, at most (default 32)... */
  concurrency?: number;
  /** ...and bytes of them at once (default 64 MiB; one larger file runs alone). */
  bytesInFlight?: number;
  signal?: AbortSignal;
  onOutcome?: (outcome: ActionOutcome) => void;
}

export interface ExecutionTotals {
  done: number;
  failed: number;
  /** Bytes sent whole, as deltas (with their signatures), and written by local copies. */
  bytesByMethod: Record<TransferMethod, number>;
  /** Bytes the source nodes read to send content. */
  bytesRead: number;
}

// A batch of small files goes once it holds this many files or bytes. Each batch is one native job
// and one durability barrier per target, whatever its folders: a first copy of 100,000 small files
// took a median 7.4 s in batches of 256, 6.6-6.7 s in batches of 512 or 1024 (2026-12-03).
const SMALL_BATCH_FILES = 1024;
const SMALL_BATCH_BYTES = 8 << 20;

// Partial content below this is not worth a signature round trip.
const RESUME_WORTHWHILE = 1 << 20;

const expectedOf = (action: WriteAction): ExpectedFile => ({
  digest: action.entry.digest!,
  size: action.entry.size,
  mtimeNs: action.metadata?.mtimeNs ?? action.entry.mtimeNs,
  mode: action.metadata?.mode ?? action.entry.mode,
});

/** Counts the bytes of a stream as they pass. */
async function* counted(data: AsyncIterable<Buffer>, add: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of data) {
    add(chunk.length);
    yield chunk;
  }
}

async function collect(data: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of data) parts.push(chunk);
  return Buffer.concat(parts);
}

// Whether one action reads a path of a node that another of them writes.
function readsWhatItWrites(actions: ReadonlyArray<WriteAction>): boolean {
  if (actions.length < 2) return false;
  const written = new Set(actions.map((action) => `${action.target}\0${action.path}`));
  return actions.some((action) => (action.from !== action.target && written.has(`${action.from}\0${action.sourcePath ?? action.path}`))
    || (action.localFrom !== undefined && written.has(`${action.target}\0${action.localFrom}`)));
}

// What a write reads besides its own path.
const readKeys = (action: WriteAction): string[] => [
  ...(action.localFrom !== undefined ? [`${action.target}\0${action.localFrom}`] : []),
  ...(action.sourcePath !== undefined ? [`${action.from}\0${action.sourcePath}`] : []),
];

export class Executor {
  readonly #nodes: readonly DataNode[];
  readonly #options: ExecuteOptions;
  readonly #running = new Set<Promise<void>>();
  #small: Array<WriteAction> = [];
  #smallBytes = 0;
  #bytesRunning = 0;
  // node\0path of what writes under way read besides their own path (local copies, moved sources), with counts.
  readonly #reading = new Map<string, number>();
  // An error that ends the whole run (cancellation); failures of single actions are outcomes.
  #fatal: unknown = null;
  readonly totals: ExecutionTotals = { done: 0, failed: 0, bytesByMethod: { local: 0, delta: 0, whole: 0 }, bytesRead: 0 };

  constructor(nodes: readonly DataNode[], options: ExecuteOptions = {}) {
    this.#nodes = nodes;
    this.#options = options;
  }

  /** Schedules the actions of one path (in their order); resolves when there is room for more. */
  async submit(actions: readonly Action[]): Promise<void> {
    if (actions.length === 0) return;
    if (this.#options.signal?.aborted) throw new AbortedError();
    if (!actions.every((action) => action.kind === 'write') || readsWhatItWrites(actions)) {
      // Folders, links and removals change the tree under later paths: they run in their order,
      // before anything later is submitted. Writes already under way are of other paths and go on,
      // unless one of them reads what this changes (a local copy from it), or a version kept aside
      // must be read before its path is overwritten.
      const writes = actions.filter((action): action is WriteAction => action.kind === 'write');
      if (readsWhatItWrites(writes) || actions.some((action) => this.#isBeingRead(action.target, action.path))) await this.drain();
      for (const action of actions) await this.#run(action);
      return;
    }
    const bytes = actions.reduce((sum, action) => sum + action.entry.size, 0);
    // Small whole files travel in batches: one read call at the source, one write call (per
    // folder: one native job and one durability barrier) at each target.
    if (actions.every((action) => action.method === 'whole' && action.entry.size <= BATCH_FILE_LIMIT && action.sourcePath === undefined)) {
      this.#small.push(...actions);
      this.#smallBytes += bytes;
      if (this.#small.length >= SMALL_BATCH_FILES || this.#smallBytes >= SMALL_BATCH_BYTES) await this.#flushSmall();
      return;
    }
    const reads = actions.flatMap(readKeys);
    for (const key of reads) this.#reading.set(key, (this.#reading.get(key) ?? 0) + 1);
    await this.#schedule(bytes, () => this.#writes(actions).finally(() => {
      for (const key of reads) {
        const left = this.#reading.get(key)! - 1;
        if (left === 0) this.#reading.delete(key);
        else this.#reading.set(key, left);
      }
    }));
  }

  // Whether a write under way reads `path` (or something below it) on node `target`, other than at its own path.
  #isBeingRead(target: number, path: string): boolean {
    const key = `${target}\0${path}`;
    for (const reading of this.#reading.keys()) if (reading === key || reading.startsWith(`${key}/`)) return true;
    return false;
  }

  async #flushSmall(): Promise<void> {
    if (this.#small.length === 0) return;
    const batch = this.#small;
    const bytes = this.#smallBytes;
    this.#small = [];
    this.#smallBytes = 0;
    await this.#schedule(bytes, () => this.#smallWrites(batch));
  }

  // Starts `work` once there is room for it (paths and bytes in flight); resolves when it started.
  async #schedule(bytes: number, work: () => Promise<void>): Promise<void> {
    // Many small files at once (their cost is per file: opens, fsyncs), few large ones.
    const budget = this.#options.bytesInFlight ?? 64 << 20;
    while (this.#running.size > 0 && (this.#running.size >= (this.#options.concurrency ?? 32) || this.#bytesRunning + bytes > budget)) {
      await Promise.race(this.#running);
    }
    this.#throwIfFatal();
    this.#bytesRunning += bytes;
    const job: Promise<void> = work()
      .catch((error: unknown) => {
        this.#fatal ??= error;
      })
      .finally(() => {
        this.#running.delete(job);
        this.#bytesRunning -= bytes;
      });
    this.#running.add(job);
  }

  async drain(): Promise<void> {
    await this.#flushSmall();
    while (this.#running.size > 0) await Promise.all(this.#running);
    this.#throwIfFatal();
  }

  #throwIfFatal(): void {
    if (this.#fatal !== null) throw this.#fatal;
  }

  #report(action: Action, outcome: Omit<ActionOutcome, 'action'>): void {
    if (outcome.status === 'done') this.totals.done++;
    else this.totals.failed++;
    // Local copies move nothing between nodes: what they count is the bytes they spared.
    if (outcome.status === 'done' && action.kind === 'write') {
      const method = outcome.method ?? action.method;
      this.totals.bytesByMethod[method] += method === 'local' ? outcome.size : outcome.bytesMoved;
    }
    this.#options.onOutcome?.({ action, ...outcome });
  }

  async #run(action: Action): Promise<void> {
    const node = this.#nodes[action.target]!;
    const options = { trash: this.#options.trash !== false, ...(this.#options.signal ? { signal: this.#options.signal } : {}) };
    try {
      if (action.kind === 'folder') await node.makeFolder(action.path, action.mode, options);
      else if (action.kind === 'link') await node.makeLink(action.path, action.linkTarget, options);
      else if (action.kind === 'remove') await node.remove(action.path, options);
      else if (action.kind === 'metadata') await node.setMetadata(action.path, { mode: action.entry.mode, mtimeNs: action.entry.mtimeNs });
      else return await this.#writes([action]);
      this.#report(action, { status: 'done', bytesMoved: 0, size: 0 });
    } catch (error) {
      if (this.#options.signal?.aborted) throw error;
      this.#report(action, { status: 'failed', bytesMoved: 0, size: 0, error: describeFailure(error) });
    }
  }

  // Writes of one path to one or more targets; whole-content ones share a single read.
  async #writes(actions: ReadonlyArray<WriteAction>): Promise<void> {
    const resumable = await Promise.all(actions.map((action) => this.#partialOf(action)));
    const whole = actions.filter((action, i) => action.method === 'whole' && resumable[i] === 0);
    const tasks: Array<Promise<void>> = [];
    actions.forEach((action, i) => {
      if (action.method !== 'whole' || resumable[i]! > 0) tasks.push(this.#writeOne(action, undefined, resumable[i]!));
    });
    if (whole.length > 0) {
      const read = this.#readCounted(whole[0]!);
      const copies = whole.length === 1 ? [read] : tee(read, whole.length);
      // A copy whose write failed before reading it all must let go, or the others would wait.
      whole.forEach((action, i) => tasks.push(this.#writeOne(action, copies[i]!).finally(() => copies[i]!.return?.())));
    }
    await Promise.all(tasks);
  }

  #readCounted(action: WriteAction): AsyncGenerator<Buffer> {
    return counted(this.#nodes[action.from]!.read(action.sourcePath ?? action.path, this.#signalOption()), (n) => {
      this.totals.bytesRead += n;
    });
  }

  // A batch of small whole files: read once per source (for every target), written per target.
  async #smallWrites(actions: ReadonlyArray<WriteAction>): Promise<void> {
    const options = { trash: this.#options.trash !== false, ...this.#signalOption() };
    await Promise.all([...groupBy(actions, (action) => action.from)].map(async ([from, fromHere]) => {
      const paths = [...new Set(fromHere.map((action) => action.path))];
      let reads: FileRead[];
      try {
        reads = await this.#nodes[from]!.readFiles(paths, this.#signalOption());
      } catch (error) {
        if (this.#options.signal?.aborted) throw error;
        for (const action of fromHere) this.#report(action, { status: 'failed', bytesMoved: 0, size: 0, error: describeFailure(error) });
        return;
      }
      const readOf = new Map(paths.map((p, i) => [p, reads[i]!]));
      for (const read of reads) if (read.ok) this.totals.bytesRead += read.content.length;
      await Promise.all([...groupBy(fromHere, (action) => action.target)].map(async ([target, toHere]) => {
        const ready: Array<{ action: WriteAction; content: Buffer }> = [];
        for (const action of toHere) {
          const read = readOf.get(action.path)!;
          if (read.ok) ready.push({ action, content: read.content });
          else this.#report(action, { status: 'failed', bytesMoved: 0, size: 0, error: { code: read.code, message: read.message } });
        }
        if (ready.length === 0) return;
        let written: FileWriteResult[];
        try {
          written = await this.#nodes[target]!.writeFiles(ready.map(({ action, content }) => ({ path: action.path, content, expect: expectedOf(action) })), options);
        } catch (error) {
          if (this.#options.signal?.aborted) throw error;
          for (const { action } of ready) this.#report(action, { status: 'failed', bytesMoved: 0, size: 0, error: describeFailure(error) });
          return;
        }
        written.forEach((result, i) => {
          const { action, content } = ready[i]!;
          if (result.ok) this.#report(action, { status: 'done', bytesMoved: content.length, size: action.entry.size });
          else this.#report(action, { status: 'failed', bytesMoved: content.length, size: 0, error: { code: result.code, message: result.message } });
        });
      }));
    }));
  }

  // Bytes an interrupted write of this content left on the target, when enough to resume from.
  async #partialOf(action: WriteAction): Promise<number> {
    if (action.method === 'local' || action.entry.size < RESUME_WORTHWHILE) return 0;
    const held = await this.#nodes[action.target]!.partial(action.path, action.entry.digest!).catch(() => 0);
    return held >= RESUME_WORTHWHILE ? held : 0;
  }

  #signalOption(): { signal?: AbortSignal } {
    return this.#options.signal ? { signal: this.#options.signal } : {};
  }

  async #writeOne(action: WriteAction, content?: AsyncIterable<Buffer>, resumeFrom = 0): Promise<void> {
    const target = this.#nodes[action.target]!;
    const source = this.#nodes[action.from]!;
    const options = { trash: this.#options.trash !== false, ...this.#signalOption() };
    let moved = 0;
    const add = (n: number) => {
      moved += n;
    };
    try {
      if (resumeFrom > 0 || action.method === 'delta') {
        // A resume is a delta whose basis is what arrived before the interruption: only the rest crosses.
        const resuming = resumeFrom > 0;
        const signing = { ...this.#signalOption(), ...(resuming ? { partialOf: action.entry.digest! } : {}) };
        const signature = await collect(counted(target.signature(action.path, signing), add));
        const delta = counted(source.delta(action.sourcePath ?? action.path, signature, this.#signalOption()), add);
        await target.write(action.path, { kind: 'delta', data: delta, ...(resuming ? { basis: 'partial' as const } : {}) }, expectedOf(action), options);
        this.totals.bytesRead += action.entry.size;
      } else if (action.method === 'local') {
        await target.write(action.path, { kind: 'local', from: action.localFrom! }, expectedOf(action), options);
      } else {
        await target.write(action.path, { kind: 'content', data: counted(content ?? this.#readCounted(action), add) }, expectedOf(action), options);
      }
      this.#report(action, { status: 'done', bytesMoved: moved, size: action.entry.size,
        ...(resumeFrom > 0 ? { method: 'delta' as const, resumedFrom: resumeFrom } : {}) });
    } catch (error) {
      if (this.#options.signal?.aborted) throw error;
      this.#report(action, { status: 'failed', bytesMoved: moved, size: 0, error: describeFailure(error) });
    }
  }
}
