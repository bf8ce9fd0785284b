// The hash cache: reuse only while size, mtime and inode match; one writer; a kill -9 during a
// write leaves a cache the next run opens and uses.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StateBusyError } from '../src/errors.js';
import { HashCache } from '../src/node/hash-cache.js';

const digest = (n: number) => Buffer.alloc(32, n);

t.test('a digest is reused only while size, mtime and inode are unchanged', async (t) => {
  const file = path.join(t.testdir(), 'cache.db');
  const cache = HashCache.open(file);
  cache.record('a/x', { size: 10, mtimeNs: 1_700_000_000_123_456_789n, inode: 42n, digest: digest(1) });
  t.ok(cache.lookup('a/x', 10, 1_700_000_000_123_456_789n, 42n)?.equals(digest(1)), 'same file: reused');
  t.equal(cache.lookup('a/x', 11, 1_700_000_000_123_456_789n, 42n), undefined, 'other size');
  t.equal(cache.lookup('a/x', 10, 1_700_000_000_123_456_788n, 42n), undefined, 'other mtime (1 ns)');
  t.equal(cache.lookup('a/x', 10, 1_700_000_000_123_456_789n, 43n), undefined, 'other inode');
  t.equal(cache.lookup('a/y', 10, 1n, 1n), undefined, 'unknown path');
  cache.record('a/x', { size: 11, mtimeNs: 5n, inode: 42n, digest: digest(2) });
  t.ok(cache.lookup('a/x', 11, 5n, 42n)?.equals(digest(2)), 'replaced');
  cache.forget('a/x');
  t.equal(cache.lookup('a/x', 11, 5n, 42n), undefined, 'forgotten');
  for (let i = 0; i < 5000; i++) cache.record(`many/${i}`, { size: i, mtimeNs: BigInt(i), inode: BigInt(i), digest: digest(i & 255) });
  t.equal(cache.size, 5000);
  cache.close();
  const reopened = HashCache.open(file);
  t.ok(reopened.lookup('many/4999', 4999, 4999n, 4999n)?.equals(digest(4999 & 255)), 'persisted');
  reopened.close();
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
      cache.record('f/' + i, { size: i, mtimeNs: BigInt(i), inode: 7n, digest: Buffer.alloc(32, i & 255) });
      if (i === 20000) process.stdout.write('writing\\n');
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
  t.ok(kept >= 20000, `whole batches survived (${kept} records)`);
  t.equal(kept % 2000, 0, 'no half-written batch');
  t.ok(cache.lookup('f/19999', 19999, 19999n, 7n)?.equals(Buffer.alloc(32, 19999 & 255)));
  cache.record('after', { size: 1, mtimeNs: 1n, inode: 1n, digest: digest(9) });
  t.equal(cache.size, kept + 1, 'and takes new records');
  cache.close();
});
