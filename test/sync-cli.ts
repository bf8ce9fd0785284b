// deltanode sync / verify: plans, outcomes, JSON documents, exit statuses.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { deltanode } from './fixtures/helpers.js';

t.test('sync mirrors, reports and verifies; exit statuses', async (t) => {
  const dir = t.testdir({ a: { f: 'new', sub: { g: 'g' } }, b: { f: 'old', extra: 'x' }, state: {} });
  const [a, b, state] = ['a', 'b', 'state'].map((name) => path.join(dir, name)) as [string, string, string];
  const plan = await deltanode(['sync', '--dry-run', '--delete', '--state', state, a, b]);
  t.equal(plan.code, 0, plan.stderr.toString());
  const planned = plan.stdout.toString();
  t.match(planned, /whole\s+node2\s+f\s+\(content differs\)/);
  t.match(planned, /folder\s+node2\s+sub\s+\(missing\)/);
  t.match(planned, /remove\s+node2\s+extra\s+\(not on the source node\)/);
  t.match(planned, /dry run: 4 actions planned/);
  t.equal(await fs.readFile(path.join(b, 'f'), 'utf8'), 'old', 'a dry run changes nothing');

  const sync = await deltanode(['sync', '--state', state, a, b]);
  t.equal(sync.code, 0, sync.stderr.toString());
  t.match(sync.stdout.toString(), /3 actions done, 0 failed/);
  t.match(sync.stdout.toString(), /verified: every node matches node1 \(1 paths only on targets kept/);
  t.equal(await fs.readFile(path.join(b, 'sub', 'g'), 'utf8'), 'g');

  const json = await deltanode(['sync', '--json', '--delete', '--state', state, `A=${a}`, `B=${b}`]);
  t.equal(json.code, 0);
  const document = JSON.parse(json.stdout.toString()) as { actions: Array<{ kind: string; path: string; status: string }>;
    report: { done: number; verify: { identical: boolean } } };
  t.same(document.actions.map((action) => [action.kind, action.path, action.status]), [['remove', 'root/extra', 'done']]);
  t.equal(document.report.verify.identical, true);
  t.equal((await deltanode(['verify', '--state', state, a, b])).code, 0, 'verify: identical');
  await fs.writeFile(path.join(b, 'f'), 'drifted');
  t.equal((await deltanode(['verify', '--state', state, a, b])).code, 1, 'verify: different');

  t.equal((await deltanode(['sync', a])).code, 2, 'one node');
  t.equal((await deltanode(['sync', '--from', 'nobody', a, b])).code, 2, 'an unknown --from');
  t.equal((await deltanode(['sync', '--mode', 'two-way', a, b, a])).code, 2, 'two-way takes two nodes');
  t.equal((await deltanode(['sync', '--mode', 'two-way', '--from', 'node1', a, b])).code, 2, '--from is for mirrors');
  t.equal((await deltanode(['sync', '--mode', 'rules', a, b])).code, 2, 'rules mode needs a file');
  t.equal((await deltanode(['sync', '--rules', path.join(dir, 'none.json'), a, b])).code, 2, 'a missing rules file');
  t.equal((await deltanode(['sync', '--mode', 'sideways', a, b])).code, 2);
});

t.test('a sync that leaves paths alone exits 1 and says why', async (t) => {
  const dir = t.testdir({ a: { f: 'new' }, b: {}, state: {} });
  // A name that is not UTF-8 cannot be carried to another node: an error entry, left alone.
  await fs.writeFile(Buffer.concat([Buffer.from(path.join(dir, 'a', 'bad-')), Buffer.from([0xff])]), 'x');
  const result = await deltanode(['sync', '--state', path.join(dir, 'state'), path.join(dir, 'a'), path.join(dir, 'b')]);
  t.equal(result.code, 1);
  t.match(result.stdout.toString(), /1 paths left alone: unreadable on some node/);
  t.equal(await fs.readFile(path.join(dir, 'b', 'f'), 'utf8'), 'new', 'the rest was synced');
});

t.test('a sync --json that fails still prints one whole JSON document, with the error', async (t) => {
  const dir = t.testdir({ b: {}, state: {} });
  const result = await deltanode(['sync', '--json', '--state', path.join(dir, 'state'), path.join(dir, 'missing'), path.join(dir, 'b')]);
  t.equal(result.code, 1);
  const document = JSON.parse(result.stdout.toString()) as { actions: unknown[]; error: { code: string; message: string } };
  t.same(document.actions, []);
  t.equal(document.error.code, 'DELTANODE_ERR_IO');
});

t.test('kill -9 during a sync leaves each file old or new, never a mix; the rerun finishes', async (t) => {
  const dir = t.testdir({ a: {}, b: {}, state: {} });
  const [a, b, state] = ['a', 'b', 'state'].map((name) => path.join(dir, name)) as [string, string, string];
  const version = (name: string, which: 'old' | 'new') => Buffer.alloc(256 * 1024, `${which}:${name}:`);
  const names = Array.from({ length: 200 }, (_, i) => `f${i}`);
  for (const name of names) {
    await fs.writeFile(path.join(a, name), version(name, 'new'));
    await fs.writeFile(path.join(b, name), version(name, 'old'));
  }
  const { spawn } = await import('node:child_process');
  const { cliPath } = await import('./fixtures/helpers.js');
  const child = spawn(process.execPath, [cliPath, 'sync', '--json', '--state', state, a, b], { stdio: ['ignore', 'pipe', 'ignore'] });
  // Killed once the first outcomes are out: some files are written, others not yet.
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.includes('"status"') && resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  let fresh = 0;
  for (const name of names) {
    const content = await fs.readFile(path.join(b, name));
    const isNew = content.equals(version(name, 'new'));
    t.ok(isNew || content.equals(version(name, 'old')), `${name} is one whole version`);
    if (isNew) fresh++;
  }
  t.ok(fresh > 0 && fresh < names.length, `interrupted part-way (${fresh} of ${names.length} written)`);
  const rerun = await deltanode(['sync', '--state', state, a, b]);
  t.equal(rerun.code, 0, rerun.stderr.toString());
  t.match(rerun.stdout.toString(), new RegExp(`${names.length - fresh} actions done, 0 failed`), 'the rerun sends only what is missing');
  t.match(rerun.stdout.toString(), /verified: every node matches node1/);
  t.same((await fs.readdir(b)).filter((name) => name.endsWith('.deltanode-tmp')), [], 'what the killed run left is gone');
});

t.test('sync --mode two-way and --rules from the command line', async (t) => {
  const dir = t.testdir({ a: { f: 'from a', both: 'a' }, b: { g: 'from b', both: 'b' }, state: {},
    'rules.json': JSON.stringify({ rules: [{ when: { missing: 'B' }, then: { action: 'copy', from: 'A', to: 'B' } }] }),
    'bad.json': JSON.stringify({ rules: [{ when: { missin: 'B' }, then: { action: 'nothing' } }] }) });
  const [a, b, state] = ['a', 'b', 'state'].map((name) => path.join(dir, name)) as [string, string, string];
  // B's version is the newer one: written a moment apart, the two can share one coarse timestamp
  // (a tie goes to the first node).
  const hourAgo = new Date(Date.now() - 3600_000);
  await fs.utimes(path.join(a, 'both'), hourAgo, hourAgo);
  const twoWay = await deltanode(['sync', '--mode', 'two-way', '--state', state, `A=${a}`, `B=${b}`]);
  t.equal(twoWay.code, 0, twoWay.stderr.toString());
  t.match(twoWay.stdout.toString(), /conflict: both: created on A and created on B: B's version kept; the other is kept as both\.conflict-A-\d{8}-\d{6}\n/);
  t.match(twoWay.stdout.toString(), /verified: both nodes hold the same/);
  t.equal(await fs.readFile(path.join(a, 'g'), 'utf8'), 'from b');
  t.equal(await fs.readFile(path.join(b, 'f'), 'utf8'), 'from a');
  t.ok((await fs.readdir(path.join(state, 'pairs'))).length === 1, 'the pair state is kept under --state');
  const again = await deltanode(['sync', '--mode', 'two-way', '--json', '--state', state, `A=${a}`, `B=${b}`]);
  const document = JSON.parse(again.stdout.toString()) as { report: { planned: { actions: number }; conflictCount: number } };
  t.same([document.report.planned.actions, document.report.conflictCount], [0, 0], 'the second run has nothing to do');

  await fs.writeFile(path.join(a, 'h'), 'new on a');
  const ruled = await deltanode(['sync', '--rules', path.join(dir, 'rules.json'), '--state', state, `A=${a}`, `B=${b}`]);
  t.equal(ruled.code, 0, ruled.stderr.toString());
  t.equal(await fs.readFile(path.join(b, 'h'), 'utf8'), 'new on a');
  const bad = await deltanode(['sync', '--rules', path.join(dir, 'bad.json'), '--state', state, `A=${a}`, `B=${b}`]);
  t.equal(bad.code, 2);
  t.match(bad.stderr.toString(), /rules\[0\]\.when: unknown condition "missin"/);
});
