// writeFileBatch / readFileBatch: exact content, mode and mtime; trash links of replaced files;
// per-file failures (digest mismatch, a folder at the name) that leave the old entry and no
// temporary file; a folder that cannot be opened; names near 255 bytes; read batches of mixed
// entries in one buffer; aborts and argument checks.
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileBatch, writeFileBatch, writeFolderBatches, type BatchFileToWrite, type BatchWriteResult } from '../src/engine/file-batch.js';
import { hash } from '../src/engine/hash.js';
import { seededBytes } from './fixtures/helpers.js';

function file(name: string, content: Buffer, mode: number, mtimeNs: bigint, extra: Partial<BatchFileToWrite> = {}): BatchFileToWrite {
  return { name, content, mode, mtimeNs, digest: hash('blake3', content), ...extra };
}

const temporaries = async (dir: string) => (await fs.readdir(dir)).filter((name) => name.endsWith('.deltanode-tmp'));

const { EEXIST, EISDIR, ENOENT, ENOTDIR, ELOOP, EFBIG, ENAMETOOLONG } = os.constants.errno;

function ok(t: Test, result: BatchWriteResult | undefined, what: string): asserts result is Extract<BatchWriteResult, { ok: true }> {
  if (result?.ok) return;
  t.fail(`${what}: ${result ? result.message : 'no result'}`);
  throw new Error(`${what} failed`);
}

t.test('a batch is written with exact content, mode and mtime', async (t) => {
  const dir = t.testdir();
  const files = [
    file('a.txt', Buffer.from('alpha'), 0o644, 1_600_000_000_123_456_789n),
    file('b.bin', seededBytes(1, 4096), 0o755, 1_700_000_000_000_000_001n),
    file('empty', Buffer.alloc(0), 0o600, 0n),
    // File-type bits are masked off: only the permission bits are applied.
    file('typed', Buffer.from('x'), 0o100444, -86_400_000_000_123n),
    file('view', seededBytes(2, 300).subarray(50, 250), 0o640, 1_000_000_000n),
  ];
  const results = await writeFileBatch(dir, files);
  t.equal(results.length, files.length);
  for (const [i, input] of files.entries()) {
    const result = results[i];
    ok(t, result, input.name);
    const target = path.join(dir, input.name);
    const stats = await fs.stat(target, { bigint: true });
    t.ok((await fs.readFile(target)).equals(input.content), `${input.name}: content`);
    t.equal(Number(stats.mode & 0o7777n), input.mode & 0o7777, `${input.name}: mode`);
    t.equal(stats.mtimeNs, input.mtimeNs, `${input.name}: mtime`);
    t.equal(result.mtimeNs, stats.mtimeNs, `${input.name}: stored mtime reported`);
    t.equal(result.inode, stats.ino, `${input.name}: inode`);
    t.equal(result.replaced, false, `${input.name}: nothing replaced`);
  }
  t.same((await fs.readdir(dir)).sort(), ['a.txt', 'b.bin', 'empty', 'typed', 'view']);
});

t.test('replaced files are hard-linked into the trash first', async (t) => {
  const dir = t.testdir({ data: { 'one.txt': 'old one', 'two.txt': 'old two', 'three.txt': 'old three' }, trash: {} });
  const data = path.join(dir, 'data');
  const trash = path.join(dir, 'trash');
  const before = await fs.stat(path.join(data, 'one.txt'), { bigint: true });
  const results = await writeFileBatch(data, [
    file('one.txt', Buffer.from('new one'), 0o644, 1n, { trashName: 'one.txt~1' }),
    file('two.txt', Buffer.from('new two'), 0o644, 2n), // no trash name: simply replaced
    file('new.txt', Buffer.from('brand new'), 0o644, 3n, { trashName: 'new.txt~1' }), // nothing there to keep
  ], { trashFolder: trash });
  for (const [i, result] of results.entries()) ok(t, result, `file ${i}`);
  t.same(results.map((result) => result.ok && result.replaced), [true, true, false]);
  t.equal(await fs.readFile(path.join(data, 'one.txt'), 'utf8'), 'new one');
  t.equal(await fs.readFile(path.join(data, 'two.txt'), 'utf8'), 'new two');
  t.equal(await fs.readFile(path.join(data, 'new.txt'), 'utf8'), 'brand new');
  t.equal(await fs.readFile(path.join(trash, 'one.txt~1'), 'utf8'), 'old one', 'old content reachable in the trash');
  const trashed = await fs.stat(path.join(trash, 'one.txt~1'), { bigint: true });
  t.equal(trashed.ino, before.ino, 'the trash entry is the old inode');
  t.same(await fs.readdir(trash), ['one.txt~1'], 'only the replaced file with a trash name is linked');

  // The trash name already taken: that file fails and is not replaced; the other goes on.
  const clash = await writeFileBatch(data, [
    file('one.txt', Buffer.from('third'), 0o644, 1n, { trashName: 'one.txt~1' }),
    file('three.txt', Buffer.from('new three'), 0o644, 1n, { trashName: 'three.txt~1' }),
  ], { trashFolder: trash });
  t.match(clash[0], { ok: false, code: 'DELTANODE_ERR_IO', errno: EEXIST });
  ok(t, clash[1], 'three.txt');
  t.equal(await fs.readFile(path.join(data, 'one.txt'), 'utf8'), 'new one', 'not replaced when the link fails');
  t.equal(await fs.readFile(path.join(trash, 'three.txt~1'), 'utf8'), 'old three');
  t.same(await temporaries(data), []);
});

