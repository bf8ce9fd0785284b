// LocalDataNode inventories: digests, cache reuse (proven: a file rewritten in place with its old
// size and mtime keeps its old digest in quick mode), silent corruption in full mode, internal
// files, several sources, files that change while they are scanned, cancellation.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AbortedError, hash, InvalidArgumentError } from '../src/index.js';
import { withDigests, type InventoryEntry } from '../src/node/inventory.js';
import { LocalDataNode } from '../src/node/local-node.js';
import { scanSource } from '../src/node/scan.js';

async function collect(iterable: AsyncIterable<InventoryEntry>): Promise<InventoryEntry[]> {
  const entries: InventoryEntry[] = [];
  for await (const entry of iterable) entries.push(entry);
  return entries;
}
const files = (entries: InventoryEntry[]) => entries.filter((entry) => entry.type === 'file');

t.test('quick reuses the cache, full re-reads and finds silent corruption', async (t) => {
  const dir = t.testdir({ data: { 'a.txt': 'alpha', sub: { 'b.bin': 'bravo!' } }, state: {} });
  const node = new LocalDataNode({ name: 'n', sources: [{ alias: 'd', path: path.join(dir, 'data') }], stateFolder: path.join(dir, 'state') });
  t.teardown(() => node.close());
  const file = path.join(dir, 'data', 'a.txt');
  const mtime = 1_700_000_000;  // whole seconds, so it can be restored to the nanosecond
  await fs.utimes(file, mtime, mtime);
  const first = await collect(node.inventory());
  t.same(first.map((entry) => entry.path), ['d', 'd/a.txt', 'd/sub', 'd/sub/b.bin']);
  for (const entry of files(first)) {
    t.equal(entry.digestSource, 'hashed');
    t.ok(entry.digest?.equals(hash('blake3', await fs.readFile(entry.diskPath))), `${entry.path} digest`);
  }
  const second = await collect(node.inventory());
  t.same(files(second).map((entry) => entry.digestSource), ['cache', 'cache'], 'unchanged files come from the cache');

  // Same size, same mtime, same inode, other bytes: quick mode cannot know, and must not re-read.
  const handle = await fs.open(file, 'r+');
  await handle.write('ALPHA', 0);
  await handle.close();
  await fs.utimes(file, mtime, mtime);
  const quick = files(await collect(node.inventory({ hash: 'quick' })));
  t.ok(quick[0]!.digest?.equals(hash('blake3', Buffer.from('alpha'))), 'quick: the old digest, so the file was not read');
  t.equal(quick[0]!.digestSource, 'cache');
  const full = files(await collect(node.inventory({ hash: 'full' })));
  t.ok(full[0]!.digest?.equals(hash('blake3', Buffer.from('ALPHA'))), 'full: the new content');
  t.equal(full[0]!.silentCorruption, true, 'reported as silent corruption');
  t.notOk(full[1]!.silentCorruption);
  const after = files(await collect(node.inventory({ hash: 'quick' })));
  t.ok(after[0]!.digest?.equals(hash('blake3', Buffer.from('ALPHA'))), 'the cache learnt the new digest');

  // A changed mtime is enough to hash again.
  await fs.utimes(file, mtime + 1, mtime + 1);
  t.equal(files(await collect(node.inventory()))[0]!.digestSource, 'hashed');
  const none = files(await collect(node.inventory({ hash: 'none' })));
  t.equal(none[0]!.digest, undefined, "'none' lists metadata only");
});

t.test('state and temporary files are never listed; sources stream in alias order', async (t) => {
  const dir = t.testdir({ z: { 'f': '1', 'x.deltanode-tmp': 'partial', '.deltanode': { other: 'node' } }, a: { 'g': '2' } });
  const node = new LocalDataNode({
    name: 'n',
    sources: [{ alias: 'zeta', path: path.join(dir, 'z') }, { alias: 'alpha', path: path.join(dir, 'a'), ignore: ['g'] }],
    stateFolder: path.join(dir, 'z', 'my-state'),
    ignore: ['*.log'],
  });
  t.teardown(() => node.close());
  await fs.writeFile(path.join(dir, 'z', 'debug.log'), 'x');
  const entries = await collect(node.inventory());
  t.same(entries.map((entry) => entry.path), ['alpha', 'zeta', 'zeta/f']);
  t.ok((await fs.readdir(path.join(dir, 'z', 'my-state'))).includes('hash-cache.db'), 'the cache lives in the state folder');
});

t.test('bad node definitions are refused', async (t) => {
  const base = { name: 'n', stateFolder: t.testdir() };
  t.throws(() => new LocalDataNode({ ...base, sources: [] }), InvalidArgumentError);
  t.throws(() => new LocalDataNode({ ...base, sources: [{ alias: 'a/b', path: '.' }] }), InvalidArgumentError);
  t.throws(() => new LocalDataNode({ ...base, sources: [{ alias: '..', path: '.' }] }), InvalidArgumentError);
  t.throws(() => new LocalDataNode({ ...base, sources: [{ alias: 'x', path: '.' }, { alias: 'x', path: '..' }] }), InvalidArgumentError);
});

t.test('a file that changes between listing and hashing is reported, not cached', async (t) => {
  const dir = t.testdir({ src: { f: 'content' } });
  const scanned = async function* () {
    for await (const entry of scanSource('s', path.join(dir, 'src'))) {
      // As if the file had been rewritten after it was listed.
      yield entry.type === 'file' ? { ...entry, mtimeNs: entry.mtimeNs - 1n } : entry;
    }
  };
  const entries = await collect(withDigests(scanned(), { hash: 'full', cache: null }));
  t.equal(entries[1]!.changedDuringScan, true);
});

t.test('unreadable files become error entries; cancellation rejects', async (t) => {
  const dir = t.testdir({ src: { ok: 'x' } });
  const listed = await collect(scanSource('s', path.join(dir, 'src')));
  const scanned = async function* () {
    yield* listed;
    // Listed, then deleted before it could be read.
    yield { ...listed[1]!, path: 's/vanished', diskPath: path.join(dir, 'src', 'vanished') };
  };
  const entries = await collect(withDigests(scanned(), { hash: 'full', cache: null }));
  t.equal(entries.at(-1)!.error?.code, 'ENOENT', 'a file gone before it was read is an error entry');

  const big = path.join(dir, 'big');
  const handle = await fs.open(big, 'w');
  await handle.truncate(4 * 2 ** 30);
  await handle.close();
  const node = new LocalDataNode({ name: 'n', sources: [{ alias: 'b', path: dir }], stateFolder: path.join(dir, 'state') });
  t.teardown(() => node.close());
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  await t.rejects(collect(node.inventory({ signal: controller.signal, hash: 'full' })), AbortedError);
});
