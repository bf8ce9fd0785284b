// N-way comparison of inventories that stream in path order: a k-way merge that holds one entry
// per node at a time (a batch per node), so memory does not grow with the number of files.
import type { InventoryEntry } from './entries.js';
import { comparePaths } from './paths.js';

export type ComparisonStatus = 'identical' | 'different' | 'missing' | 'type-conflict' | 'error';

export interface ComparisonRow {
  path: string;
  /** One slot per node, in the order the inventories were given; null where the node lacks the path. */
  entries: Array<InventoryEntry | null>;
  /**
   * Nodes holding the same content, as lists of node indexes: files by digest, links by target,
   * folders together. A node without a usable digest stands alone.
   */
  groups: number[][];
  status: ComparisonStatus;
  /** Identical content whose mode (or, for files, mtime) differs between nodes. */
  metadataDiffers?: true;
}

export interface ComparisonSummary {
  rows: number;
  byStatus: Record<ComparisonStatus, { rows: number; bytes: number }>;
}

// A file that changed while it was read has a digest of no single version: it cannot prove
// anything equal, so its row is an error like an unreadable file's.
const unusable = (entry: InventoryEntry) => entry.error !== undefined || entry.changedDuringScan === true;

function contentKey(entry: InventoryEntry): string | null {
  if (unusable(entry)) return null;
  if (entry.type === 'folder') return 'folder';
  if (entry.type === 'symlink') return `link:${entry.linkTarget ?? ''}`;
  return entry.digest ? `file:${entry.digest.toString('hex')}` : null;
}

function classifySlowly(entries: Array<InventoryEntry | null>): { status: ComparisonStatus; groups: number[][] } {
  const groups = new Map<string, number[]>();
  const alone: number[][] = [];
  let present = 0;
  let failed = false;
  const types = new Set<string>();
  entries.forEach((entry, node) => {
    if (!entry) return;
    present++;
    types.add(entry.type);
    if (unusable(entry)) failed = true;
    const key = contentKey(entry);
    if (key === null) {
      alone.push([node]);
      return;
    }
    const group = groups.get(key);
    if (group) group.push(node);
    else groups.set(key, [node]);
  });
  const all = [...groups.values(), ...alone].sort((a, b) => a[0]! - b[0]!);
  let status: ComparisonStatus;
  if (failed) status = 'error';
  else if (types.size > 1) status = 'type-conflict';
  else if (present < entries.length) status = 'missing';
  else status = all.length === 1 ? 'identical' : 'different';
  return { status, groups: all };
}

/** Whether two entries hold the same thing: the same type and, for files, digest; for links, target. */
export function sameContent(a: InventoryEntry, b: InventoryEntry): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'folder') return true;
  if (a.type === 'symlink') return a.linkTarget === b.linkTarget;
  return a.digest !== undefined && b.digest !== undefined && a.digest.equals(b.digest);
}

// The common case, every node holding the same thing, without building keys.
function sameEverywhere(entries: Array<InventoryEntry | null>): boolean {
  const first = entries[0];
  if (!first || unusable(first)) return false;
  for (let node = 1; node < entries.length; node++) {
    const entry = entries[node];
    if (!entry || unusable(entry) || !sameContent(first, entry)) return false;
  }
  return first.type !== 'file' || first.digest !== undefined;
}

// The groups of an identical row: one shared, frozen value per node count (rows are read, never edited).
const together = new Map<number, number[][]>();
function allTogether(count: number): number[][] {
  let groups = together.get(count);
  if (!groups) {
    groups = Object.freeze([Object.freeze(Array.from({ length: count }, (_, node) => node))]) as unknown as number[][];
    together.set(count, groups);
  }
  return groups;
}

/**
 * Mtimes closer than this are the same: times set through utimes pass through a double (about
 * 0.24 us of error at today's dates), and several file systems keep less than nanoseconds.
 */
