// N-way comparison over real inventories (2, 3 and 8 nodes): every status, content groups,
// path order, and the summary.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compareInventories, emptySummary, type ComparisonRow } from '../src/node/compare.js';
import { hash } from '../src/index.js';
import { ContentMatcher } from '../src/node/content-matcher.js';
import { LocalDataNode } from '../src/node/local-node.js';
import { comparePaths } from '../src/node/paths.js';

async function nodesFor(dir: string, trees: object[]): Promise<LocalDataNode[]> {
  const nodes: LocalDataNode[] = [];
  for (const [i, tree] of trees.entries()) {
    const root = path.join(dir, `n${i}`);
    await fs.mkdir(root, { recursive: true });
    await write(root, tree);
    nodes.push(new LocalDataNode({ name: `n${i}`, sources: [{ alias: 'data', path: root }], stateFolder: path.join(dir, `state${i}`) }));
  }
  return nodes;
}

async function write(root: string, tree: object): Promise<void> {
  for (const [name, value] of Object.entries(tree)) {
    const target = path.join(root, name);
    if (typeof value === 'string') await fs.writeFile(target, value);
    else if (value && typeof value === 'object' && 'link' in value) await fs.symlink((value as { link: string }).link, target);
    else {
      await fs.mkdir(target);
      await write(target, value as object);
    }
  }
}

async function rows(nodes: LocalDataNode[]) {
  const summary = emptySummary();
  const out: ComparisonRow[] = [];
  for await (const batch of compareInventories(nodes.map((node) => node.inventory()), summary)) out.push(...batch);
  return { rows: out, summary, status: Object.fromEntries(out.map((row) => [row.path, row.status])) };
}

t.test('two nodes: every status', async (t) => {
  const nodes = await nodesFor(t.testdir(), [
    { same: 'x', diff: 'aaa', onlyA: '1', conflict: 'file', link: { link: 'same' }, linkDiff: { link: 'a' }, dir: { inner: 'i' } },
    { same: 'x', diff: 'bbbb', onlyB: '2', conflict: { nested: 'n' }, link: { link: 'same' }, linkDiff: { link: 'b' }, dir: { inner: 'i' } },
  ]);
  t.teardown(() => Promise.all(nodes.map((node) => node.close())));
  const { status, rows: all, summary } = await rows(nodes);
  t.same(status, {
    data: 'identical', 'data/conflict': 'type-conflict', 'data/conflict/nested': 'missing', 'data/diff': 'different',
    'data/dir': 'identical', 'data/dir/inner': 'identical', 'data/link': 'identical', 'data/linkDiff': 'different',
    'data/onlyA': 'missing', 'data/onlyB': 'missing', 'data/same': 'identical',
  });
  t.same(all.map((row) => row.path), all.map((row) => row.path).sort(comparePaths), 'rows in path order');
  const diff = all.find((row) => row.path === 'data/diff')!;
  t.same(diff.groups, [[0], [1]]);
  t.equal(summary.rows, all.length);
  t.equal(summary.byStatus.different.rows, 2);
  t.equal(summary.byStatus.different.bytes, 4, 'bytes: the largest copy of each row');
  t.equal(summary.byStatus.missing.rows, 3);
});

t.test('three nodes: content groups', async (t) => {
  const nodes = await nodesFor(t.testdir(), [{ f: 'v1', g: 'same' }, { f: 'v2', g: 'same' }, { f: 'v1', g: 'same' }]);
  t.teardown(() => Promise.all(nodes.map((node) => node.close())));
  const { rows: all } = await rows(nodes);
  const f = all.find((row) => row.path === 'data/f')!;
  t.equal(f.status, 'different');
  t.same(f.groups, [[0, 2], [1]], 'nodes 0 and 2 hold the same content');
  t.equal(all.find((row) => row.path === 'data/g')!.status, 'identical');
});

t.test('eight nodes: identical until one differs, paths stay in order', async (t) => {
  const tree = { a: { b: '1', 'b-c': '2' }, 'a.txt': '3', z: '4' };
  const nodes = await nodesFor(t.testdir(), Array.from({ length: 8 }, (_, i) => (i === 5 ? { ...tree, z: '5' } : tree)));
  t.teardown(() => Promise.all(nodes.map((node) => node.close())));
  const { rows: all, summary } = await rows(nodes);
  t.same(all.map((row) => row.path), ['data', 'data/a', 'data/a/b', 'data/a/b-c', 'data/a.txt', 'data/z']);
  t.equal(summary.byStatus.identical.rows, 5);
  const z = all.find((row) => row.path === 'data/z')!;
  t.equal(z.status, 'different');
  t.same(z.groups, [[0, 1, 2, 3, 4, 6, 7], [5]]);
});

t.test('an unreadable entry, or one that changed while read, makes its row an error', async (t) => {
  const entry = (p: string, extra: object = {}) => ({
    path: p, diskPath: p, type: 'file' as const, size: 1, mtimeNs: 0n, mode: 0, inode: 0n, device: 0n, digest: Buffer.from('d'), ...extra,
  });
  // Batches of any size, empty ones included, merge the same way.
  async function* list(...batches: Array<Array<ReturnType<typeof entry>>>) { yield* batches; }
  const out: ComparisonRow[] = [];
  for await (const batch of compareInventories([
    list([entry('w'), entry('x')], [], [entry('y')], [entry('z')]),
    list([], [entry('w', { changedDuringScan: true }), entry('x', { error: { code: 'EACCES', message: 'no' }, digest: undefined })], [entry('z')]),
  ])) {
    out.push(...batch);
  }
  t.same(out.map((row) => [row.path, row.status]), [['w', 'error'], ['x', 'error'], ['y', 'missing'], ['z', 'identical']]);
});

t.test('the same content under another path is a move or duplicate candidate', async (t) => {
  const nodes = await nodesFor(t.testdir(), [
    { 'old-name': 'payload', dup1: 'twice', same: 's' },
    { 'new-name': 'payload', dup2: 'twice', same: 's', 'other-new': 'unrelated' },
    { 'old-name': 'payload', same: 's' },
  ]);
  t.teardown(() => Promise.all(nodes.map((node) => node.close())));
  const matcher = new ContentMatcher();
  t.teardown(() => matcher.close());
  for await (const batch of compareInventories(nodes.map((node) => node.inventory()))) for (const row of batch) matcher.add(row);
  const candidates = [...matcher.candidates()];
  const payload = hash('blake3', Buffer.from('payload')).toString('hex');
  const twice = hash('blake3', Buffer.from('twice')).toString('hex');
  t.same(candidates.map((c) => c.digest).sort(), [payload, twice].sort());
  const moved = candidates.find((c) => c.digest === payload)!;
  t.same(moved.places, [{ path: 'data/new-name', nodes: [1] }, { path: 'data/old-name', nodes: [0, 2] }]);
  t.equal(moved.size, 7);
  t.same(candidates.find((c) => c.digest === twice)!.places.map((p) => p.path), ['data/dup1', 'data/dup2']);
});