t.test('the trash folder is made, with its parents, only when something is kept in it', async (t) => {
  const dir = t.testdir({ data: { 'old.txt': 'old' }, blocked: 'a file where a folder would go' });
  const data = path.join(dir, 'data');
  const trash = path.join(dir, 'state', 'trash', 'run', 'sub');
  const fresh = await writeFileBatch(data, [file('new.txt', Buffer.from('new'), 0o644, 1n, { trashName: 'new.txt' })], { trashFolder: trash });
  ok(t, fresh[0], 'new.txt');
  t.same((await fs.readdir(dir)).sort(), ['blocked', 'data'], 'nothing replaced: no trash folder made');
  const replacing = await writeFileBatch(data, [file('old.txt', Buffer.from('newer'), 0o644, 1n, { trashName: 'old.txt' })], { trashFolder: trash });
  ok(t, replacing[0], 'old.txt');
  t.equal(await fs.readFile(path.join(trash, 'old.txt'), 'utf8'), 'old', 'kept in a trash folder made with its parents');
  const stuck = await writeFileBatch(data, [
    file('old.txt', Buffer.from('newest'), 0o644, 1n, { trashName: 'old.txt' }),
    file('other.txt', Buffer.from('other'), 0o644, 1n, { trashName: 'other.txt' }),
  ], { trashFolder: path.join(dir, 'blocked', 'sub') });
  t.match(stuck[0], { ok: false, code: 'DELTANODE_ERR_IO', errno: ENOTDIR, message: /trash folder/ }, 'the trash folder cannot be made: that file fails');
  ok(t, stuck[1], 'a new file needs no trash');
  t.equal(await fs.readFile(path.join(data, 'old.txt'), 'utf8'), 'newer', 'not replaced when its old version cannot be kept');
  t.same(await temporaries(data), []);
});

t.test('a digest mismatch leaves the old file and no temporary file', async (t) => {
  const dir = t.testdir({ 'keep.txt': 'keep me' });
  const before = await fs.stat(path.join(dir, 'keep.txt'), { bigint: true });
  const wrong = file('keep.txt', Buffer.from('corrupted'), 0o644, 5n, { digest: hash('blake3', Buffer.from('something else')) });
  const results = await writeFileBatch(dir, [wrong, file('other.txt', Buffer.from('fine'), 0o644, 5n)]);
  t.match(results[0], { ok: false, code: 'DELTANODE_ERR_DIGEST_MISMATCH', message: /keep\.txt.*does not match its digest/ });
  t.notOk(results[0]?.ok === false && 'errno' in results[0], 'no errno for a mismatch');
  ok(t, results[1], 'other.txt');
  t.equal(await fs.readFile(path.join(dir, 'keep.txt'), 'utf8'), 'keep me');
  const after = await fs.stat(path.join(dir, 'keep.txt'), { bigint: true });
  t.equal(after.ino, before.ino, 'same inode');
  t.equal(after.mtimeNs, before.mtimeNs, 'same mtime');
  t.same((await fs.readdir(dir)).sort(), ['keep.txt', 'other.txt'], 'no temporary file behind');
});

