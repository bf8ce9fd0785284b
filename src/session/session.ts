// A sync over DataNodes only (near or far alike): inventory -> compare -> plan -> execute ->
// verify. The comparison streams into a temporary store; the plan is made from it (so a renamed
// file can be copied locally from its old path) and run path by path; removals of what only the
// targets hold come last. A final comparison proves the result.
import { AbortedError, InvalidArgumentError } from '../errors.js';
import { compareInventories, emptySummary, type ComparisonRow } from '../node/compare.js';
import type { DataNode } from '../node/data-node.js';
import type { HashPolicy } from '../node/entries.js';
import { type ActionOutcome, Executor, type ExecutionTotals } from './execute.js';
import { type Action, type MirrorOptions, planMirrorRow } from './plan.js';
import { PlanStore } from './plan-store.js';

export type SyncPhase = 'compare' | 'plan' | 'execute' | 'verify';

export type SyncEvent =
  | { type: 'phase'; phase: SyncPhase }
  | { type: 'planned'; action: Action; bytesExpected: number }
  | { type: 'totals'; actions: number; bytesExpected: number }
  | { type: 'outcome'; outcome: ActionOutcome }
  | { type: 'progress'; actionsDone: number; actionsTotal: number; bytesDone: number; bytesTotal: number; rate: number;
    etaSeconds: number | null };

export interface SyncOptions {
  /** Only 'mirror' so far: `from` is the source of truth. */
  mode?: 'mirror';
  /** The source node, by name or index. */
  from: string | number;
  /** Remove what only the targets hold. */
  delete?: boolean;
  /** Plan and report, change nothing. */
  dryRun?: boolean;
  hash?: HashPolicy;
  /** Keep replaced and removed entries in each node's trash (default true). */
  trash?: boolean;
  /** Files written at once. */
  concurrency?: number;
  /** Compare again at the end (default true). */
  verify?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
}

export interface VerifyResult {
  identical: boolean;
  /** Paths that are not the same on the source and every target. */
  differing: number;
  /** Paths only targets hold, kept because removal was not asked for. */
  extraOnTargets: number;
  /** Paths that could not be read somewhere. */
  errors: number;
}

export interface SyncReport {
  mode: 'mirror';
  from: string;
  nodes: string[];
  dryRun: boolean;
  seconds: number;
  planned: { actions: number; bytesExpected: number };
  /** Paths left alone because they could not be read on some node. */
  skippedUnreadable: number;
  done: number;
  failed: number;
  bytesByMethod: ExecutionTotals['bytesByMethod'];
  bytesRead: number;
  verify: VerifyResult | null;
}

// Counts a row against "every node holds what `from` holds" (what only targets hold counts apart
// when removal was not asked).
function countForVerify(result: VerifyResult, row: ComparisonRow, from: number | null, deleteAsked: boolean | undefined): void {
  if (row.status === 'identical') return;
  if (row.status === 'error') result.errors++;
  else if (from !== null && !row.entries[from] && deleteAsked === false) result.extraOnTargets++;
  else result.differing++;
}

const expectedBytes = (action: Action) => (action.kind === 'write' && action.method !== 'local' ? action.entry.size : 0);
const isDeferred = (action: Action) => action.kind === 'remove' && action.afterWrites === true;

export class Session {
  readonly nodes: readonly DataNode[];

  constructor(nodes: readonly DataNode[]) {
    if (nodes.length < 2) throw new InvalidArgumentError('a session needs two or more nodes');
    const names = new Set(nodes.map((node) => node.name));
    if (names.size !== nodes.length) throw new InvalidArgumentError('node names must differ');
    this.nodes = nodes;
  }

