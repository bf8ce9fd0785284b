// Two-way planning: what changed on each of two nodes since they last agreed (PairState) flows to
// the other. A path changed on both sides is a conflict: nothing is lost. Two different versions:
// the newer one (by mtime; the first node on a tie) takes the path on both nodes, the other is
// kept on both under a conflict name beside it. Deleted on one side and changed on the other: the
// changed version comes back. A folder deleted on one side whose subtree still holds something
// changed on the other is restored instead (the veto, found while the comparison streams).
import { type ComparisonRow, differsInMetadata, sameContent } from '../node/compare.js';
import type { InventoryEntry } from '../node/entries.js';
import type { AgreedEntry } from './pair-state.js';
import { stillAgreed } from './pair-state.js';
import { type Action, type LocalContentLookup, writeAction } from './plan.js';

export type TwoWayDecision =
  | { kind: 'none' }
  /** Same content, other metadata: the newer entry's metadata goes to the other node. */
  | { kind: 'metadata'; from: 0 | 1 }
  /** `from`'s version (an entry, or its absence) replaces the other's. */
  | { kind: 'propagate'; from: 0 | 1; reason: string }
  /** Both changed: `winner` takes the path; the loser's version is kept under a conflict name. */
  | { kind: 'conflict'; winner: 0 | 1; reason: string };

export interface Conflict {
  path: string;
  /** What happened, in words. */
  reason: string;
  /** Where the other version was kept on both nodes, if there was one. */
  keptAs?: string;
}

const other = (side: 0 | 1): 0 | 1 => (side === 0 ? 1 : 0);

function describe(entry: InventoryEntry | null, agreed: AgreedEntry | undefined): string {
  if (!entry) return 'deleted';
  if (!agreed) return 'created';
  return entry.type === agreed.type ? 'changed' : `replaced by a ${entry.type}`;
}

/** What to do with a row of a two-node comparison, given what the pair last agreed on. */
export function decideTwoWay(row: ComparisonRow, agreed: AgreedEntry | undefined, names: readonly [string, string]): TwoWayDecision {
  if (row.status === 'error') return { kind: 'none' };
  const a = row.entries[0] ?? null;
  const b = row.entries[1] ?? null;
  if (a && b && sameContent(a, b)) {
    if (!differsInMetadata(a, b)) return { kind: 'none' };
    // The side whose metadata is still what the pair agreed on takes the other's; else the newer wins.
    const kept = (entry: InventoryEntry) => agreed !== undefined && stillAgreed(entry, agreed) && !differsInMetadata(entry, { ...entry, ...agreed });
    if (kept(a) !== kept(b)) return { kind: 'metadata', from: kept(a) ? 1 : 0 };
    return { kind: 'metadata', from: a.mtimeNs >= b.mtimeNs ? 0 : 1 };
  }
  const changed = [!stillAgreed(a, agreed), !stillAgreed(b, agreed)] as const;
  if (!changed[0] || !changed[1]) {
    const from = changed[0] ? 0 : 1;
    return { kind: 'propagate', from, reason: `${describe(row.entries[from] ?? null, agreed)} on ${names[from]}` };
  }
  const both = `${describe(a, agreed)} on ${names[0]} and ${describe(b, agreed)} on ${names[1]}`;
  // Deleted on one side: the surviving version wins, so nothing is lost.
  if (!a || !b) return { kind: 'conflict', winner: a ? 0 : 1, reason: both };
  // A folder keeps the path (its subtree is compared row by row); the other entry moves aside.
  if (a.type === 'folder' || b.type === 'folder') return { kind: 'conflict', winner: a.type === 'folder' ? 0 : 1, reason: both };
  return { kind: 'conflict', winner: a.mtimeNs >= b.mtimeNs ? 0 : 1, reason: both };
}

/** The node a decision removes the path from, if it does (a folder's removal can be vetoed by its subtree). */
export function removedFrom(decision: TwoWayDecision, row: ComparisonRow): 0 | 1 | null {
  return decision.kind === 'propagate' && !row.entries[decision.from] ? other(decision.from) : null;
}

/** `dir/name.ext` -> `dir/name.conflict-<node>-<stamp>.ext`. */
export function conflictPath(inventoryPath: string, nodeName: string, stamp: string): string {
  const slash = inventoryPath.lastIndexOf('/');
  const name = inventoryPath.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const safeNode = nodeName.replace(/[^\p{L}\p{N}_-]+/gu, '_');
  return `${inventoryPath.slice(0, slash + 1)}${stem}.conflict-${safeNode}-${stamp}${extension}`;
}

