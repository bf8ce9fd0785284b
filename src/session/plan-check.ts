// Refuses a plan before anything is written when its actions cannot all hold: a change to a node's
// read-only source, one path of a node given two different outcomes, or content read from a path
// that another action removes first (a folder removed while a file inside it is still to be read).
// Actions are checked as they are planned, in path order; what is remembered across rows is the
// folders removed early (few), not every action.
import { PlanConflictError } from '../errors.js';
import type { DataNode } from '../node/data-node.js';
import type { Action } from './plan.js';

const MAX_REPORTED = 10;

const aliasOf = (inventoryPath: string) => inventoryPath.split('/', 1)[0]!;

function parentsOf(inventoryPath: string): string[] {
  const parents: string[] = [];
  for (let slash = inventoryPath.lastIndexOf('/'); slash > 0; slash = inventoryPath.lastIndexOf('/', slash - 1)) {
    parents.push(inventoryPath.slice(0, slash));
  }
  return parents;
}

// The path an action reads on its source node, if it reads one there.
function readOf(action: Action): { node: number; path: string } | null {
  if (action.kind !== 'write') return null;
  if (action.method === 'local') return { node: action.target, path: action.localFrom! };
  return { node: action.from, path: action.sourcePath ?? action.path };
}

const changes = (action: Action) => `${action.kind} ${action.path}`;

export class PlanChecker {
  readonly #nodes: readonly DataNode[];
  readonly #readOnly: Array<ReadonlySet<string>>;
  // Per node, folders removed before the writes (so nothing below them can be read afterwards).
  readonly #removedEarly: Array<Set<string>>;
  readonly #problems: string[] = [];
  #count = 0;

  constructor(nodes: readonly DataNode[]) {
    this.#nodes = nodes;
    this.#readOnly = nodes.map((node) => new Set(node.sources.filter((source) => source.readOnly).map((source) => source.alias)));
    this.#removedEarly = nodes.map(() => new Set());
  }

  #problem(text: string): void {
    this.#count++;
    if (this.#problems.length < MAX_REPORTED) this.#problems.push(text);
  }

  /** The actions of one row, in their order. */
  check(actions: readonly Action[]): void {
    const outcomes = new Map<string, Action>();
    const writtenSoFar = new Set<string>();
    for (const action of actions) {
      const node = this.#nodes[action.target]!;
      if (this.#readOnly[action.target]!.has(aliasOf(action.path))) {
        this.#problem(`${changes(action)} on ${node.name}: source ${aliasOf(action.path)} is read-only there (${action.reason})`);
      }
      const read = readOf(action);
      if (read) {
        const key = `${read.node}\0${read.path}`;
        if (writtenSoFar.has(key)) this.#problem(`${read.path} on ${this.#nodes[read.node]!.name} is read after another action changed it`);
        const removed = this.#removedEarly[read.node]!;
        const gone = [read.path, ...parentsOf(read.path)].find((folder) => removed.has(folder));
        if (gone !== undefined) {
          this.#problem(`${read.path} on ${this.#nodes[read.node]!.name} is read after ${gone} is removed there (${action.reason})`);
        }
      }
      const key = `${action.target}\0${action.path}`;
      const before = outcomes.get(key);
      // A removal may make room for what replaces it; anything else twice is a contradiction.
      if (before && before.kind !== 'remove') {
        this.#problem(`${action.path} on ${node.name} is given two outcomes: ${before.reason}; and ${action.reason}`);
      }
      outcomes.set(key, action);
      writtenSoFar.add(key);
      if (action.kind === 'remove' && !action.afterWrites) this.#removedEarly[action.target]!.add(action.path);
    }
  }

  /** Throws if anything was found. */
  finish(): void {
    if (this.#count === 0) return;
    const more = this.#count > this.#problems.length ? `\n  ... and ${this.#count - this.#problems.length} more` : '';
    throw new PlanConflictError(`the plan contradicts itself in ${this.#count} place(s); nothing was written:\n  ${this.#problems.join('\n  ')}${more}`);
  }
}
