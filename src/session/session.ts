// A sync over DataNodes only (near or far alike): inventory -> compare -> plan -> execute ->
// verify. The comparison streams into a temporary store; the plan is made from it (so a renamed
// file can be copied locally from its old path) and run path by path; removals of what only the
// targets hold come last. A final comparison proves the result.
import { AbortedError, InvalidArgumentError } from '../errors.js';
import { compareInventories, type ComparisonRow } from '../node/compare.js';
import type { DataNode } from '../node/data-node.js';
import type { HashPolicy } from '../node/entries.js';
import { type ActionOutcome, Executor, type ExecutionTotals } from './execute.js';
import { PairState } from './pair-state.js';
import type { Action } from './plan.js';
import { PlanChecker } from './plan-check.js';
import { MirrorPlanner, type RowPlanner, RulesPlanner, TwoWayPlanner } from './planners.js';
import { PlanStore } from './plan-store.js';
import { parseRules, type RuleSet, type RulesJson } from './rules.js';
import type { Conflict } from './two-way.js';

export type SyncPhase = 'compare' | 'plan' | 'execute' | 'verify';

export type SyncEvent =
  | { type: 'phase'; phase: SyncPhase }
  | { type: 'planned'; action: Action; bytesExpected: number }
  | { type: 'totals'; actions: number; bytesExpected: number }
  | { type: 'outcome'; outcome: ActionOutcome }
  | { type: 'progress'; actionsDone: number; actionsTotal: number; bytesDone: number; bytesTotal: number; rate: number;
    etaSeconds: number | null };

export type SyncMode = 'mirror' | 'two-way' | 'rules';

export interface SyncOptions {
  /** 'mirror' (default): `from` is the source of truth; 'two-way': changes flow both ways; 'rules': `rules` decide. */
  mode?: SyncMode;
  /** Mirror: the source node, by name or index. */
  from?: string | number;
  /** Mirror: remove what only the targets hold. */
  delete?: boolean;
  /** Rules mode: a parsed rule set (parseRules) or the JSON value of a rules file. */
  rules?: RuleSet | RulesJson;
  /** Two-way: where the pair's last agreed state is kept (one file per pair of node identities). */
  stateFolder?: string;
  /** Plan and report, change nothing. */
  dryRun?: boolean;
  hash?: HashPolicy;
  /** Keep replaced and removed entries in each node's trash (default true). */
  trash?: boolean;
  /** Files written at once. */
  concurrency?: number;
  /** Compare again at the end (default true; two-way always does, to record what the pair agrees on). */
  verify?: boolean;
  /** The time the run counts as (conflict names, content-only copies); default now. */
  now?: Date;
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
  /** Paths with the same content whose mode or mtime still differ (not counted in `differing`). */
  metadataDiffering: number;
}

export interface SyncReport {
  mode: SyncMode;
  /** Mirror: the source node. */
  from: string | null;
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
  /** Two-way: paths changed on both sides (the first thousand, and how many). */
  conflicts: Conflict[];
  conflictCount: number;
  verify: VerifyResult | null;
}

const emptyVerify = (): VerifyResult => ({ identical: true, differing: 0, extraOnTargets: 0, errors: 0, metadataDiffering: 0 });

// Counts a row against convergence; `unsettled` says whether a non-identical row is a difference
// (in a mirror without removal, what only targets hold is not).
function countForVerify(result: VerifyResult, row: ComparisonRow, unsettled: boolean): void {
  if (row.status === 'identical') {
    if (row.metadataDiffers) result.metadataDiffering++;
    return;
  }
  if (row.status === 'error') result.errors++;
  else if (unsettled) result.differing++;
  else result.extraOnTargets++;
}

const expectedBytes = (action: Action) => (action.kind === 'write' && action.method !== 'local' ? action.entry.size : 0);
const isDeferred = (action: Action) => action.kind === 'remove' && action.afterWrites === true;