export const MTIME_WINDOW_NS = 2000n;

/** Mode (links have none that matters) or, for files, mtime differ between two entries of the same type. */
export function differsInMetadata(a: InventoryEntry, b: InventoryEntry): boolean {
  if (a.type !== 'symlink' && a.mode !== b.mode) return true;
  if (a.type !== 'file') return false;
  const apart = a.mtimeNs - b.mtimeNs;
  return apart >= MTIME_WINDOW_NS || apart <= -MTIME_WINDOW_NS;
}

// Folders' mtimes change with their content and links' cannot always be set: files' only count.
function metadataVaries(entries: Array<InventoryEntry | null>): boolean {
  const first = entries[0]!;
  for (let node = 1; node < entries.length; node++) {
    if (differsInMetadata(first, entries[node]!)) return true;
  }
  return false;
}

function classify(entries: Array<InventoryEntry | null>): { status: ComparisonStatus; groups: number[][] } {
  if (sameEverywhere(entries)) return { status: 'identical', groups: allTogether(entries.length) };
  return classifySlowly(entries);
}

/**
 * Rows in path order, one per path that any inventory holds, in batches. Each inventory is a
 * stream of entry batches in path order (DataNode.inventory).
 */
export async function* compareInventories(inventories: ReadonlyArray<AsyncIterable<InventoryEntry[]>>,
  summary?: ComparisonSummary): AsyncGenerator<ComparisonRow[]> {
  const count = inventories.length;
  const iterators = inventories.map((inventory) => inventory[Symbol.asyncIterator]());
  const batches: InventoryEntry[][] = iterators.map(() => []);
  const positions: number[] = iterators.map(() => 0);
  const finished: boolean[] = iterators.map(() => false);
  const refill = async (node: number) => {
    while (!finished[node] && positions[node]! >= batches[node]!.length) {
      const next = await iterators[node]!.next();
      if (next.done) finished[node] = true;
      else {
        batches[node] = next.value;
        positions[node] = 0;
      }
    }
  };
  try {
    for (;;) {
      await Promise.all(batches.map((_, node) => refill(node)));
      const rows: ComparisonRow[] = [];
      // Rows until one node's batch runs out (it must be refilled before the next smallest path is known).
      for (;;) {
        let smallest: string | null = null;
        let starved = false;
        for (let node = 0; node < count; node++) {
          const head = batches[node]![positions[node]!];
          if (!head) {
            if (!finished[node]) starved = true;
            continue;
          }
          if (smallest === null || comparePaths(head.path, smallest) < 0) smallest = head.path;
        }
        if (starved || smallest === null) break;
        const entries: Array<InventoryEntry | null> = new Array(count);
        for (let node = 0; node < count; node++) {
          const head = batches[node]![positions[node]!];
          // A node listing a path twice keeps the later twin for the next row.
          if (head && head.path === smallest) {
            entries[node] = head;
            positions[node]!++;
          } else {
            entries[node] = null;
          }
        }
        const { status, groups } = classify(entries);
        if (summary) {
          summary.rows++;
          const bucket = summary.byStatus[status];
          bucket.rows++;
          let bytes = 0;
          for (const entry of entries) if (entry?.type === 'file' && entry.size > bytes) bytes = entry.size;
          bucket.bytes += bytes;
        }
        const row: ComparisonRow = { path: smallest, entries, groups, status };
        if (status === 'identical' && metadataVaries(entries)) row.metadataDiffers = true;
        rows.push(row);
      }
      if (rows.length > 0) yield rows;
      if (finished.every(Boolean) && batches.every((batch, node) => positions[node]! >= batch.length)) return;
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}

export function emptySummary(): ComparisonSummary {
  const zero = () => ({ rows: 0, bytes: 0 });
  return { rows: 0, byStatus: { identical: zero(), different: zero(), missing: zero(), 'type-conflict': zero(), error: zero() } };
}
