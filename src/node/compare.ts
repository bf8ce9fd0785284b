// N-way comparison of inventories that stream in path order: a k-way merge that holds one entry
// per node at a time, so memory does not grow with the number of files.
import type { InventoryEntry } from './inventory.js';
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
}

export interface ComparisonSummary {
  rows: number;
  byStatus: Record<ComparisonStatus, { rows: number; bytes: number }>;
}

function contentKey(entry: InventoryEntry): string | null {
  if (entry.error) return null;
  if (entry.type === 'folder') return 'folder';
  if (entry.type === 'symlink') return `link:${entry.linkTarget ?? ''}`;
  return entry.digest ? `file:${entry.digest.toString('hex')}` : null;
}

function classify(entries: Array<InventoryEntry | null>): { status: ComparisonStatus; groups: number[][] } {
  const groups = new Map<string, number[]>();
  const alone: number[][] = [];
  let present = 0;
  let failed = false;
  const types = new Set<string>();
  entries.forEach((entry, node) => {
    if (!entry) return;
    present++;
    types.add(entry.type);
    if (entry.error) failed = true;
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

/** Rows in path order, one per path that any inventory holds. */
export async function* compareInventories(inventories: ReadonlyArray<AsyncIterable<InventoryEntry>>,
  summary?: ComparisonSummary): AsyncGenerator<ComparisonRow> {
  const iterators = inventories.map((inventory) => inventory[Symbol.asyncIterator]());
  const heads: Array<InventoryEntry | null> = await Promise.all(iterators.map(async (it) => (await it.next()).value ?? null));
  try {
    for (;;) {
      let smallest: string | null = null;
      for (const head of heads) if (head && (smallest === null || comparePaths(head.path, smallest) < 0)) smallest = head.path;
      if (smallest === null) return;
      const entries = heads.map((head) => (head && head.path === smallest ? head : null));
      // Advance every node that held this path (a node listing a path twice keeps the later twin for the next row).
      await Promise.all(entries.map(async (entry, node) => {
        if (entry) heads[node] = (await iterators[node]!.next()).value ?? null;
      }));
      const { status, groups } = classify(entries);
      if (summary) {
        summary.rows++;
        summary.byStatus[status].rows++;
        summary.byStatus[status].bytes += Math.max(0, ...entries.map((entry) => (entry?.type === 'file' ? entry.size : 0)));
      }
      yield { path: smallest, entries, groups, status };
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}

export function emptySummary(): ComparisonSummary {
  const zero = () => ({ rows: 0, bytes: 0 });
  return { rows: 0, byStatus: { identical: zero(), different: zero(), missing: zero(), 'type-conflict': zero(), error: zero() } };
}
