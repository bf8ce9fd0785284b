// scanSource: order, links, special files, collisions, ignore rules, unreadable entries.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IgnoreRules } from '../src/node/ignore.js';
import { comparePaths } from '../src/node/paths.js';
import { scanSource, type ScanEntry, type SkippedEntry } from '../src/node/scan.js';
import { flatten } from './fixtures/helpers.js';

const collect = (batches: AsyncIterable<ScanEntry[]>): Promise<ScanEntry[]> => flatten(batches);

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
}

t.test('entries stream in inventory order with their metadata', async (t) => {
  const root = t.testdir();
  await tree(root, { 'a-c': '1', 'a/x': '22', 'a/x.d/y': '333', 'b.txt': 'hello', 'a/z/deep/file': '', 'é': 'e' });
  await fs.chmod(path.join(root, 'b.txt'), 0o640);
  const entries = await collect(scanSource('src', root, { prefetch: 1, batchSize: 2 }));
  const paths = entries.map((entry) => entry.path);
  t.same(paths, ['src', 'src/a', 'src/a/x', 'src/a/x.d', 'src/a/x.d/y', 'src/a/z', 'src/a/z/deep', 'src/a/z/deep/file',
    'src/a-c', 'src/b.txt', 'src/é']);
  t.same([...paths].sort(comparePaths), paths, 'sorted by comparePaths');
  const file = entries.find((entry) => entry.path === 'src/b.txt')!;
  t.equal(file.type, 'file');
  t.equal(file.size, 5);
  t.equal(file.mode, 0o640);
  t.equal(file.diskPath, path.join(root, 'b.txt'));
  const stats = await fs.stat(file.diskPath, { bigint: true });
  t.equal(file.mtimeNs, stats.mtimeNs, 'nanosecond mtime');
  t.equal(file.inode, stats.ino);
  t.equal(entries[0]!.type, 'folder');
  await t.rejects(collect(scanSource('x', path.join(root, 'b.txt'))), { code: 'DELTANODE_ERR_IO', message: /is not a folder/ });
  await t.rejects(collect(scanSource('x', path.join(root, 'missing'))), { code: 'DELTANODE_ERR_IO', message: /source x: .* does not exist/ });
});

t.test('links are recorded, never followed; special files are skipped and reported', async (t) => {
  const root = t.testdir({ inside: { f: 'data' } });
  const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'deltanode-outside-'));
  t.teardown(() => fs.rm(outside, { recursive: true, force: true }));
  await fs.writeFile(path.join(outside, 'secret'), 'do not read');
  await fs.symlink(outside, path.join(root, 'out'));
  await fs.symlink('inside/f', path.join(root, 'rel'));
  await fs.symlink('missing', path.join(root, 'dangling'));
  execFileSync('mkfifo', [path.join(root, 'pipe')]);
  const skipped: SkippedEntry[] = [];
  const entries = await collect(scanSource('s', root, { onSkip: (entry) => skipped.push(entry) }));
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  t.equal(byPath.get('s/out')?.type, 'symlink');
  t.equal(byPath.get('s/out')?.linkTarget, outside);
  t.equal(byPath.get('s/rel')?.linkTarget, 'inside/f');
  t.equal(byPath.get('s/dangling')?.linkTarget, 'missing');
  t.notOk([...byPath.keys()].some((p) => p.includes('secret')), 'the walk did not go through the link');
  t.notOk(byPath.has('s/pipe'), 'the FIFO is not an entry');
  t.same(skipped.map(({ path: p, reason }) => [p, reason]), [['s/pipe', 'special']]);
});

