// LocalDataNode inventories: digests, cache reuse (proven: a file rewritten in place with its old
// size and mtime keeps its old digest in quick mode), silent corruption in full mode, internal
// files, several sources, files that change while they are scanned, cancellation.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { AbortedError, hash, InvalidArgumentError } from '../src/index.js';
import { encodeFolderCache } from '../src/engine/folder-scan.js';
import type { InventoryEntry } from '../src/node/entries.js';
import { HashCache } from '../src/node/hash-cache.js';
import { InventoryMeter, LargeFileHasher } from '../src/node/inventory.js';
import { LocalDataNode } from '../src/node/local-node.js';
import { scanSource } from '../src/node/scan.js';
import { flatten } from './fixtures/helpers.js';

const collect = (batches: AsyncIterable<InventoryEntry[]>): Promise<InventoryEntry[]> => flatten(batches);
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

t.test('files that change while they are read are reported; unflagged digests are of a real version', async (t) => {
  const dir = t.testdir({ src: {} });
  const src = path.join(dir, 'src');
  const one = Buffer.alloc(64 * 1024, 1);
  const two = Buffer.alloc(64 * 1024, 2);
  const versions = new Set([hash('blake3', one).toString('hex'), hash('blake3', two).toString('hex')]);
  await fs.writeFile(path.join(src, 'replaced'), one);
  await fs.writeFile(path.join(src, 'growing'), 'start');
  // Another process replaces one file atomically (rename) and appends to the other, without pause.
  const writer = spawn(process.execPath, ['-e', `
    const fs = require('node:fs');
    const one = Buffer.alloc(65536, 1), two = Buffer.alloc(65536, 2);
    const growing = fs.openSync(${JSON.stringify(path.join(src, 'growing'))}, 'a');
    const deadline = Date.now() + 30000;  // stops by itself if this test dies
    for (let i = 0; Date.now() < deadline; i++) {
      fs.writeFileSync(${JSON.stringify(path.join(dir, 'next'))}, i % 2 ? one : two);
      fs.renameSync(${JSON.stringify(path.join(dir, 'next'))}, ${JSON.stringify(path.join(src, 'replaced'))});
      fs.writeSync(growing, Buffer.alloc(4096, i & 255));
      if (i === 10) process.stdout.write('running');
    }`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stopped = new Promise((resolve) => writer.once('exit', resolve));
  await new Promise((resolve) => writer.stdout.once('data', resolve));
  const flagged = new Set<string>();
  for (let run = 0; run < 400 && flagged.size < 2; run++) {
    // Small files are hashed in the folder job; with a limit of 1 KiB, on their own.
    for (const inlineHashLimit of [1 << 20, 1024]) {
      for (const entry of await collect(scanSource('s', src, { hash: 'full', inlineHashLimit }))) {
        if (entry.type !== 'file' || entry.error) continue;
        if (entry.changedDuringScan) flagged.add(entry.path);
        else if (entry.path === 's/replaced') t.ok(versions.has(entry.digest!.toString('hex')), 'a digest of one whole version');
      }
    }
  }
  writer.kill('SIGKILL');
  await stopped;
  t.ok(flagged.has('s/growing'), 'a file written to while it was read is flagged');
  t.ok(flagged.has('s/replaced'), 'a file replaced between listing and reading is flagged');
});

t.test('large files are hashed beside the folder jobs, with the same digests and corruption checks', async (t) => {
  const dir = t.testdir({ src: { small: 'tiny', sub: { big: 'x'.repeat(5000) } }, state: {} });
  const src = path.join(dir, 'src');
  const big = path.join(src, 'sub', 'big');
  const mtime = 1_700_000_000;  // whole seconds, so it can be restored to the nanosecond
  await fs.utimes(big, mtime, mtime);
  const cache = HashCache.open(path.join(dir, 'state', 'cache.db'));
  t.teardown(() => cache.close());
  const inline = await collect(scanSource('s', src, { hash: 'full' }));
  const apart = await collect(scanSource('s', src, { hash: 'quick', cache, inlineHashLimit: 100 }));
  t.same(apart.map((e) => e.digest?.toString('hex')), inline.map((e) => e.digest?.toString('hex')));
  t.same(apart.filter((e) => e.type === 'file').map((e) => e.digestSource), ['hashed', 'hashed']);
  const again = await collect(scanSource('s', src, { hash: 'quick', cache, inlineHashLimit: 100 }));
  t.same(again.filter((e) => e.type === 'file').map((e) => e.digestSource), ['cache', 'cache'], 'the late digests were cached');
  // Rewrite the big file in place under the same size and mtime: only full hashing can tell.
  await fs.writeFile(big, 'y'.repeat(5000));
  await fs.utimes(big, mtime, mtime);
  const full = await collect(scanSource('s', src, { hash: 'full', cache, inlineHashLimit: 100 }));
  t.equal(full.find((e) => e.path === 's/sub/big')?.silentCorruption, true, 'corruption found on the large-file path');
});

t.test('the hash cache forgets vanished folders and sources, and survives a damaged record', async (t) => {
  const dir = t.testdir({ src: { keep: { f: '1' }, gone: { g: '2', deeper: { h: '3' } } }, other: { o: 'x' }, state: {} });
  const state = path.join(dir, 'state');
  const node = new LocalDataNode({ name: 'n', sources: [{ alias: 'd', path: path.join(dir, 'src') }, { alias: 'o', path: path.join(dir, 'other') }], stateFolder: state });
  await collect(node.inventory());
  await node.close();
  let cache = HashCache.open(path.join(state, 'hash-cache.db'));
  t.equal(cache.size, 5, 'one record per folder: d, d/gone, d/gone/deeper, d/keep and o');
  t.ok(cache.folder('d', 'gone/deeper'));
  cache.close();
  await fs.rm(path.join(dir, 'src', 'gone'), { recursive: true });
  const fewer = new LocalDataNode({ name: 'n', sources: [{ alias: 'd', path: path.join(dir, 'src') }], stateFolder: state });
  await collect(fewer.inventory());
  await fewer.close();
  cache = HashCache.open(path.join(state, 'hash-cache.db'));
  t.equal(cache.folder('d', 'gone'), undefined, 'a removed folder is forgotten');
  t.equal(cache.folder('d', 'gone/deeper'), undefined, 'and everything below it');
  t.equal(cache.folder('o', ''), undefined, 'a source no longer part of the node is forgotten');
  t.ok(cache.folder('d', 'keep'));
  // Damaged records: garbage, truncated, out of order. Each is only "stale": the folder is hashed again.
  const good = cache.folder('d', 'keep')!;
  const outOfOrder = encodeFolderCache([{ name: 'z', kind: 'file', size: 1, mtimeNs: 1n, inode: 1n, digest: Buffer.alloc(32) },
    { name: 'a', kind: 'file', size: 1, mtimeNs: 1n, inode: 1n, digest: Buffer.alloc(32) }]);
  for (const damaged of [Buffer.from('garbage'), good.subarray(0, good.length - 3), outOfOrder, Buffer.alloc(64, 0xff)]) {
    cache.storeFolder('d', 'keep', damaged);
    const entries = await collect(scanSource('d', path.join(dir, 'src'), { hash: 'quick', cache }));
    const f = entries.find((e) => e.path === 'd/keep/f')!;
    t.equal(f.digestSource, 'hashed');
    t.ok(f.digest?.equals(hash('blake3', Buffer.from('1'))));
    t.ok(cache.folder('d', 'keep')?.equals(good), 'the record was written anew');
  }
  cache.close();
});

t.test('names that are not valid UTF-8 become error entries', async (t) => {
  const dir = t.testdir({ src: { ok: 'x' } });
  await fs.writeFile(Buffer.concat([Buffer.from(path.join(dir, 'src', 'bad-')), Buffer.from([0xff, 0xfe])]), 'data');
  const entries = await collect(scanSource('s', path.join(dir, 'src'), { hash: 'full' }));
  const bad = entries.find((e) => e.error);
  t.equal(bad?.error?.code, 'EILSEQ');
  t.equal(entries.find((e) => e.path === 's/ok')?.error, undefined);
});

t.test('unreadable files become error entries; cancellation rejects', async (t) => {
  const dir = t.testdir({ src: { ok: 'x' } });
  const listed = await collect(scanSource('s', path.join(dir, 'src')));
  // Listed, then deleted before it could be read.
  const vanished: InventoryEntry = { ...listed[1]!, path: 's/vanished', diskPath: path.join(dir, 'src', 'vanished') };
  await new LargeFileHasher(2, new InventoryMeter()).hash(vanished);
  t.equal(vanished.error?.code, 'ENOENT', 'a file gone before it was read is an error entry');

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

t.test('a node keeps one identity across runs; racing processes agree on it', async (t) => {
  const state = path.join(t.testdir(), 'state');
  const make = () => new LocalDataNode({ name: 'n', sources: [{ alias: 'd', path: '.' }], stateFolder: state });
  const ids = await Promise.all(Array.from({ length: 8 }, () => make().identity()));
  t.equal(new Set(ids.map((identity) => identity.id)).size, 1, 'eight at once: one id');
  t.match(ids[0]!.id, /^[0-9a-f]{32}$/);
  t.equal((await make().identity()).id, ids[0]!.id, 'the same next time');
  t.same((await fs.readdir(state)).sort(), ['node-id'], 'no temporary files left');
  await fs.writeFile(path.join(state, 'node-id'), 'not an id');
  await t.rejects(make().identity(), { code: 'DELTANODE_ERR_STATE_CORRUPT' }, 'a damaged id file is an error, not a new identity');
});