t.test('a folder at the name fails only that file', async (t) => {
  const dir = t.testdir({ sub: { inner: 'x' } });
  const results = await writeFileBatch(dir, [
    file('first', Buffer.from('1'), 0o644, 1n),
    file('sub', Buffer.from('not a folder'), 0o644, 1n),
    file('last', Buffer.from('3'), 0o644, 1n),
  ]);
  ok(t, results[0], 'first');
  t.same(results[1], { ok: false, code: 'DELTANODE_ERR_IO', errno: EISDIR, message: 'sub is a folder' });
  ok(t, results[2], 'last');
  t.ok((await fs.stat(path.join(dir, 'sub'))).isDirectory());
  t.equal(await fs.readFile(path.join(dir, 'sub', 'inner'), 'utf8'), 'x');
  t.same((await fs.readdir(dir)).sort(), ['first', 'last', 'sub']);
});

t.test('a folder that cannot be opened fails every file', async (t) => {
  const dir = t.testdir({ real: {} });
  const missing = path.join(dir, 'missing');
  const results = await writeFileBatch(missing, [file('a', Buffer.from('a'), 0o644, 1n), file('b', Buffer.from('b'), 0o644, 1n)]);
  t.equal(results.length, 2);
  for (const result of results) {
    t.same(result, { ok: false, code: 'DELTANODE_ERR_IO', errno: ENOENT,
      message: `open folder ${missing}: No such file or directory` });
  }
  // A symlink to a folder is not followed.
  await fs.symlink('real', path.join(dir, 'link'));
  const linked = await writeFileBatch(path.join(dir, 'link'), [file('a', Buffer.from('a'), 0o644, 1n)]);
  t.match(linked[0], { ok: false, code: 'DELTANODE_ERR_IO', errno: ENOTDIR });
  t.same(await fs.readdir(path.join(dir, 'real')), [], 'nothing written through the link');
});

t.test('names near 255 bytes, multi-byte UTF-8', async (t) => {
  const dir = t.testdir();
  const names = ['é'.repeat(127), '😀'.repeat(63), 'a'.repeat(255), `${'ü'.repeat(100)}x${'€'.repeat(18)}`];
  for (const name of names) t.ok(Buffer.byteLength(name) > 227 && Buffer.byteLength(name) <= 255, `${Buffer.byteLength(name)} bytes`);
  const results = await writeFileBatch(dir, names.map((name, i) => file(name, Buffer.from(`content ${i}`), 0o644, BigInt(i))));
  for (const [i, result] of results.entries()) ok(t, result, `name ${i}`);
  for (const [i, name] of names.entries()) t.equal(await fs.readFile(path.join(dir, name), 'utf8'), `content ${i}`);
  t.same((await fs.readdir(dir)).sort(), [...names].sort(), 'no temporary file left');
  // A name over 255 bytes is that file's failure, not the batch's.
  const tooLong = await writeFileBatch(dir, [file('b'.repeat(256), Buffer.from('x'), 0o644, 0n), file('fine', Buffer.from('y'), 0o644, 0n)]);
  t.match(tooLong[0], { ok: false, code: 'DELTANODE_ERR_IO', errno: ENAMETOOLONG });
  ok(t, tooLong[1], 'fine');
});

t.test('a read batch of mixed entries', async (t) => {
  const big = seededBytes(9, 5000);
  const good = seededBytes(10, 3000);
  const dir = t.testdir({ 'one.txt': 'first', 'big.bin': big, 'good.bin': good, empty: '', folder: {},
    link: t.fixture('symlink', 'one.txt') });
  const results = await readFileBatch(dir, ['one.txt', 'missing', 'link', 'folder', 'big.bin', 'good.bin', 'empty'],
    { maxFileBytes: 4096 });
  t.equal(results.length, 7);
  const [one, missing, link, folder, tooBig, second, empty] = results;
  if (!one?.ok || !second?.ok || !empty?.ok) throw new Error('good files failed');
  t.equal(one.content.toString(), 'first');
  t.equal(one.size, 5);
  t.ok(second.content.equals(good));
  t.equal(second.size, 3000);
  t.equal(empty.size, 0);
  t.equal(empty.content.length, 0);
  t.equal(one.content.buffer, second.content.buffer, 'contents share one buffer');
  const stats = await fs.stat(path.join(dir, 'good.bin'), { bigint: true });
  t.equal(second.mtimeNs, stats.mtimeNs);
  t.equal(second.inode, stats.ino);
  t.same(missing, { ok: false, code: 'DELTANODE_ERR_IO', errno: ENOENT, message: 'open missing: No such file or directory' });
  t.same(link, { ok: false, code: 'DELTANODE_ERR_IO', errno: ELOOP, message: 'link is a symbolic link' });
  t.same(folder, { ok: false, code: 'DELTANODE_ERR_IO', errno: EISDIR, message: 'folder is a folder' });
  t.same(tooBig, { ok: false, code: 'DELTANODE_ERR_IO', errno: EFBIG,
    message: 'big.bin is 5000 bytes, above the limit of 4096' });

  // The default limit is 1 MiB; a missing folder fails every name.
  const [fine] = await readFileBatch(dir, ['big.bin']);
  t.ok(fine?.ok && fine.content.equals(big));
  const gone = await readFileBatch(path.join(dir, 'nothing'), ['a', 'b']);
  t.same(gone.map((result) => !result.ok && result.errno), [ENOENT, ENOENT]);
});