export interface TwoWayContext {
  names: readonly [string, string];
  findLocal: LocalContentLookup;
  /** Folder paths whose removal a changed entry below them vetoed. */
  vetoed: ReadonlySet<string>;
  /** Goes into conflict names (UTC, e.g. 20261202-004512). */
  stamp: string;
  deltaMinimum?: number;
}

// `from`'s entry to the other node: the same action sequences as a mirror of that one row.
function propagate(row: ComparisonRow, from: 0 | 1, reason: string, context: TwoWayContext): Action[] {
  const to = other(from);
  const source = row.entries[from] ?? null;
  const existing = row.entries[to] ?? null;
  // Deletions run last: until then the deleted file can serve a local copy (a rename).
  if (!source) return existing ? [{ kind: 'remove', path: row.path, target: to, reason, afterWrites: true }] : [];
  if (source.type === 'folder') {
    return existing?.type === 'folder' ? [] : [{ kind: 'folder', path: row.path, target: to, mode: source.mode, reason }];
  }
  const actions: Action[] = [];
  if (existing?.type === 'folder') actions.push({ kind: 'remove', path: row.path, target: to, reason });
  if (source.type === 'symlink') actions.push({ kind: 'link', path: row.path, target: to, linkTarget: source.linkTarget ?? '', reason });
  else actions.push(writeAction(row, from, to, reason, context.findLocal, { ...(context.deltaMinimum !== undefined ? { deltaMinimum: context.deltaMinimum } : {}) }));
  return actions;
}

/** The actions of one row; `onConflict` hears each conflict as it is planned. */
export function planTwoWayRow(row: ComparisonRow, decision: TwoWayDecision, context: TwoWayContext,
  onConflict: (conflict: Conflict) => void = () => undefined): Action[] {
  switch (decision.kind) {
    case 'none':
      return [];
    case 'metadata': {
      const to = other(decision.from);
      const entry = row.entries[decision.from]!;
      return [{ kind: 'metadata', path: row.path, target: to, from: decision.from, entry, reason: `newer metadata on ${context.names[decision.from]}` }];
    }
    case 'propagate': {
      if (removedFrom(decision, row) !== null && context.vetoed.has(row.path)) {
        // Deleted on one side, but something below it changed on the other: it comes back.
        const keeper = other(decision.from);
        onConflict({ path: row.path, reason: `${decision.reason}, but something inside it changed on ${context.names[keeper]}: restored` });
        return propagate(row, keeper, `restored: changed inside on ${context.names[keeper]}`, context);
      }
      return propagate(row, decision.from, decision.reason, context);
    }
    case 'conflict': {
      const { winner } = decision;
      const loser = other(winner);
      const lost = row.entries[loser] ?? null;
      if (!lost || lost.type === 'folder') {
        onConflict({ path: row.path, reason: `${decision.reason}: kept ${context.names[winner]}'s version` });
        return propagate(row, winner, `conflict (${decision.reason}): ${context.names[winner]}'s version kept`, context);
      }
      // The loser's version first goes aside on both nodes, then the winner's takes the path.
      const keptAs = conflictPath(row.path, context.names[loser], context.stamp);
      onConflict({ path: row.path, reason: `${decision.reason}: ${context.names[winner]}'s version kept`, keptAs });
      const aside = `conflict: ${context.names[loser]}'s version kept aside`;
      const actions: Action[] = [];
      if (lost.type === 'symlink') {
        for (const target of [0, 1] as const) actions.push({ kind: 'link', path: keptAs, target, linkTarget: lost.linkTarget ?? '', reason: aside });
      } else {
        actions.push({ kind: 'write', path: keptAs, sourcePath: row.path, target: loser, from: loser, method: 'local', localFrom: row.path, entry: lost, reason: aside });
        actions.push({ kind: 'write', path: keptAs, sourcePath: row.path, target: winner, from: loser, method: 'whole', entry: lost, reason: aside });
      }
      actions.push(...propagate(row, winner, `conflict (${decision.reason}): ${context.names[winner]}'s version is newer`, context));
      return actions;
    }
  }
}
