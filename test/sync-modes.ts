// Two-way syncs (state per pair, conflicts, deletions both ways, vetoed folder removals), custom
// rules, metadata-only changes, resumed transfers and leftovers of killed runs; on local nodes
// and again over an in-memory link. Files over 4 GiB (sparse) on local nodes.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { hash } from '../src/index.js';
import type { ActionOutcome } from '../src/session/execute.js';
import type { RulesJson } from '../src/session/rules.js';
import { Session, type SyncOptions } from '../src/session/session.js';
import { localNodes, makeNodes, type NodeFactory, processNodes, remoteNodes, snapshot, type Tree } from './fixtures/trees.js';

const NOW = new Date('2026-12-02T10:20:30Z');

async function setTime(file: string, date: Date): Promise<void> {
  await fs.utimes(file, date, date);
}

// Content that compresses badly and differs per seed, for files a delta must not find in the basis.
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

function suite(label: string, makeNode: NodeFactory): void {
  const nodesFor = (t: Test, trees: Tree[], readOnly: boolean[] = []) => makeNodes(t, makeNode, trees, readOnly);

  t.test(`${label}: two-way: changes flow both ways, conflicts keep both versions, the state is per pair`, async (t) => {
    const { dir, roots, nodes } = await nodesFor(t, [
      { same: 'same', onlyA: 'made on A', both: 'A version', folder: { inner: 'x' }, gone: 'to be deleted on B', edit: 'base', keepdel: 'base' },
      { same: 'same', onlyB: 'made on B', both: 'B version, newer', folder: { inner: 'x' }, gone: 'to be deleted on B', edit: 'base', keepdel: 'base' },
    ]);
    const [a, b] = roots as [string, string];
    await setTime(path.join(a, 'both'), new Date('2026-01-01T00:00:00Z'));
    await setTime(path.join(b, 'both'), new Date('2026-02-01T00:00:00Z'));
    const session = new Session(nodes);
    const options: SyncOptions = { mode: 'two-way', stateFolder: path.join(dir, 'session-state'), now: NOW };

    // First sync, no state yet: one-sided files flow; the path both hold differently is a conflict.
    const first = await session.sync(options);
    t.equal(first.failed, 0);
    t.ok(first.verify?.identical, 'both nodes hold the same');
    t.equal(first.conflictCount, 1);
    const keptAs = 'data/both.conflict-n0-20261202-102030';
    t.same(first.conflicts, [{ path: 'data/both', keptAs,
      reason: "created on n0 and created on n1: n1's version kept" }]);
    for (const root of roots) {
      t.equal(await fs.readFile(path.join(root, 'both'), 'utf8'), 'B version, newer', 'the newer version takes the path');
      t.equal(await fs.readFile(path.join(root, 'both.conflict-n0-20261202-102030'), 'utf8'), 'A version', 'the other is kept on both');
      t.equal(await fs.readFile(path.join(root, 'onlyA'), 'utf8'), 'made on A');
      t.equal(await fs.readFile(path.join(root, 'onlyB'), 'utf8'), 'made on B');
    }
    t.same(await snapshot(a), await snapshot(b));

    // Second round: edits on one side each, a deletion, a delete-versus-edit, a folder deleted on
    // one side while a file inside changed on the other.
    await fs.writeFile(path.join(a, 'edit'), 'edited on A');
    await fs.rm(path.join(b, 'gone'));
    await fs.rm(path.join(a, 'keepdel'));
    await fs.writeFile(path.join(b, 'keepdel'), 'edited on B');
    await fs.rm(path.join(a, 'folder'), { recursive: true });
    await fs.writeFile(path.join(b, 'folder', 'inner'), 'changed inside on B');
    await fs.writeFile(path.join(b, 'new-on-b'), 'new');
    const outcomes: ActionOutcome[] = [];
    const second = await session.sync({ ...options, onEvent: (event) => event.type === 'outcome' && outcomes.push(event.outcome) });
    t.equal(second.failed, 0, JSON.stringify(outcomes.filter((o) => o.status === 'failed')));
    t.ok(second.verify?.identical);
    for (const root of roots) {
      t.equal(await fs.readFile(path.join(root, 'edit'), 'utf8'), 'edited on A', 'an edit on A reaches B');
      await t.rejects(fs.lstat(path.join(root, 'gone')), { code: 'ENOENT' }, 'a deletion on B reaches A');
      t.equal(await fs.readFile(path.join(root, 'keepdel'), 'utf8'), 'edited on B', 'deleted on A, edited on B: the edit survives');
      t.equal(await fs.readFile(path.join(root, 'folder', 'inner'), 'utf8'), 'changed inside on B', 'the folder comes back with the change');
      t.equal(await fs.readFile(path.join(root, 'new-on-b'), 'utf8'), 'new');
    }
    t.same(second.conflicts.map((c) => c.path).sort(), ['data/folder', 'data/folder/inner', 'data/keepdel']);
    const trash = path.join(a, '.deltanode', 'trash');
    const kept = await snapshot(path.join(trash, (await fs.readdir(trash))[0]!));
    t.ok(kept.gone, 'what a deletion removed is in the trash');

    // Nothing changed: nothing to do, and the state stays.
    const third = await session.sync(options);
    t.equal(third.planned.actions, 0);
    t.equal(third.conflictCount, 0);

    // Then a mode changed on B alone (its mtime stays): only B changed, so A takes it.
    await fs.chmod(path.join(b, 'edit'), 0o600);
    await setTime(path.join(a, 'edit'), new Date('2027-01-01T00:00:00Z'));
    await setTime(path.join(b, 'edit'), new Date('2027-01-01T00:00:00Z'));
    await session.sync(options);  // both sides changed (mtimes, mode): the tie goes to the first node
    await fs.chmod(path.join(b, 'edit'), 0o640);
    const modes = await session.sync(options);
    t.same(modes.conflictCount, 0);
    for (const root of roots) t.equal((await fs.stat(path.join(root, 'edit'))).mode & 0o777, 0o640, 'the mode changed on B reaches A');
    t.equal((await session.sync(options)).planned.actions, 0);

    // Another pair (B with a fresh node) has its own state: its first sync knows nothing yet.
    t.same((await fs.readdir(path.join(dir, 'session-state', 'pairs'))).length, 1);
    t.throws(() => new Session([...nodes, nodes[0]!]), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' }, 'names must differ');
  });

  t.test(`${label}: two-way refuses what it cannot do`, async (t) => {
    const { dir, nodes } = await nodesFor(t, [{}, {}, {}]);
    await t.rejects(new Session(nodes).sync({ mode: 'two-way', stateFolder: dir }), { code: 'DELTANODE_ERR_INVALID_ARGUMENT', message: /two nodes/ });
    await t.rejects(new Session(nodes.slice(0, 2)).sync({ mode: 'two-way' }), { message: /state folder/ });
    await t.rejects(new Session(nodes.slice(0, 2)).sync({ mode: 'two-way', stateFolder: dir, from: 'n0' }), { message: /belong to mirror/ });
    await t.rejects(new Session(nodes.slice(0, 2)).sync({}), { message: /source of truth/ });
    await t.rejects(new Session(nodes.slice(0, 2)).sync({ mode: 'rules' }), { message: /needs rules/ });
    await t.rejects(new Session(nodes.slice(0, 2)).sync({ mode: 'sideways' as 'mirror', from: 'n0' }), { message: /unknown sync mode sideways/ });
  });

  t.test(`${label}: rules decide per path; overrides come first`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [
      { docs: { 'a.md': 'A newer', 'b.md': 'same' }, 'scratch.tmp': 'A tmp', keep: { 'k.md': 'A keep' } },
      { docs: { 'a.md': 'B older', 'b.md': 'same' }, 'scratch.tmp': 'B tmp', keep: { 'k.md': 'B keep' }, 'b-only.tmp': 'x' },
    ]);
    await setTime(path.join(roots[0]!, 'docs', 'a.md'), new Date('2026-06-01T00:00:00Z'));
    await setTime(path.join(roots[1]!, 'docs', 'a.md'), new Date('2026-05-01T00:00:00Z'));
    await setTime(path.join(roots[1]!, 'docs', 'b.md'), new Date('2026-05-01T00:00:00Z'));
    const rules: RulesJson = {
      overrides: [{ path: 'data/keep/**', then: { action: 'nothing' } }],
      rules: [
        { name: 'no temporary files on B', when: { all: [{ path: '*.tmp' }, { exists: 'n1' }] }, then: { action: 'delete', on: 'n1' } },
        { name: 'newer on A wins', when: { any: [{ all: [{ content: 'different', nodes: ['n0', 'n1'] }, { newer: 'n0', than: 'n1' }] }, { missing: 'n1' }] }, then: { action: 'copy', from: 'n0', to: 'n1' } },
        { name: 'else from B', when: { exists: 'n1' }, then: { action: 'copy-metadata', from: 'n1', to: 'n0' } },
      ],
    };
    const report = await new Session(nodes).sync({ mode: 'rules', rules, now: NOW });
    t.equal(report.failed, 0);
    t.equal(await fs.readFile(path.join(roots[1]!, 'docs', 'a.md'), 'utf8'), 'A newer');
    await t.rejects(fs.lstat(path.join(roots[1]!, 'scratch.tmp')), { code: 'ENOENT' });
    await t.rejects(fs.lstat(path.join(roots[1]!, 'b-only.tmp')), { code: 'ENOENT' });
    t.equal(await fs.readFile(path.join(roots[0]!, 'scratch.tmp'), 'utf8'), 'A tmp', 'the rule only deletes on B');
    t.equal(await fs.readFile(path.join(roots[1]!, 'keep', 'k.md'), 'utf8'), 'B keep', 'the override beats the rules');
    t.equal((await fs.stat(path.join(roots[0]!, 'docs', 'b.md'))).mtime.toISOString(), '2026-05-01T00:00:00.000Z', 'metadata only, B to A');
    t.equal(report.verify?.identical, true, 'rules promise no convergence: what still differs is no failure');
    await t.rejects(new Session(nodes).sync({ mode: 'rules', rules: { rules: [{ when: { exists: 'n9' }, then: { action: 'nothing' } }] } }),
      { code: 'DELTANODE_ERR_INVALID_ARGUMENT', message: /n9/ });
  });

  t.test(`${label}: rules that write to a read-only node are refused before anything runs`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [{ f: 'A', g: 'A' }, { f: 'B' }], [true, false]);
    const before = await snapshot(roots[1]!);
    await t.rejects(new Session(nodes).sync({ mode: 'rules', rules: { rules: [
      { when: { path: 'g' }, then: { action: 'copy', from: 'n0', to: 'n1' } },
      { when: { exists: 'n1' }, then: { action: 'copy', from: 'n1', to: 'n0' } },
    ] } }), { code: 'DELTANODE_ERR_PLAN_CONFLICT', message: /write data\/f on n0: source data is read-only there/ });
    t.same(await snapshot(roots[1]!), before, 'not even the allowed copy ran');
  });

  t.test(`${label}: a change of mode or mtime alone moves no content`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [{ f: 'same content', d: {} }, { f: 'same content', d: {} }]);
    await fs.chmod(path.join(roots[0]!, 'f'), 0o600);
    await fs.chmod(path.join(roots[0]!, 'd'), 0o700);
    await setTime(path.join(roots[0]!, 'f'), new Date('2025-03-04T05:06:07.891Z'));
    const outcomes: ActionOutcome[] = [];
    const report = await new Session(nodes).sync({ from: 'n0', onEvent: (event) => event.type === 'outcome' && outcomes.push(event.outcome) });
    t.same(outcomes.map((o) => `${o.action.kind} ${o.action.path} ${o.status}`).sort(), ['metadata data/d done', 'metadata data/f done']);
    t.equal(report.bytesByMethod.whole + report.bytesByMethod.delta, 0);
    const stats = await fs.stat(path.join(roots[1]!, 'f'));
    t.equal(stats.mode & 0o777, 0o600);
    t.equal(stats.mtime.toISOString(), '2025-03-04T05:06:07.891Z');
    t.equal((await fs.stat(path.join(roots[1]!, 'd'))).mode & 0o777, 0o700);
    t.equal(report.verify?.metadataDiffering, 0);
    t.equal((await new Session(nodes).sync({ from: 'n0' })).planned.actions, 0, 'settled');
  });

  t.test(`${label}: an interrupted transfer resumes from what arrived`, async (t) => {
    const size = 24 << 20;
    const content = noise(size, 7);
    const { roots, nodes } = await nodesFor(t, [{ big: content }, {}]);
    const digest = hash('blake3', content);
    // What a killed run leaves: the first half in the partial slot named by the content's digest.
    const slot = path.join(roots[1]!, `.big.${digest.subarray(0, 8).toString('hex')}-a.deltanode-tmp`);
    await fs.writeFile(slot, content.subarray(0, size / 2));
    t.equal(await nodes[1]!.partial('data/big', digest), size / 2);
    const outcomes: ActionOutcome[] = [];
    const report = await new Session(nodes).sync({ from: 'n0', onEvent: (event) => event.type === 'outcome' && outcomes.push(event.outcome) });
    t.equal(report.failed, 0);
    t.equal(outcomes[0]?.resumedFrom, size / 2);
    t.equal(outcomes[0]?.method, 'delta');
    t.ok(outcomes[0]!.bytesMoved < size * 0.55, `moved ${outcomes[0]!.bytesMoved} of ${size} bytes`);
    t.ok(outcomes[0]!.bytesMoved > size * 0.45, 'the missing half did cross');
    t.ok(hash('blake3', await fs.readFile(path.join(roots[1]!, 'big'))).equals(digest));
    t.same((await fs.readdir(roots[1]!)).filter((name) => name.endsWith('.deltanode-tmp')), [], 'no partial left');
  });

  t.test(`${label}: a damaged partial costs bytes, never correctness`, async (t) => {
    const size = 12 << 20;
    const content = noise(size, 9);
    const { roots, nodes } = await nodesFor(t, [{ big: content }, {}]);
    const digest = hash('blake3', content);
    const damaged = Buffer.from(content.subarray(0, size / 2));
    damaged.fill(0x55, 1 << 20, 3 << 20);
    await fs.writeFile(path.join(roots[1]!, `.big.${digest.subarray(0, 8).toString('hex')}-b.deltanode-tmp`), damaged);
    const report = await new Session(nodes).sync({ from: 'n0' });
    t.equal(report.failed, 0);
    t.ok(hash('blake3', await fs.readFile(path.join(roots[1]!, 'big'))).equals(digest), 'the result is the source content');
    t.ok(report.bytesByMethod.delta > size * 0.6, 'the damaged part was sent again');
  });

  t.test(`${label}: small files in batches: each file fails alone`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [{ a: 'aaa', sub: { b: 'bb' }, folder: {} }, { old: 'old' }, {}], [false, false, true]);
    const reads = await nodes[0]!.readFiles(['data/a', 'data/sub/b', 'data/missing', 'data/folder', 'data/../x']);
    t.same(reads.slice(0, 2).map((read) => read.ok && read.content.toString()), ['aaa', 'bb']);
    t.same(reads.slice(2).map((read) => !read.ok && read.code), ['DELTANODE_ERR_IO', 'DELTANODE_ERR_IO', 'DELTANODE_ERR_UNSAFE_PATH']);
    const expect = (content: string) => ({ digest: hash('blake3', Buffer.from(content)), size: content.length, mtimeNs: 1_700_000_000_000_000_000n, mode: 0o640 });
    const written = await nodes[1]!.writeFiles([
      { path: 'data/new', content: Buffer.from('new'), expect: expect('new') },
      { path: 'data/old', content: Buffer.from('replaced'), expect: expect('replaced') },
      { path: 'data/liar', content: Buffer.from('not this'), expect: { ...expect('not that'), size: 8 } },
      { path: 'data/nofolder/x', content: Buffer.from('x'), expect: expect('x') },
    ]);
    t.same(written.map((result) => (result.ok ? 'ok' : result.code)), ['ok', 'ok', 'DELTANODE_ERR_DIGEST_MISMATCH', 'DELTANODE_ERR_IO']);
    t.equal(await fs.readFile(path.join(roots[1]!, 'new'), 'utf8'), 'new');
    t.equal((await fs.stat(path.join(roots[1]!, 'new'))).mode & 0o777, 0o640);
    t.ok(written[1]!.ok && written[1]!.outcome.replaced, 'the replaced version went to the trash');
    t.same((await fs.readdir(roots[1]!)).sort(), ['.deltanode', 'new', 'old'], 'no liar, no temporary file');
    const sized = await nodes[1]!.writeFiles([
      { path: 'data/sized', content: Buffer.from('abc'), expect: { ...expect('abc'), size: 4 } },
      { path: 'data/fine', content: Buffer.from('fine'), expect: expect('fine') },
    ]);
    t.same(sized.map((result) => (result.ok ? 'ok' : result.code)), ['DELTANODE_ERR_DIGEST_MISMATCH', 'ok'], 'a false size fails that file alone');
    // Two folders in one call, cancelled first: nothing is written and no path stays held.
    await fs.mkdir(path.join(roots[1]!, 'two'));
    const twoFolders = [
      { path: 'data/two/x', content: Buffer.from('x2'), expect: expect('x2') },
      { path: 'data/y', content: Buffer.from('y1'), expect: expect('y1') },
    ];
    const controller = new AbortController();
    controller.abort();
    await t.rejects(nodes[1]!.writeFiles(twoFolders, { signal: controller.signal }), { code: 'DELTANODE_ERR_ABORTED' });
    t.same(await fs.readdir(path.join(roots[1]!, 'two')), [], 'nothing written by the cancelled call');
    const both = await nodes[1]!.writeFiles(twoFolders);
    t.same(both.map((result) => (result.ok ? 'ok' : result.code)), ['ok', 'ok'], 'the same paths written right after');
    t.equal(await fs.readFile(path.join(roots[1]!, 'two', 'x'), 'utf8'), 'x2');
    const refused = await nodes[2]!.writeFiles([{ path: 'data/a', content: Buffer.from('aaa'), expect: expect('aaa') }]);
    t.equal(!refused[0]!.ok && refused[0]!.code, 'DELTANODE_ERR_READ_ONLY');
    t.same(await fs.readdir(roots[2]!), [], 'nothing written to the read-only node');
  });

  t.test(`${label}: many small-file calls into one folder at once; a trash folder only to keep something`, async (t) => {
    const old = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`r${i}`, `old ${i}`]));
    const { roots, nodes } = await nodesFor(t, [{}, { many: {}, some: old }]);
    const expect = (content: string) => ({ digest: hash('blake3', Buffer.from(content)), size: content.length, mtimeNs: 1_700_000_000_000_000_000n, mode: 0o644 });
    const write = (paths: string[]) => nodes[1]!.writeFiles(paths.map((p) => ({ path: p, content: Buffer.from(p), expect: expect(p) })));
    const failures = (results: Awaited<ReturnType<typeof write>>[]) => results.flat().flatMap((result) => (result.ok ? [] : [result.message]));
    // Every call's batch is a job of its own on the same folder: they run side by side.
    const created = await Promise.all(Array.from({ length: 30 }, (_, c) => write([0, 1, 2].map((k) => `data/many/n${c}-${k}`))));
    t.same(failures(created), [], 'every new file written');
    t.equal((await fs.readdir(path.join(roots[1]!, 'many'))).length, 90);
    const trash = path.join(roots[1]!, '.deltanode', 'trash');
    t.equal(await fs.stat(trash).then(() => 'there', () => 'none'), 'none', 'nothing replaced, no trash folder made');
    const replaced = await Promise.all(Array.from({ length: 20 }, (_, c) => write([`data/some/r${2 * c}`, `data/some/r${2 * c + 1}`])));
    t.same(failures(replaced), [], 'every replacing file written');
    const [run, ...others] = await fs.readdir(trash);
    t.same(others, [], 'one run folder');
    const kept = path.join(trash, run!, 'some');
    t.equal((await fs.readdir(kept)).length, 40, 'every replaced version kept');
    t.equal(await fs.readFile(path.join(kept, 'r7'), 'utf8'), 'old 7');
    t.equal(await fs.readFile(path.join(roots[1]!, 'some', 'r7'), 'utf8'), 'data/some/r7');
  });

  t.test(`${label}: a delta that promises the expected digest but builds other content never lands`, async (t) => {
    const basis = noise(200_000, 3);
    const wanted = Buffer.from(basis);
    wanted.write('the real edit', 100_000);
    const other = Buffer.from(basis);
    other.write('a forged edit', 100_000);
    const { roots, nodes } = await nodesFor(t, [{ f: other }, { f: basis }]);
    const collect = async (data: AsyncIterable<Buffer>) => {
      const parts: Buffer[] = [];
      for await (const part of data) parts.push(part);
      return Buffer.concat(parts);
    };
    const signature = await collect(nodes[1]!.signature('data/f'));
    const delta = await collect(nodes[0]!.delta('data/f', signature));
    // The trailer (output length, digest) claims the content that was wanted.
    hash('blake3', wanted).copy(delta, delta.length - 32);
    const expect = { digest: hash('blake3', wanted), size: wanted.length, mtimeNs: 0n, mode: 0o644 };
    await t.rejects(nodes[1]!.write('data/f', { kind: 'delta', data: (async function* () { yield delta; })() }, expect),
      { code: 'DELTANODE_ERR_DIGEST_MISMATCH' });
    t.ok((await fs.readFile(path.join(roots[1]!, 'f'))).equals(basis), 'the target keeps its version');
  });

  t.test(`${label}: a large file's remembered digest spares a pass, and content changed behind the cache still never lands`, async (t) => {
    // 64 MiB: the size from which signatures and deltas take the digest from the hash cache.
    const size = 64 << 20;
    const old = Buffer.concat([noise(1 << 20, 5), Buffer.alloc(size - (1 << 20))]);
    const changed = Buffer.from(old);
    changed.write('edited', 500_000);
    const { roots, nodes } = await nodesFor(t, [{ f: changed }, { f: old }]);
    for (const root of roots) await setTime(path.join(root, 'f'), NOW);
    for (const node of nodes) for await (const batch of node.inventory()) void batch;  // the caches learn both digests
    const collect = async (data: AsyncIterable<Buffer>) => {
      const parts: Buffer[] = [];
      for await (const part of data) parts.push(part);
      return Buffer.concat(parts);
    };
    // Both rewritten in place, size and mtime as before: the caches cannot tell, so the digests they
    // keep are of the content before.
    for (const root of roots) {
      const handle = await fs.open(path.join(root, 'f'), 'r+');
      await handle.write(Buffer.from('behind the cache'), 0, 16, 600_000);
      await handle.close();
      await setTime(path.join(root, 'f'), NOW);
    }
    const signature = await collect(nodes[1]!.signature('data/f'));
    t.ok(signature.subarray(-40, -8).equals(hash('blake3', old)), "the signature's basis digest is the one remembered");
    const delta = await collect(nodes[0]!.delta('data/f', signature));
    t.ok(delta.subarray(-32).equals(hash('blake3', changed)), 'the delta carries the digest remembered, not one of the content read');
    const report = await new Session(nodes).sync({ from: 'n0' });
    t.equal(report.failed, 1, 'the write fails');
    const kept = Buffer.from(old);
    kept.write('behind the cache', 600_000);
    t.ok((await fs.readFile(path.join(roots[1]!, 'f'))).equals(kept), 'the target keeps its version');
  });

  t.test(`${label}: leftovers of killed runs go at the next inventory; live ones and read-only sources stay`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [{ f: 'x' }, { f: 'x' }], [false, true]);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const deadName = `.f.${Number(dead).toString(16)}-0123456789ab.deltanode-tmp`;
    const liveName = `.f.${process.pid.toString(16)}-0123456789ab.deltanode-tmp`;
    const partialName = '.f.0123456789abcdef-a.deltanode-tmp';
    for (const root of roots) {
      await setTime(path.join(root, 'f'), NOW);  // the same file on both: nothing to write to the read-only one
      for (const name of [deadName, liveName, partialName]) await fs.writeFile(path.join(root, name), 'partial');
    }
    const report = await new Session(nodes).sync({ from: 'n0' });
    t.equal(report.planned.actions, 0, 'leftovers are never data');
    t.same((await fs.readdir(roots[0]!)).filter((name) => name.endsWith('.deltanode-tmp')).sort(), [liveName, partialName].sort());
    t.same((await fs.readdir(roots[1]!)).filter((name) => name.endsWith('.deltanode-tmp')).length, 3, 'a read-only source is not touched');
  });
}