  #indexOf(from: string | number): number {
    const index = typeof from === 'number' ? from : this.nodes.findIndex((node) => node.name === from);
    if (!Number.isInteger(index) || index < 0 || index >= this.nodes.length) throw new InvalidArgumentError(`no node ${String(from)} in this session`);
    return index;
  }

  async sync(options: SyncOptions): Promise<SyncReport> {
    const started = performance.now();
    const from = this.#indexOf(options.from);
    const emit = options.onEvent ?? (() => undefined);
    const signal = options.signal;
    const hash = options.hash ?? 'quick';
    const mirror: MirrorOptions = { from, delete: options.delete === true };
    if (signal?.aborted) throw new AbortedError();
    const store = new PlanStore();
    let skippedUnreadable = 0;
    // What the first comparison proves, in the terms of a verification.
    const found: VerifyResult = { identical: true, differing: 0, extraOnTargets: 0, errors: 0 };
    try {
      emit({ type: 'phase', phase: 'compare' });
      for await (const rows of compareInventories(this.nodes.map((node) => node.inventory({ hash, ...(signal ? { signal } : {}) })))) {
        for (const row of rows) {
          if (row.status === 'error') skippedUnreadable++;
          countForVerify(found, row, from, mirror.delete === true);
          store.add(row, from);
        }
      }
      found.identical = found.differing === 0 && found.errors === 0;

      emit({ type: 'phase', phase: 'plan' });
      const lookup = (target: number, digest: Buffer) => store.findLocal(target, digest);
      const planned = { actions: 0, bytesExpected: 0 };
      let removalsAfterWrites = 0;
      for (const row of store.stored()) {
        for (const action of planMirrorRow(row, mirror, lookup)) {
          planned.actions++;
          if (isDeferred(action)) removalsAfterWrites++;
          planned.bytesExpected += expectedBytes(action);
          emit({ type: 'planned', action, bytesExpected: expectedBytes(action) });
        }
      }
      emit({ type: 'totals', ...planned });

      const executor = new Executor(this.nodes, {
        ...(options.trash !== undefined ? { trash: options.trash } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(signal ? { signal } : {}),
        onOutcome: (outcome) => {
          emit({ type: 'outcome', outcome });
          progress.bytesDone += outcome.action.kind === 'write' ? outcome.action.entry.size : 0;
          progress.actionsDone++;
          reportProgress();
        },
      });
      const progress = { actionsDone: 0, bytesDone: 0, startedAt: 0, lastReport: 0 };
      const reportProgress = (force = false) => {
        const now = performance.now();
        if (!force && now - progress.lastReport < 200) return;
        progress.lastReport = now;
        const seconds = Math.max((now - progress.startedAt) / 1000, 1e-3);
        const rate = progress.bytesDone / seconds;
        const left = planned.bytesExpected - progress.bytesDone;
        emit({ type: 'progress', actionsDone: progress.actionsDone, actionsTotal: planned.actions, bytesDone: progress.bytesDone,
          bytesTotal: planned.bytesExpected, rate, etaSeconds: rate > 0 ? Math.max(0, left / rate) : null });
      };
      if (!options.dryRun && planned.actions > 0) {
        emit({ type: 'phase', phase: 'execute' });
        progress.startedAt = performance.now();
        // Writes first, path by path; then removals of what the source does not hold, so a
        // renamed file's old path can serve as the source of a local copy until the end.
        for (const row of store.stored()) {
          const actions = planMirrorRow(row, mirror, lookup).filter((action) => !isDeferred(action));
          await executor.submit(actions);
        }
        await executor.drain();
        if (removalsAfterWrites > 0) {
          for (const row of store.stored()) await executor.submit(planMirrorRow(row, mirror, lookup).filter(isDeferred));
          await executor.drain();
        }
        reportProgress(true);
      }

      let verify: VerifyResult | null = null;
      if (options.verify !== false && !options.dryRun) {
        // With nothing to do, the comparison just made is the proof; after changes, compare again.
        if (planned.actions === 0) {
          verify = found;
        } else {
          emit({ type: 'phase', phase: 'verify' });
          verify = await this.verify({ from, hash: 'quick', deleteAsked: mirror.delete === true, ...(signal ? { signal } : {}) });
        }
      }
      return {
        mode: 'mirror',
        from: this.nodes[from]!.name,
        nodes: this.nodes.map((node) => node.name),
        dryRun: options.dryRun === true,
        seconds: (performance.now() - started) / 1000,
        planned,
        skippedUnreadable,
        done: executor.totals.done,
        failed: executor.totals.failed,
        bytesByMethod: executor.totals.bytesByMethod,
        bytesRead: executor.totals.bytesRead,
        verify,
      };
    } catch (error) {
      // Whichever layer noticed the cancellation first, the caller sees one error class.
      if (signal?.aborted && !(error instanceof AbortedError)) throw new AbortedError(undefined, { cause: error });
      throw error;
    } finally {
      store.close();
    }
  }

  /**
   * Compares every node with `from` (default: all nodes with each other): identical when every
   * path is the same everywhere, apart from what only targets hold when removal was not asked.
   */
  async verify(options: { from?: string | number; hash?: HashPolicy; deleteAsked?: boolean; signal?: AbortSignal } = {}): Promise<VerifyResult> {
    const from = options.from === undefined ? null : this.#indexOf(options.from);
    const summary = emptySummary();
    const result: VerifyResult = { identical: true, differing: 0, extraOnTargets: 0, errors: 0 };
    const inventories = this.nodes.map((node) => node.inventory({ hash: options.hash ?? 'quick', ...(options.signal ? { signal: options.signal } : {}) }));
    for await (const rows of compareInventories(inventories, summary)) {
      for (const row of rows) countForVerify(result, row, from, options.deleteAsked);
    }
    result.identical = result.differing === 0 && result.errors === 0;
    return result;
  }
}