t.test('what was written reads back through a read batch', async (t) => {
  const dir = t.testdir();
  const files = Array.from({ length: 300 }, (_, i) => file(`f${i}`, seededBytes(i, 100 + i * 13), 0o644, BigInt(i) * 1_000_000_007n));
  const written = await writeFileBatch(dir, files);
  t.equal(written.filter((result) => result.ok).length, 300);
  const read = await readFileBatch(dir, files.map((input) => input.name));
  let same = 0;
  read.forEach((result, i) => {
    const input = files[i]!;
    const writtenResult = written[i];
    if (result.ok && writtenResult?.ok && result.content.equals(input.content) && result.mtimeNs === input.mtimeNs &&
      result.inode === writtenResult.inode) same++;
  });
  t.equal(same, 300, 'every file read back as written');
});

t.test('an aborted signal rejects before anything starts', async (t) => {
  const dir = t.testdir({ 'x.txt': 'old' });
  const controller = new AbortController();
  controller.abort();
  await t.rejects(writeFileBatch(dir, [file('x.txt', Buffer.from('new'), 0o644, 1n)], { signal: controller.signal }),
    { code: 'DELTANODE_ERR_ABORTED' });
  await t.rejects(writeFileBatch(dir, [], { signal: controller.signal }), { code: 'DELTANODE_ERR_ABORTED' });
  await t.rejects(readFileBatch(dir, ['x.txt'], { signal: controller.signal }), { code: 'DELTANODE_ERR_ABORTED' });
  t.equal(await fs.readFile(path.join(dir, 'x.txt'), 'utf8'), 'old');
  t.same(await fs.readdir(dir), ['x.txt']);
});

t.test('an abort while the batch runs leaves nothing behind', async (t) => {
  const dir = t.testdir({ 'keep.txt': 'old' });
  const files = Array.from({ length: 2000 }, (_, i) => file(`f${i}`, seededBytes(i, 200), 0o644, 1n));
  files.push(file('keep.txt', Buffer.from('new'), 0o644, 1n));
  const controller = new AbortController();
  // The job is queued by the call itself; the abort reaches it long before 2000 files are written.
  const running = writeFileBatch(dir, files, { signal: controller.signal });
  controller.abort();
  await t.rejects(running, { code: 'DELTANODE_ERR_ABORTED' });
  t.same(await fs.readdir(dir), ['keep.txt'], 'no temporary or renamed file');
  t.equal(await fs.readFile(path.join(dir, 'keep.txt'), 'utf8'), 'old');

  // A small batch (its descriptors are kept open until the barrier) likewise, unless it finished
  // before the abort arrived (a busy machine): then every file is there, whole.
  const small = new AbortController();
  const few = Array.from({ length: 40 }, (_, i) => file(`g${i}`, seededBytes(i, 4000), 0o644, 1n));
  const runningSmall = writeFileBatch(dir, few, { signal: small.signal });
  small.abort();
  const outcome = await runningSmall.then((results) => results, (error: { code?: string }) => error.code);
  if (outcome === 'DELTANODE_ERR_ABORTED') {
    t.same(await fs.readdir(dir), ['keep.txt'], 'nothing left by the aborted small batch');
  } else {
    t.ok(Array.isArray(outcome) && outcome.every((result) => result.ok), 'the small batch finished first: all written');
    t.equal((await fs.readdir(dir)).length, 41, 'and nothing else is there');
  }
});

