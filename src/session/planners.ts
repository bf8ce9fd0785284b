// The three ways a session turns comparison rows into actions, behind one interface: mirror (one
// node is the truth), two-way (changes since the pair last agreed flow both ways) and custom
// rules. A planner sees every row of the first comparison as it streams (to note local-copy
// sources and, for two-way, vetoes), then plans rows again from the store, as often as needed:
// planning a row is a pure function of the row and what was observed.
import type { ComparisonRow } from '../node/compare.js';
import type { PairState } from './pair-state.js';
import { type Action, type MirrorOptions, planMirrorRow } from './plan.js';
import type { PlanStore } from './plan-store.js';
import { planRuleRow, type RuleSet } from './rules.js';
import { type Conflict, decideTwoWay, planTwoWayRow, removedFrom, type TwoWayContext, type TwoWayDecision } from './two-way.js';

export interface RowPlanner {
  /** Every row of the first comparison, in path order, before any row is planned. */
  observe(row: ComparisonRow): void;
  plan(row: ComparisonRow): Action[];
  /** Whether the row counts against convergence in a verification after the sync. */
  unsettled(row: ComparisonRow): boolean;
}

// Folders around the current row, the innermost last. Rows come in path order (a folder's
// subtree right after it), so leaving a subtree pops its folder for good.
class EnclosingFolders {
  readonly folders: string[] = [];

  /** Keeps only the folders that hold `path`; whether any is left. */
  around(path: string): boolean {
    const folders = this.folders;
    while (folders.length > 0 && !path.startsWith(`${folders[folders.length - 1]!}/`)) folders.pop();
    return folders.length > 0;
  }
}

// Folders that a node loses before the writes (a file or link takes their place): nothing inside
// them can serve a local copy.
class ReplacedFolders {
  readonly #stacks: EnclosingFolders[];

  constructor(nodes: number) {
    this.#stacks = Array.from({ length: nodes }, () => new EnclosingFolders());
  }

  /** Whether `path` is inside a folder `node` loses early. */
  inside(node: number, path: string): boolean {
    return this.#stacks[node]!.around(path);
  }

  add(node: number, path: string): void {
    this.#stacks[node]!.folders.push(path);
  }
}

/** Mirror: files only targets hold are local-copy sources until the removals at the end. */
export class MirrorPlanner implements RowPlanner {
  readonly #options: MirrorOptions;
  readonly #store: PlanStore;
  readonly #replaced: ReplacedFolders;

  constructor(options: MirrorOptions, store: PlanStore, nodes: number) {
    this.#options = options;
    this.#store = store;
    this.#replaced = new ReplacedFolders(nodes);
  }

  observe(row: ComparisonRow): void {
    const source = row.entries[this.#options.from];
    if (row.status === 'identical') return;
    row.entries.forEach((entry, node) => {
      if (!entry || this.#replaced.inside(node, row.path)) return;
      if (!source) this.#store.addLocal(node, entry);
      else if (entry.type === 'folder' && source.type !== 'folder') this.#replaced.add(node, row.path);
    });
  }

  plan(row: ComparisonRow): Action[] {
    return planMirrorRow(row, this.#options, (target, digest) => this.#store.findLocal(target, digest));
  }

  // What only targets hold is kept, not a difference, unless removal was asked.
  unsettled(row: ComparisonRow): boolean {
    if (row.status === 'identical') return row.metadataDiffers === true;
    return row.entries[this.#options.from] !== null || this.#options.delete === true;
  }
}

export class TwoWayPlanner implements RowPlanner {
  readonly #store: PlanStore;
  readonly #state: PairState;
  readonly #context: TwoWayContext;
  readonly #vetoed = new Set<string>();
  readonly #replaced = new ReplacedFolders(2);
  // Folders being removed from a node: a change inside one vetoes them all.
  readonly #removing = new EnclosingFolders();
  #recording = true;
  /** The first thousand conflicts of the plan, and how many there are. */
  readonly conflicts: Conflict[] = [];
  conflictCount = 0;

  constructor(names: readonly [string, string], store: PlanStore, state: PairState, now: Date) {
    this.#store = store;
    this.#state = state;
    this.#context = {
      names,
      findLocal: (target, digest) => store.findLocal(target, digest),
      vetoed: this.#vetoed,
      stamp: now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15),
    };
  }

  #decide(row: ComparisonRow): TwoWayDecision {
    const settled = row.status === 'identical' && !row.metadataDiffers;
    return decideTwoWay(row, settled ? undefined : this.#state.agreed(row.path), this.#context.names);
  }

  observe(row: ComparisonRow): void {
    const removing = this.#removing.folders;
    this.#removing.around(row.path);
    const decision = this.#decide(row);
    const loser = removedFrom(decision, row);
    if (loser !== null) {
      // It stays on that node until the removals at the end: a source of local copies meanwhile.
      const kept = row.entries[loser]!;
      if (!this.#replaced.inside(loser, row.path)) this.#store.addLocal(loser, kept);
      if (kept.type === 'folder') removing.push(row.path);
    } else if (decision.kind !== 'none') {
      if (decision.kind === 'propagate' && row.entries[decision.from]!.type !== 'folder' && row.entries[1 - decision.from]?.type === 'folder') {
        this.#replaced.add(1 - decision.from, row.path);
      }
      for (const folder of removing) this.#vetoed.add(folder);
      removing.length = 0;
    }
  }

  plan(row: ComparisonRow): Action[] {
    return planTwoWayRow(row, this.#decide(row), this.#context, (conflict) => {
      if (!this.#recording) return;
      this.conflictCount++;
      if (this.conflicts.length < 1000) this.conflicts.push(conflict);
    });
  }

  /** The plan is counted: rows planned again for execution report no conflict twice. */
  freeze(): void {
    this.#recording = false;
  }

  unsettled(row: ComparisonRow): boolean {
    return row.status !== 'identical' || row.metadataDiffers === true;
  }
}

export class RulesPlanner implements RowPlanner {
  readonly #rules: RuleSet;
  readonly #now: bigint;

  constructor(rules: RuleSet, now: Date) {
    this.#rules = rules;
    this.#now = BigInt(now.getTime()) * 1_000_000n;
  }

  observe(): void {
    // Rules may write anywhere: no path is known to stay as it is, so no local copies.
  }

  plan(row: ComparisonRow): Action[] {
    return planRuleRow(row, this.#rules, { findLocal: () => undefined, now: this.#now });
  }

  // Rules promise no convergence: a verification reports what differs, it does not fail on it.
  unsettled(): boolean {
    return false;
  }
}