const isRuleSet = (rules: RuleSet | RulesJson): rules is RuleSet => Array.isArray((rules as Partial<RuleSet>).nodeNames);

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

  // The planner of a mode, with what it needs checked before anything is read.
  async #planner(options: SyncOptions, store: PlanStore, now: Date): Promise<{ planner: RowPlanner; state: PairState | null }> {
    const mode = options.mode ?? 'mirror';
    if (mode !== 'mirror' && mode !== 'two-way' && mode !== 'rules') throw new InvalidArgumentError(`unknown sync mode ${String(mode)} (mirror, two-way or rules)`);
    if (mode === 'mirror') {
      if (options.from === undefined) throw new InvalidArgumentError('a mirror needs the node that is the source of truth (from)');
      return { planner: new MirrorPlanner({ from: this.#indexOf(options.from), delete: options.delete === true }, store, this.nodes.length), state: null };
    }
    if (options.from !== undefined || options.delete !== undefined) {
      throw new InvalidArgumentError(`from and delete belong to mirror mode; ${mode} mode decides per path`);
    }
    if (mode === 'rules') {
      if (!options.rules) throw new InvalidArgumentError('rules mode needs rules');
      const names = this.nodes.map((node) => node.name);
      const rules = isRuleSet(options.rules) ? options.rules : parseRules(options.rules, names);
      if (rules.nodeNames.join('\0') !== names.join('\0')) throw new InvalidArgumentError(`these rules name the nodes ${rules.nodeNames.join(', ')}; this session's are ${names.join(', ')}`);
      return { planner: new RulesPlanner(rules, now), state: null };
    }
    if (this.nodes.length !== 2) throw new InvalidArgumentError('two-way mode syncs two nodes (for more, use mirror or rules)');
    if (!options.stateFolder) throw new InvalidArgumentError('two-way mode needs a state folder to keep what the nodes last agreed on');
    const [first, second] = await Promise.all(this.nodes.map((node) => node.identity()));
    const state = await PairState.open(options.stateFolder, first!.id, second!.id);
    const names = [this.nodes[0]!.name, this.nodes[1]!.name] as const;
    return { planner: new TwoWayPlanner(names, store, state, now), state };
  }

  async sync(options: SyncOptions): Promise<SyncReport> {
    const started = performance.now();
    const mode = options.mode ?? 'mirror';
    const emit = options.onEvent ?? (() => undefined);
    const signal = options.signal;
    const hash = options.hash ?? 'quick';
    const now = options.now ?? new Date();
    if (signal?.aborted) throw new AbortedError();
    const store = new PlanStore();
    let state: PairState | null = null;
    let skippedUnreadable = 0;
    // What the first comparison proves, in the terms of a verification.
    const found = emptyVerify();
    try {
      const made = await this.#planner(options, store, now);
      const planner = made.planner;
      state = made.state;
      emit({ type: 'phase', phase: 'compare' });
      for await (const rows of compareInventories(this.nodes.map((node) => node.inventory({ hash, ...(signal ? { signal } : {}) })))) {
        for (const row of rows) {
          if (row.status === 'error') skippedUnreadable++;
          countForVerify(found, row, planner.unsettled(row));
          planner.observe(row);
          store.add(row);
          if (state) settle(state, row);
        }
      }
      found.identical = found.differing === 0 && found.errors === 0;

      // Every action is planned (and checked) before the first is run.
      emit({ type: 'phase', phase: 'plan' });
      const checker = new PlanChecker(this.nodes);
      const planned = { actions: 0, bytesExpected: 0 };
      let removalsAfterWrites = 0;
      for (const row of store.stored()) {
        const actions = planner.plan(row);
        checker.check(actions);
        for (const action of actions) {
          planned.actions++;
          if (isDeferred(action)) removalsAfterWrites++;
          planned.bytesExpected += expectedBytes(action);
          emit({ type: 'planned', action, bytesExpected: expectedBytes(action) });
        }
      }
      checker.finish();
      if (planner instanceof TwoWayPlanner) planner.freeze();
      emit({ type: 'totals', ...planned });

      const progress = { actionsDone: 0, bytesDone: 0, startedAt: 0, lastReport: 0 };
      const reportProgress = (force = false) => {
        const at = performance.now();
        if (!force && at - progress.lastReport < 200) return;
        progress.lastReport = at;
        const seconds = Math.max((at - progress.startedAt) / 1000, 1e-3);
        const rate = progress.bytesDone / seconds;
        const left = planned.bytesExpected - progress.bytesDone;
        emit({ type: 'progress', actionsDone: progress.actionsDone, actionsTotal: planned.actions, bytesDone: progress.bytesDone,
          bytesTotal: planned.bytesExpected, rate, etaSeconds: rate > 0 ? Math.max(0, left / rate) : null });
      };
      const executor = new Executor(this.nodes, {
        ...(options.trash !== undefined ? { trash: options.trash } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(signal ? { signal } : {}),
        onOutcome: (outcome) => {
          emit({ type: 'outcome', outcome });
          progress.bytesDone += expectedBytes(outcome.action);
          progress.actionsDone++;
          reportProgress();
        },
      });
      if (!options.dryRun && planned.actions > 0) {
        emit({ type: 'phase', phase: 'execute' });
        progress.startedAt = performance.now();
        // Writes first, path by path; then deletions, so a renamed file's old path can serve as
        // the source of a local copy until the end.
        for (const row of store.stored()) await executor.submit(planner.plan(row).filter((action) => !isDeferred(action)));
        await executor.drain();
        if (removalsAfterWrites > 0) {
          for (const row of store.stored()) await executor.submit(planner.plan(row).filter(isDeferred));
          await executor.drain();
        }
        reportProgress(true);
      }

      let verify: VerifyResult | null = null;
      const verifyWanted = options.verify !== false || state !== null;
      if (verifyWanted && !options.dryRun) {
        // With nothing to do, the comparison just made is the proof; after changes, compare again.
        if (planned.actions === 0) {
          verify = found;
        } else {
          emit({ type: 'phase', phase: 'verify' });
          state?.restart();
          verify = await this.#compareAll(hash === 'full' ? 'quick' : hash, planner, signal, state ? (row) => settle(state!, row) : undefined);
        }
        state?.commit();
      }
      const conflicts = planner instanceof TwoWayPlanner ? { conflicts: planner.conflicts, conflictCount: planner.conflictCount } : { conflicts: [], conflictCount: 0 };
      return {
        mode,
        from: mode === 'mirror' ? this.nodes[this.#indexOf(options.from!)]!.name : null,
        nodes: this.nodes.map((node) => node.name),
        dryRun: options.dryRun === true,
        seconds: (performance.now() - started) / 1000,
        planned,
        skippedUnreadable,
        done: executor.totals.done,
        failed: executor.totals.failed,
        bytesByMethod: executor.totals.bytesByMethod,
        bytesRead: executor.totals.bytesRead,
        ...conflicts,
        verify: options.verify === false ? null : verify,
      };
    } catch (error) {
      // Whichever layer noticed the cancellation first, the caller sees one error class.
      if (signal?.aborted && !(error instanceof AbortedError)) throw new AbortedError(undefined, { cause: error });
      throw error;
    } finally {
      store.close();
      state?.close();
    }
  }

  async #compareAll(hash: HashPolicy, planner: Pick<RowPlanner, 'unsettled'>, signal: AbortSignal | undefined,
    onRow?: (row: ComparisonRow) => void): Promise<VerifyResult> {
    const result = emptyVerify();
    const inventories = this.nodes.map((node) => node.inventory({ hash, ...(signal ? { signal } : {}) }));
    for await (const rows of compareInventories(inventories)) {
      for (const row of rows) {
        countForVerify(result, row, planner.unsettled(row));
        onRow?.(row);
      }
    }
    result.identical = result.differing === 0 && result.errors === 0;
    return result;
  }

  /**
   * Compares every node with `from` (default: all nodes with each other): identical when every
   * path is the same everywhere, apart from what only targets hold when removal was not asked.
   */
  async verify(options: { from?: string | number; hash?: HashPolicy; deleteAsked?: boolean; signal?: AbortSignal } = {}): Promise<VerifyResult> {
    const from = options.from === undefined ? null : this.#indexOf(options.from);
    const unsettled = (row: ComparisonRow) => from === null || row.entries[from] !== null || options.deleteAsked !== false;
    return this.#compareAll(options.hash ?? 'quick', { unsettled }, options.signal);
  }
}

// What the pair agrees on after this row: the same entry on both, or (unsettled) what it agreed before.
function settle(state: PairState, row: ComparisonRow): void {
  if (row.status === 'identical') state.agree(row.entries[0]!);
  else state.carry(row.path);
}
