// The plan store: rows come back in the order they were added, whole (bigints, digests, errors,
// links), whether they stayed in memory or went to disk past the budget; identical rows are not
// kept; local-copy sources are found per node.
import t from 'tap';
import type { ComparisonRow } from '../src/node/compare.js';
import type { InventoryEntry } from '../src/node/entries.js';
import { PlanStore } from '../src/session/plan-store.js';

const entry = (path: string, extra: Partial<InventoryEntry> = {}): InventoryEntry => ({
  path, diskPath: `/disk/${path}`, type: 'file', size: path.length, mtimeNs: 1_700_000_000_123_456_789n + BigInt(path.length), mode: 0o644,
  inode: 2n ** 63n + 5n, device: 66306n, digest: Buffer.alloc(32, path.length), digestSource: 'hashed', ...extra,
});

const rowOf = (i: number): ComparisonRow => {
  const path = `data/d${i % 7}/file-${i}`;
  if (i % 5 === 0) {
    return { path, status: 'error', groups: [[0], [1]], entries: [entry(path, { error: { code: 'DELTANODE_ERR_IO', message: `cannot read ${i}` } }), null] };
  }
  if (i % 3 === 0) {
    return { path, status: 'different', groups: [[0], [1]], entries: [entry(path, { type: 'symlink', linkTarget: `../t${i}`, digest: undefined }), entry(path)] };
  }
  return { path, status: 'missing', groups: [[0]], entries: [entry(path), null] };
};

// Bigints and Buffers shown by type, object keys in one order: what the store must round-trip.
const canonical = (value: unknown): unknown => {
  if (typeof value === 'bigint') return `${value}n`;
  if (Buffer.isBuffer(value)) return `buffer ${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
};
const shown = (rows: Iterable<ComparisonRow>) => [...rows].map((row) => JSON.stringify(canonical(row)));

for (const [name, budget] of [['in memory', undefined], ['past the budget, on disk', 4000], ['on disk from the first row', 0]] as const) {
  t.test(`rows, ${name}`, async (t) => {
    const store = new PlanStore(budget);
    t.teardown(() => store.close());
    const rows = Array.from({ length: 1500 }, (_, i) => rowOf(i));
    store.add({ path: 'data/same', status: 'identical', groups: [[0, 1]], entries: [entry('data/same'), entry('data/same')] });
    for (const row of rows) store.add(row);
    t.equal(store.rows, rows.length, 'identical rows are not counted or kept');
    const expected = shown(rows);
    t.same(shown(store.stored()), expected, 'every row, whole and in order');
    t.same(shown(store.stored()), expected, 'a second pass yields the same');
    const first = store.stored().next().value!;
    t.type(first.entries[0]!.mtimeNs, 'bigint');
    t.ok(Buffer.isBuffer(first.entries[0]!.digest), 'digests are Buffers');
  });
}

t.test('an identical row whose metadata differs is kept', async (t) => {
  const store = new PlanStore();
  t.teardown(() => store.close());
  store.add({ path: 'data/m', status: 'identical', metadataDiffers: true, groups: [[0, 1]], entries: [entry('data/m'), entry('data/m', { mode: 0o600 })] });
  t.equal(store.rows, 1);
  t.equal([...store.stored()][0]!.entries[1]!.mode, 0o600);
});

t.test('local-copy sources, per node', async (t) => {
  const store = new PlanStore();
  t.teardown(() => store.close());
  const kept = entry('data/old', { digest: Buffer.alloc(32, 9) });
  t.equal(store.findLocal(1, kept.digest!), undefined, 'nothing noted yet');
  store.addLocal(1, kept);
  store.addLocal(1, entry('data/changing', { digest: Buffer.alloc(32, 8), changedDuringScan: true }));
  store.addLocal(1, entry('data/folder', { type: 'folder', digest: undefined }));
  t.equal(store.findLocal(1, Buffer.alloc(32, 9)), 'data/old', 'found by digest on its node');
  t.equal(store.findLocal(2, Buffer.alloc(32, 9)), undefined, 'not on another node');
  t.equal(store.findLocal(1, Buffer.alloc(32, 8)), undefined, 'a file that changed while it was hashed is no source');
  t.equal(store.findLocal(1, Buffer.alloc(32, 7)), undefined, 'an unknown digest');
});
