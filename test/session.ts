// Mirror syncs through the DataNode interface: every kind of difference, several targets (the
// source read once), trash, read-only sources, unsafe paths, a source that changes while it is
// sent, dry runs, cancellation. The suite takes a node factory so it can run over other links.
import t, { type Test } from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AbortedError, hash, ReadOnlyError, UnsafePathError } from '../src/index.js';
import type { ActionOutcome } from '../src/session/execute.js';
import { Session } from '../src/session/session.js';
import { flatten } from './fixtures/helpers.js';
import { localNodes, makeNodes, type NodeFactory, processNodes, remoteNodes, snapshot, type Tree } from './fixtures/trees.js';

function suite(label: string, makeNode: NodeFactory): void {
  const nodesFor = (t: Test, trees: Tree[], readOnly: boolean[] = []) => makeNodes(t, makeNode, trees, readOnly);

  t.test(`${label}: mirror makes the target identical, keeping what it replaced`, async (t) => {
    const big = Buffer.alloc(300_000, 7);
    const edited = Buffer.from(big);
    edited.write('a change in the middle', 150_000);
    const { roots, nodes } = await nodesFor(t, [
      { same: 'same', new: 'new file', empty: '', 'ünïcødé': 'u', big: edited, sub: { deep: { f: 'deep' } }, link: { link: 'same' },
        'was-folder': 'now a file', 'was-file': { inside: 'x' }, renamed: 'content moved on the source' },
      { same: 'same', big, extra: 'only here', 'was-folder': { child: 'c' }, 'was-file': 'file', link: { link: 'elsewhere' },
        'old-name': 'content moved on the source' },
    ]);
    const outcomes: ActionOutcome[] = [];
    const session = new Session(nodes);
    const report = await session.sync({ from: 'n0', onEvent: (event) => event.type === 'outcome' && outcomes.push(event.outcome) });
    t.equal(report.failed, 0, outcomes.filter((o) => o.status === "failed").map((o) => `${o.action.path}: ${o.error?.code} ${o.error?.message}`).join("; "));
    t.ok(report.verify?.identical, 'verified');
    t.equal(report.verify?.extraOnTargets, 2, 'extra and old-name stay without delete');
    const methods = Object.fromEntries(outcomes.filter((o) => o.action.kind === 'write').map((o) => [o.action.path,
      (o.action as { method: string }).method]));
    t.equal(methods['data/big'], 'delta', 'an older version: a delta');
    t.equal(methods['data/renamed'], 'local', 'content the target holds elsewhere: a local copy');
    t.equal(methods['data/new'], 'whole');
    t.ok(report.bytesByMethod.delta < 40_000, `the delta and signature are small (${report.bytesByMethod.delta} B)`);
    const written = (await flatten(nodes[1]!.inventory())).filter((entry) => entry.path === 'data/new' || entry.path === 'data/big');
    t.same(written.map((entry) => entry.digestSource), ['cache', 'cache'], 'verified writes are known to the cache: not read again');
    const source = await snapshot(roots[0]!);
    const target = await snapshot(roots[1]!);
    delete target.extra;
    delete target['old-name'];
    t.same(target, source, 'same tree');

    // Trash: the replaced big file, link and the folder that a file replaced.
    const trash = path.join(roots[1]!, '.deltanode', 'trash');
    const [run] = await fs.readdir(trash);
    const kept = await snapshot(path.join(trash, run!));
    t.equal(kept.big, `file ${hash('blake3', big).toString('hex').slice(0, 16)} 644`, 'the old big file is in the trash');
    t.ok(kept['was-folder/child'], 'the folder replaced by a file is in the trash');
    t.equal(kept.link, 'link elsewhere');

    const again = await session.sync({ from: 'n0', delete: true });
    t.equal(again.done, 2, 'the second run only removes the two extra entries');
    t.ok(again.verify?.identical);
    t.same(await snapshot(roots[1]!), source);
    const third = await session.sync({ from: 'n0', delete: true });
    t.equal(third.planned.actions, 0, 'nothing left to do');
  });

  t.test(`${label}: several targets at once read the source once`, async (t) => {
    const content = Buffer.alloc(2_000_000, 3);
    const trees: Tree[] = [{ a: content, b: 'small', dir: { c: 'c' } }, ...Array.from({ length: 7 }, () => ({}))];
    const { roots, nodes } = await nodesFor(t, trees);
    const report = await new Session(nodes).sync({ from: 'n0' });
    t.equal(report.failed, 0);
    t.ok(report.verify?.identical);
    t.equal(report.bytesRead, content.length + 'small'.length + 1, 'each file read once for seven targets');
    t.equal(report.bytesByMethod.whole, 7 * (content.length + 'small'.length + 1), 'and written seven times');
    const source = await snapshot(roots[0]!);
    for (const root of roots.slice(1)) t.same(await snapshot(root), source);
  });

  t.test(`${label}: a plan that writes to a read-only source is refused before anything is written`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [{ f: 'new' }, { f: 'old' }, {}], [false, true, false]);
    const before = await Promise.all(roots.map((root) => snapshot(root)));
    const outcomes: ActionOutcome[] = [];
    await t.rejects(new Session(nodes).sync({ from: 'n0', onEvent: (event) => event.type === 'outcome' && outcomes.push(event.outcome) }),
      { code: 'DELTANODE_ERR_PLAN_CONFLICT', message: /write data\/f on n1: source data is read-only there/ });
    t.same(outcomes, [], 'no action ran');
    t.same(await Promise.all(roots.map((root) => snapshot(root))), before, 'no node changed, the writable one neither');
    // Whoever asks, the node itself refuses too.
    await t.rejects(nodes[1]!.remove('data/f'), ReadOnlyError);
    await t.rejects(nodes[1]!.write('data/f', { kind: 'local', from: 'data/f' }, { digest: Buffer.alloc(32), size: 3, mtimeNs: 0n, mode: 0o644 }), ReadOnlyError);
    t.equal(await fs.readFile(path.join(roots[1]!, 'f'), 'utf8'), 'old');
  });

  t.test(`${label}: a source file that changes while it is sent never lands`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [{ f: 'version one' }, { f: 'old' }]);
    const outcomes: ActionOutcome[] = [];
    const report = await new Session(nodes).sync({ from: 'n0', onEvent: (event) => {
      if (event.type === 'phase' && event.phase === 'execute') {
        // After the inventory, before the content is read: the expected digest is the old one.
        void fs.writeFile(path.join(roots[0]!, 'f'), 'version TWO');
      }
      if (event.type === 'outcome') outcomes.push(event.outcome);
    } });
    t.equal(report.failed, 1);
    t.equal(outcomes[0]?.error?.code, 'DELTANODE_ERR_DIGEST_MISMATCH');
    t.equal(await fs.readFile(path.join(roots[1]!, 'f'), 'utf8'), 'old', 'the target keeps its version');
    t.same((await fs.readdir(roots[1]!)).filter((name) => name.endsWith('.deltanode-tmp')), [], 'no temporary file left');
  });

  t.test(`${label}: unsafe paths are refused before anything is touched`, async (t) => {
    const { dir, roots, nodes } = await nodesFor(t, [{ inside: { f: 'x' } }]);
    const node = nodes[0]!;
    const expect = { digest: hash('blake3', Buffer.from('x')), size: 1, mtimeNs: 0n, mode: 0o644 };
    const content = async function* () { yield Buffer.from('x'); };
    await fs.mkdir(path.join(dir, 'outside'));
    await fs.symlink(path.join(dir, 'outside'), path.join(roots[0]!, 'escape'));
    for (const bad of ['../x', 'data/../x', '/etc/passwd', 'data/a\0b', 'data/Cafe\u0301', 'other/x', 'data//x', 'data/./x', 'data/escape/x']) {
      await t.rejects(node.write(bad, { kind: 'content', data: content() }, expect), UnsafePathError, `write ${JSON.stringify(bad)}`);
    }
    await t.rejects(node.remove('data/escape/anything'), UnsafePathError);
    await t.rejects(node.makeFolder('data/escape/new', 0o755), UnsafePathError);
    t.same(await fs.readdir(path.join(dir, 'outside')), [], 'nothing was written through the link');
    await t.rejects(node.remove('data'), { code: 'DELTANODE_ERR_IO' }, 'a source root is never removed');
  });

  t.test(`${label}: a link swapped in under a folder during a write redirects nothing`, async (t) => {
    const { dir, roots, nodes } = await nodesFor(t, [{ sub: { old: 'old' } }]);
    const node = nodes[0]!;
    const outside = path.join(dir, 'outside');
    await fs.mkdir(outside);
    const first = Buffer.alloc(200_000, 1);
    const second = Buffer.alloc(200_000, 2);
    const whole = Buffer.concat([first, second]);
    const expect = { digest: hash('blake3', whole), size: whole.length, mtimeNs: 0n, mode: 0o644 };
    const sub = path.join(roots[0]!, 'sub');
    const content = async function* () {
      yield first;
      // The folder the file goes to becomes a link to another place while its content arrives.
      await fs.rename(sub, `${sub}.moved`);
      await fs.symlink(outside, sub);
      yield second;
    };
    const written = await node.write('data/sub/new', { kind: 'content', data: content() }, expect).then(() => true,
      (error: Error & { code?: string; remoteCode?: string }) => {
        // Over a link the write may begin after the swap (the link is refused) or between its two
        // steps (the folder is missing, and stays so for this write even once the link is there).
        const folderMissing = error.code === 'DELTANODE_ERR_REMOTE' && error.remoteCode === 'ENOENT';
        t.ok(error.code === 'DELTANODE_ERR_UNSAFE_PATH' || folderMissing,
          `refused, when the swap came before the write began (${error.code}: ${error.message})`);
        return false;
      });
    t.same(await fs.readdir(outside), [], 'nothing was written through the link');
    if (written) t.ok((await fs.readFile(path.join(`${sub}.moved`, 'new'))).equals(whole), 'the file is in the folder it was written to');
    await t.rejects(node.remove('data/sub/old'), UnsafePathError, 'the link is refused from now on');
    await t.rejects(node.setMetadata('data/sub', { mode: 0o700, mtimeNs: 0n }), { code: 'DELTANODE_ERR_IO' }, 'a link has no mode to set');
    t.equal((await fs.stat(outside)).mode & 0o777, 0o755, 'the folder behind the link is untouched');
  });

  t.test(`${label}: a dry run changes nothing; cancellation rejects`, async (t) => {
    const { roots, nodes } = await nodesFor(t, [{ a: 'a', b: { c: 'c' } }, { z: 'z' }]);
    const before = await snapshot(roots[1]!);
    const planned: string[] = [];
    const report = await new Session(nodes).sync({ from: 'n0', delete: true, dryRun: true,
      onEvent: (event) => event.type === 'planned' && planned.push(`${event.action.kind} ${event.action.path}`) });
    t.same(planned, ['write data/a', 'folder data/b', 'write data/b/c', 'remove data/z']);
    t.equal(report.planned.bytesExpected, 2);
    t.equal(report.verify, null);
    t.same(await snapshot(roots[1]!), before);
    const controller = new AbortController();
    controller.abort();
    await t.rejects(new Session(nodes).sync({ from: 'n0', signal: controller.signal }), AbortedError);
    t.throws(() => new Session([nodes[0]!]), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
    await t.rejects(new Session(nodes).sync({ from: 'nobody' }), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
  });
}

suite('local nodes', localNodes);
suite('remote nodes over a memory link', remoteNodes);
suite('nodes in their own processes over encrypted TCP', processNodes);
