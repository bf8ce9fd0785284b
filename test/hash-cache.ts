// The hash cache: one record per folder; subtrees and sources forgotten on request; one writer;
// a kill -9 during a write leaves a cache the next run opens and uses.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StateBusyError } from '../src/errors.js';
import { HashCache } from '../src/node/hash-cache.js';

const record = (n: number) => Buffer.alloc(64 + (n % 100), n & 255);

t.test('folder records are stored, replaced, forgotten by subtree and by source', async (t) => {
  const file = path.join(t.testdir(), 'cache.db');
  const cache = HashCache.open(file);
  for (const folder of ['', 'a', 'a/b', 'a/b/c', 'a-b', 'a0', 'ab']) cache.storeFolder('s', folder, record(folder.length));
  cache.storeFolder('t', 'a', record(9));
  t.ok(cache.folder('s', 'a/b')?.equals(record(3)), 'pending records are read back');
  cache.storeFolder('s', 'a/b', record(7));
  t.ok(cache.folder('s', 'a/b')?.equals(record(7)), 'replaced');
  t.equal(cache.folder('s', 'nothing'), undefined);
  t.equal(cache.size, 8);
  cache.forgetTree('s', 'a');
  t.same(['', 'a', 'a/b', 'a/b/c', 'a-b', 'a0', 'ab'].filter((f) => cache.folder('s', f)), ['', 'a-b', 'a0', 'ab'],
    "a folder and what is below it go; neighbours that share its prefix stay");
  t.ok(cache.folder('t', 'a'), 'other sources are untouched');
  cache.keepSources(['t']);
  t.equal(cache.folder('s', ''), undefined, 'a source not kept is forgotten');
  t.equal(cache.size, 1);
  cache.forgetTree('t', '');
  t.equal(cache.size, 0, 'the root of a source is all of it');
  for (let i = 0; i < 1200; i++) cache.storeFolder('many', `f${i}`, record(i));
  cache.close();
  const reopened = HashCache.open(file);
  t.ok(reopened.folder('many', 'f1199')?.equals(record(1199)), 'persisted');
  reopened.close();
});

t.test('a cache of the previous schema is replaced', async (t) => {
  const file = path.join(t.testdir(), 'cache.db');
  const old = new Database(file);
  old.exec(`CREATE TABLE digests (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER, digest BLOB);
    INSERT INTO digests VALUES ('a/x', 1, 1, 1, x'00'); PRAGMA user_version = 2;`);
  old.close();
  const cache = HashCache.open(file);
  t.equal(cache.size, 0);
  cache.storeFolder('s', '', record(1));
  t.equal(cache.size, 1);
  cache.close();
});

t.test('a second writer is refused with a typed error', async (t) => {
  const file = path.join(t.testdir(), 'cache.db');
  const first = HashCache.open(file);
  t.throws(() => HashCache.open(file), StateBusyError);
  first.close();
  HashCache.open(file).close();
});

t.test('kill -9 in the middle of writing leaves a usable cache', async (t) => {
  const file = path.join(t.testdir(), 'cache.db');
  const module = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/node/hash-cache.js');
  const writer = `
    const { HashCache } = await import(${JSON.stringify(module)});
    const cache = HashCache.open(${JSON.stringify(file)});
    for (let i = 0; ; i++) {
      cache.storeFolder('s', 'f/' + i, Buffer.alloc(64 + (i % 100), i & 255));
      if (i === 5000) process.stdout.write('writing\\n');
    }`;
  const child = spawn('env', ['-i', process.execPath, '--input-type=module', '-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 50));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const check = new Database(file);
  t.equal(check.pragma('integrity_check', { simple: true }), 'ok', 'the database is intact');
  check.close();
  const cache = HashCache.open(file);
  const kept = cache.size;
  t.ok(kept >= 5000, `whole batches survived (${kept} records)`);
  t.equal(kept % 500, 0, 'no half-written batch');
  t.ok(cache.folder('s', 'f/4999')?.equals(Buffer.alloc(64 + (4999 % 100), 4999 & 255)));
  cache.storeFolder('s', 'after', record(1));
  t.equal(cache.size, kept + 1, 'and takes new records');
  cache.close();
});
