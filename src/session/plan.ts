// Turns comparison rows into actions. Mirror: one node is the source of truth and every other
// node is made identical to it; entries only the targets hold are removed only when asked.
// For each file to write, the cheapest method: a local copy when the target already holds the
// same content under a path that stays as it is, a delta when it holds an older version, the
// whole content otherwise.
import { type ComparisonRow, differsInMetadata, sameContent } from '../node/compare.js';

export { differsInMetadata };
import type { EntryMetadata } from '../node/data-node.js';
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
  /**
   * The content of `entry` (node `from`) written to the target, with `entry`'s mode and mtime
   * unless `metadata` says otherwise (a copy of the content only).
   */
  | (ActionBase & { kind: 'write'; method: TransferMethod; from: number; entry: InventoryEntry; localFrom?: string;
    metadata?: EntryMetadata;
    /** Where the content is on `from` when not at `path` (a version kept aside under another name). */
    sourcePath?: string })
  /** Mode and mtime of `entry` (node `from`) applied to the target's entry, whose content stays. */
  | (ActionBase & { kind: 'metadata'; from: number; entry: InventoryEntry })
  | (ActionBase & { kind: 'folder'; mode: number })
  | (ActionBase & { kind: 'link'; linkTarget: string })
  /** `afterWrites`: a deletion, run once every write has run (its content may serve a local copy). */
  | (ActionBase & { kind: 'remove'; afterWrites?: true });

export type WriteAction = Extract<Action, { kind: 'write' }>;

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

export interface WriteChoice {
  deltaMinimum?: number;
  /** Copy the content only: the target keeps its file's mode (a new file takes the source's) and gets `now` as mtime. */
  contentOnly?: { now: bigint };
}

/** A write of `from`'s file to `target`, by the cheapest method the target allows. */
export function writeAction(row: ComparisonRow, from: number, target: number, reason: string, findLocal: LocalContentLookup,
  choice: WriteChoice = {}): Action {
  const source = row.entries[from]!;
  const existing = row.entries[target] ?? null;
  const localFrom = source.digest ? findLocal(target, source.digest) : undefined;
  let method: TransferMethod = 'whole';
  if (localFrom !== undefined) method = 'local';
  else if (existing?.type === 'file' && source.size >= (choice.deltaMinimum ?? DEFAULT_DELTA_MINIMUM)) method = 'delta';
  return { kind: 'write', path: row.path, target, from, method, entry: source, reason,
    ...(localFrom !== undefined ? { localFrom } : {}),
    ...(choice.contentOnly ? { metadata: { mode: existing?.type === 'file' ? existing.mode : source.mode, mtimeNs: choice.contentOnly.now } } : {}) };
}

/** Actions for one row, in the order they must run (a removal before what replaces it). */
export function planMirrorRow(row: ComparisonRow, options: MirrorOptions, findLocal: LocalContentLookup): Action[] {
  const { from } = options;
  const source = row.entries[from] ?? null;
  const actions: Action[] = [];
  if (row.status === 'identical' && !row.metadataDiffers) return actions;
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
      if (differsInMetadata(source, entry)) actions.push({ kind: 'metadata', path: row.path, target, from, entry: source, reason: 'mode or mtime differs' });
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
    actions.push(writeAction(row, from, target,
      !entry ? 'missing' : entry.type === 'file' ? 'content differs' : `a ${entry.type} stands where the source has a file`,
      findLocal, { deltaMinimum }));
  });
  return actions;
}