t.test('names that collide by case or by Unicode normalisation are flagged', async (t) => {
  const root = t.testdir({ README: '1', Readme: '2', other: '3' });
  await fs.writeFile(path.join(root, 'Caf\u00e9'), 'nfc');
  await fs.writeFile(path.join(root, 'Cafe\u0301'), 'nfd');
  const entries = await collect(scanSource('c', root));
  const flags = entries.filter((entry) => entry.collision).map((entry) => [entry.path, entry.collision]);
  t.same(flags, [['c/Caf\u00e9', 'normalization'], ['c/Caf\u00e9', 'normalization'], ['c/README', 'case'], ['c/Readme', 'case']]);
  const cafes = entries.filter((entry) => entry.path === 'c/Caf\u00e9').map((entry) => path.basename(entry.diskPath));
  t.same(cafes.sort(), ['Cafe\u0301', 'Caf\u00e9'].sort(), 'each keeps its on-disk spelling');
});

t.test('ignore rules and internal names', async (t) => {
  const root = t.testdir();
  await tree(root, { 'keep.txt': '', 'x.tmp': '', 'build/out.bin': '', 'src/build/y': '', 'logs/a.log': '', 'logs/keep.log': '',
    '.deltanode/state': '', 'file.deltanode-tmp': '' });
  const rules = IgnoreRules.parse('*.tmp\n/build/\n*.log\n!keep.log');
  const entries = await collect(scanSource('r', root, {
    ignore: [rules],
    isInternal: (name) => name === '.deltanode' || name.endsWith('.deltanode-tmp'),
  }));
  t.same(entries.map((entry) => entry.path), ['r', 'r/keep.txt', 'r/logs', 'r/logs/keep.log', 'r/src', 'r/src/build', 'r/src/build/y']);
});

t.test('unreadable entries become error entries (as a user that permissions apply to)', async (t) => {
  const root = t.testdir({ open: { f: 'x' }, closed: { g: 'y' }, 'locked.txt': 'z', listonly: { h: 'w' } });
  await fs.chmod(path.join(root, 'closed'), 0o000);
  await fs.chmod(path.join(root, 'locked.txt'), 0o000);  // its metadata can be read, its content cannot
  await fs.chmod(path.join(root, 'listonly'), 0o444);  // names can be read, entries cannot be looked up
  const scanner = `
    const { scanSource } = await import(${JSON.stringify(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/node/scan.js'))});
    const out = {};
    for (const hash of ['none', 'full']) {
      out[hash] = [];
      for await (const batch of scanSource('u', ${JSON.stringify(root)}, { hash })) {
        for (const e of batch) out[hash].push({ path: e.path, error: e.error?.code ?? null });
      }
    }
    process.stdout.write(JSON.stringify(out));`;
  const asRoot = process.getuid?.() === 0;
  // Root reads anything; run the scan as "nobody" then, which permissions do apply to.
  // A clean environment (env -i): tap's process hooks would otherwise follow the child and write
  // where nobody cannot.
  const result = spawnSync('env', ['-i', process.execPath, '--input-type=module', '-e', scanner],
    { encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
  if (result.error && asRoot) {
    t.ok(true, 'not checked', { skip: `cannot run as nobody here: ${result.error.message}` });
  }
  await fs.chmod(path.join(root, 'closed'), 0o755);
  await fs.chmod(path.join(root, 'listonly'), 0o755);
  await fs.chmod(path.join(root, 'locked.txt'), 0o644);
  if (result.error) return;
  t.equal(result.status, 0, 'the scan ran');
  t.equal(result.stderr, '');
  const entries = JSON.parse(result.stdout) as Record<'none' | 'full', Array<{ path: string; error: string | null }>>;
  t.same(entries.full.find((entry) => entry.path === 'u/locked.txt'), { path: 'u/locked.txt', error: 'EACCES' },
    'a file whose content cannot be read is an error entry when it must be hashed');
  t.same(entries.none, [
    { path: 'u', error: null },
    { path: 'u/closed', error: 'EACCES' },
    { path: 'u/listonly', error: null },
    { path: 'u/listonly/h', error: 'EACCES' },
    { path: 'u/locked.txt', error: null },
    { path: 'u/open', error: null },
    { path: 'u/open/f', error: null },
  ], 'the unreadable folder is an error entry and the walk goes on');
});