suite('local nodes', localNodes);
suite('remote nodes over a memory link', remoteNodes);
suite('nodes in their own processes over encrypted TCP', processNodes);

t.test('local nodes: a sparse file over 4 GiB is copied, stays sparse, and verifies', async (t) => {
  const size = 4.5 * 2 ** 30;
  const { roots, nodes } = await makeNodes(t, localNodes, [{}, {}]);
  const file = path.join(roots[0]!, 'huge.img');
  const handle = await fs.open(file, 'w');
  await handle.write(Buffer.from('start'), 0, 5, 0);
  await handle.write(Buffer.from('past four GiB'), 0, 13, 2 ** 32 + 12345);
  await handle.write(Buffer.from('end'), 0, 3, size - 3);
  await handle.close();
  const report = await new Session(nodes).sync({ from: 'n0' });
  t.equal(report.failed, 0);
  t.ok(report.verify?.identical);
  const copy = path.join(roots[1]!, 'huge.img');
  const stats = await fs.stat(copy);
  t.equal(stats.size, size);
  t.ok(stats.blocks * 512 < 64 << 20, `allocated ${stats.blocks * 512} bytes: the holes stayed holes`);
  const probe = Buffer.alloc(13);
  const reader = await fs.open(copy, 'r');
  await reader.read(probe, 0, 13, 2 ** 32 + 12345);
  await reader.close();
  t.equal(probe.toString(), 'past four GiB');
});
