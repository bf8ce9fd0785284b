// Turns comparison rows into actions. Mirror: one node is the source of truth and every other
// node is made identical to it; entries only the targets hold are removed only when asked.
// For each file to write, the cheapest method: a local copy when the target already holds the
// same content under a path that stays as it is, a delta when it holds an older version, the
// whole content otherwise.
import { type ComparisonRow, sameContent } from '../node/compare.js';
import type { InventoryEntry } from '../node/entries.js';

export type TransferMethod = 'local' | 'delta' | 'whole';

interface ActionBase {
  path: string;
  /** Index of the node that changes. */
  target: number;
  /** Why, in words. */
  reason: string;
}

export type Action =
  | (ActionBase & { kind: 'write'; method: TransferMethod; from: number; entry: InventoryEntry; localFrom?: string })
  | (ActionBase & { kind: 'folder'; mode: number })
  | (ActionBase & { kind: 'link'; linkTarget: string })
  /** `afterWrites`: removes what the source lacks, once every write has run (its content may serve a local copy). */
  | (ActionBase & { kind: 'remove'; afterWrites?: true });

export interface MirrorOptions {
  /** Index of the node that is the source of truth. */
  from: number;
  /** Remove what only the targets hold (default: keep it and report it). */
  delete?: boolean;
  /** Files smaller than this are sent whole even when the target has an older version. */
  deltaMinimum?: number;
}

/** Finds a path of a target node that holds some content and is left as it is by the plan. */
export type LocalContentLookup = (target: number, digest: Buffer) => string | undefined;

export const DEFAULT_DELTA_MINIMUM = 64 * 1024;

/** Actions for one row, in the order they must run (a removal before what replaces it). */
export function planMirrorRow(row: ComparisonRow, options: MirrorOptions, findLocal: LocalContentLookup): Action[] {
  const { from } = options;
  const source = row.entries[from] ?? null;
  const actions: Action[] = [];
  if (row.status === 'identical') return actions;
  // An unreadable entry anywhere: nothing can be proven about this path, so nothing is changed.
  if (row.status === 'error') return actions;
  const deltaMinimum = options.deltaMinimum ?? DEFAULT_DELTA_MINIMUM;
  row.entries.forEach((entry, target) => {
    if (target === from) return;
    if (!source) {
      if (entry && options.delete) actions.push({ kind: 'remove', path: row.path, target, reason: 'not on the source node', afterWrites: true });
      return;
    }
    if (entry && sameContent(source, entry)) {
      return;
    }
    if (source.type === 'folder') {
      if (entry?.type === 'folder') return;
      actions.push({ kind: 'folder', path: row.path, target, mode: source.mode, reason: entry ? `a ${entry.type} stands where the source has a folder` : 'missing' });
      return;
    }
    if (entry?.type === 'folder') {
      actions.push({ kind: 'remove', path: row.path, target, reason: `a folder stands where the source has a ${source.type}` });
    }
    if (source.type === 'symlink') {
      actions.push({ kind: 'link', path: row.path, target, linkTarget: source.linkTarget ?? '', reason: entry ? 'link target differs' : 'missing' });
      return;
    }
    const localFrom = source.digest ? findLocal(target, source.digest) : undefined;
    let method: TransferMethod = 'whole';
    if (localFrom !== undefined) method = 'local';
    else if (entry?.type === 'file' && source.size >= deltaMinimum) method = 'delta';
    actions.push({ kind: 'write', path: row.path, target, from, method, entry: source,
      reason: !entry ? 'missing' : entry.type === 'file' ? 'content differs' : `a ${entry.type} stands where the source has a file`,
      ...(localFrom !== undefined ? { localFrom } : {}) });
  });
  return actions;
}