t.test('several folders in one job: each gets its own results, trash and failures', async (t) => {
  const root = t.testdir({ a: {}, c: { 'old.txt': 'old' }, trash: {} });
  const a = path.join(root, 'a');
  const c = path.join(root, 'c');
  // 70 files in all, fewer than 64 in each folder: one barrier covers them together.
  const inA = Array.from({ length: 40 }, (_, i) => file(`a${i}`, Buffer.from(`a ${i}`), 0o644, BigInt(i)));
  inA[3] = { ...inA[3]!, digest: Buffer.alloc(32) };
  const inC = [...Array.from({ length: 29 }, (_, i) => file(`c${i}`, Buffer.from(`c ${i}`), 0o600, BigInt(i))),
    file('old.txt', Buffer.from('new'), 0o644, 5n, { trashName: 'old.txt.1' })];
  const results = await writeFolderBatches([
    { folder: a, files: inA },
    { folder: path.join(root, 'missing'), files: [file('m', Buffer.from('m'), 0o644, 1n)] },
    { folder: path.join(root, 'empty-group'), files: [] },
    { folder: c, files: inC, trashFolder: path.join(root, 'trash') },
  ]);
  t.same(results.map((group) => group.length), [40, 1, 0, 30], 'one result per file, per group');
  t.equal(results[0]!.filter((result) => result.ok).length, 39, 'the first folder: all but the bad file');
  t.match(results[0]![3], { ok: false, code: 'DELTANODE_ERR_DIGEST_MISMATCH' });
  t.equal(await fs.readFile(path.join(a, 'a39'), 'utf8'), 'a 39');
  t.match(results[1]![0], { ok: false, code: 'DELTANODE_ERR_IO', errno: ENOENT }, 'a missing folder fails its own files');
  t.ok(results[3]!.every((result) => result.ok), 'the last folder: all written');
  ok(t, results[3]![29], 'old.txt');
  t.equal(results[3]![29].replaced, true);
  ok(t, results[3]![0], 'c0');
  t.equal(results[3]![0].replaced, false);
  t.equal(await fs.readFile(path.join(root, 'trash', 'old.txt.1'), 'utf8'), 'old', 'the replaced file is in its folder\'s trash');
  t.equal(await fs.readFile(path.join(c, 'old.txt'), 'utf8'), 'new');
  t.same([...await temporaries(a), ...await temporaries(c)], [], 'no temporary file left');
  await t.rejects(writeFolderBatches([{ folder: a, files: [file('x', Buffer.from('x'), 0o644, 1n, { trashName: 'x~' })] }]),
    { code: 'DELTANODE_ERR_INVALID_ARGUMENT' }, 'a trash name needs its group\'s trash folder');
  const controller = new AbortController();
  controller.abort();
  await t.rejects(writeFolderBatches([{ folder: a, files: [file('late', Buffer.from('l'), 0o644, 1n)] }], { signal: controller.signal }),
    { code: 'DELTANODE_ERR_ABORTED' });
  t.equal((await fs.readdir(a)).length, 39, 'nothing written by the rejected calls');
});

t.test('arguments are checked before anything is written', async (t) => {
  const dir = t.testdir();
  const good = file('a', Buffer.from('a'), 0o644, 1n);
  const invalid = { code: 'DELTANODE_ERR_INVALID_ARGUMENT' };
  for (const name of ['', '.', '..', 'a/b', 'nul\0', '\ud800']) {
    await t.rejects(writeFileBatch(dir, [{ ...good, name }]), invalid, `name ${JSON.stringify(name)}`);
    await t.rejects(readFileBatch(dir, [name]), invalid, `read name ${JSON.stringify(name)}`);
  }
  await t.rejects(writeFileBatch(dir, [{ ...good, digest: Buffer.alloc(31) }]), invalid, 'short digest');
  await t.rejects(writeFileBatch(dir, [{ ...good, mode: -1 }]), invalid, 'negative mode');
  await t.rejects(writeFileBatch(dir, [{ ...good, mtimeNs: 2n ** 63n }]), invalid, 'mtime beyond 64 bits');
  await t.rejects(writeFileBatch(dir, [{ ...good, trashName: 'a~' }]), invalid, 'trash name without a trash folder');
  await t.rejects(writeFileBatch(dir, [good, good]), invalid, 'a name twice');
  await t.rejects(writeFileBatch('', [good]), invalid, 'empty folder');
  await t.rejects(readFileBatch(dir, ['a'], { maxFileBytes: -1 }), invalid, 'negative limit');
  t.same(await fs.readdir(dir), [], 'nothing written');
  t.same(await writeFileBatch(dir, []), []);
  t.same(await readFileBatch(dir, []), []);
});
