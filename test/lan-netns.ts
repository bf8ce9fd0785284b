// LAN mode across a real, impaired network: two network namespaces made here, joined by a veth
// pair, traffic control on the pair, the host in one namespace and the member in the other, each
// a real `deltanode` process. Needs root (or CAP_NET_ADMIN) and iproute2 (`ip`, `tc`); whatever is
// refused makes the cases that need it skip, saying what was refused. Nothing outside the
// namespaces made here is touched: the veth pair is created straight inside them.
//
// Impairments: netem (delay 20ms 5ms, loss 1%) where the kernel has sch_netem; tbf (a token
// bucket: an 8 Mbit/s bottleneck whose short queue adds delay and tail-drops what overflows it),
// which kernels without netem usually still have; cutting the member's link mid-sync.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { cliPath, seededBytes } from './fixtures/helpers.js';

interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** Runs a command to completion; a command that cannot start ends with code null and the reason. */
function run(command: string, args: readonly string[]): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', (error) => resolve({ code: null, signal: null, stdout, stderr: `${command}: ${error.message}`, ms: Date.now() - started }));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
}

const ip = (...args: string[]) => run('ip', args);
const tc = (ns: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, 'tc', ...args]);
const refusal = (what: string, result: Ran) => `${what} was refused: ${result.stderr.trim() || `exit ${result.code}`}`;

interface Net {
  host: string; member: string; hostIf: string; memberIf: string; hostAddress: string; memberAddress: string;
}

/**
 * Two namespaces and a veth pair between them, 10.231.X.1/30 and 10.231.X.2/30, links up; or the
 * reason, when the kernel or the user's rights refuse a step. `remove` deletes what was made
 * (deleting a namespace deletes its end of the pair, and so the pair).
 */
async function makeNet(): Promise<{ net: Net | string; remove: () => Promise<string[]> }> {
  const tag = randomBytes(3).toString('hex');
  const x = randomBytes(1)[0]!;
  const net: Net = {
    host: `dn-test-${tag}-h`, member: `dn-test-${tag}-m`, hostIf: `dn${tag}h`, memberIf: `dn${tag}m`,
    hostAddress: `10.231.${x}.1`, memberAddress: `10.231.${x}.2`,
  };
  const made: string[] = [];
  const remove = async () => {
    const problems: string[] = [];
    for (const ns of made.splice(0)) {
      const deleted = await ip('netns', 'del', ns);
      if (deleted.code !== 0) problems.push(`ip netns del ${ns}: ${deleted.stderr.trim()}`);
    }
    return problems;
  };
  for (const ns of [net.host, net.member]) {
    const added = await ip('netns', 'add', ns);
    if (added.code !== 0) return { net: refusal(`ip netns add ${ns}`, added), remove };
    made.push(ns);
  }
  const steps: string[][] = [
    ['link', 'add', net.hostIf, 'netns', net.host, 'type', 'veth', 'peer', 'name', net.memberIf, 'netns', net.member],
    ['-n', net.host, 'addr', 'add', `${net.hostAddress}/30`, 'dev', net.hostIf],
    ['-n', net.member, 'addr', 'add', `${net.memberAddress}/30`, 'dev', net.memberIf],
    ['-n', net.host, 'link', 'set', 'lo', 'up'],
    ['-n', net.member, 'link', 'set', 'lo', 'up'],
    ['-n', net.host, 'link', 'set', net.hostIf, 'up'],
    ['-n', net.member, 'link', 'set', net.memberIf, 'up'],
  ];
  for (const step of steps) {
    const result = await ip(...step);
    if (result.code !== 0) return { net: refusal(`ip ${step.join(' ')}`, result), remove };
  }
  return { net, remove };
}

/** A pair for one case, removed by its teardown even when the case fails. */
async function netFor(t: Test): Promise<Net | string> {
  const { net, remove } = await makeNet();
  t.teardown(async () => {
    for (const problem of await remove()) t.comment(problem);
  });
  return net;
}

const NETEM = ['netem', 'delay', '20ms', '5ms', 'loss', '1%'];
// 8 Mbit/s; a 32 KB queue is up to 32 ms of delay when full, and what overflows it is dropped.
const TBF = ['tbf', 'rate', '8mbit', 'burst', '16kb', 'limit', '32kb'];
// Slow enough that a sync of a few MB is still sending when the link is cut.
const TBF_SLOW = ['tbf', 'rate', '2mbit', 'burst', '16kb', 'limit', '32kb'];

/** Puts `qdisc` at the root of both ends of the pair; the reason when tc refuses it. */
async function impair(net: Net, qdisc: readonly string[]): Promise<string | null> {
  for (const [ns, dev] of [[net.host, net.hostIf], [net.member, net.memberIf]] as const) {
    const result = await tc(ns, 'qdisc', 'replace', 'dev', dev, 'root', ...qdisc);
    if (result.code !== 0) return refusal(`tc qdisc replace dev ${dev} root ${qdisc.join(' ')}`, result);
  }
  return null;
}

/** Packets the root qdisc of `dev` dropped (netem's losses, tbf's overflows). */
async function qdiscDrops(ns: string, dev: string): Promise<number> {
  const shown = await tc(ns, '-s', 'qdisc', 'show', 'dev', dev);
  return Number(/dropped (\d+)/.exec(shown.stdout)?.[1] ?? NaN);
}

/** TCP segments retransmitted in `ns` (the namespace's own counters, from zero). */
async function retransmitted(ns: string): Promise<number> {
  const snmp = await run('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp']);
  const [names, values] = snmp.stdout.split('\n').filter((line) => line.startsWith('Tcp:')).map((line) => line.split(/\s+/));
  return Number(values?.[names?.indexOf('RetransSegs') ?? -1] ?? NaN);
}

// Probed once with a throwaway pair, so that each case can say up front why it skips.
async function probe(): Promise<{ netns: string | null; netem: string | null; tbf: string | null }> {
  const { net, remove } = await makeNet();
  try {
    if (typeof net === 'string') return { netns: net, netem: net, tbf: net };
    return { netns: null, netem: await impair(net, NETEM), tbf: await impair(net, TBF) };
  } finally {
    for (const problem of await remove()) t.comment(problem);
  }
}
const allowed = await probe();
t.comment(allowed.netns ?? `namespaces and veth: allowed; netem: ${allowed.netem ?? 'allowed'}; tbf: ${allowed.tbf ?? 'allowed'}`);
const netemRefused = allowed.netem === null ? false
  : allowed.netns !== null || !/qdisc kind is unknown/.test(allowed.netem) ? allowed.netem
    : `${allowed.netem} (this kernel has no sch_netem; where modules load, modprobe sch_netem)`;

interface Child { done: Promise<Ran>; stdoutSoFar: () => string; stderrSoFar: () => string; running: () => boolean }

/** `deltanode ARGS` in namespace `ns`; killed by the teardown if still running, and after `deadlineMs` anyway. */
function deltanodeIn(t: Test, ns: string, args: readonly string[], deadlineMs = 45_000): Child {
  const started = Date.now();
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const deadline = setTimeout(() => {
    stderr += `\n[test: killed after ${deadlineMs} ms]\n`;
    child.kill('SIGKILL');
  }, deadlineMs);
  const done = new Promise<Ran>((resolve) => {
    child.on('error', (error) => { stderr += `spawn: ${error.message}\n`; });
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(deadline);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
  t.teardown(() => {
    clearTimeout(deadline);
    if (!exited) child.kill('SIGKILL');
  });
  return { done, stdoutSoFar: () => stdout, stderrSoFar: () => stderr, running: () => !exited };
}

async function waitFor(what: string, ready: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}

/** Starts the host (a mirror sync from A) and, once its join code is written, the member B. */
async function startSession(t: Test, net: Net, dir: string, extra: readonly string[] = []) {
  const codeFile = path.join(dir, 'code');
  const host = deltanodeIn(t, net.host, ['host', '--listen', `${net.hostAddress}:0`, '--code-file', codeFile, '--accept-new',
    '--state', path.join(dir, 'host-state'), '--wait', '30', ...extra, 'sync', '--json', '--from', 'A', `A=${path.join(dir, 'A')}`]);
  await waitFor('the join code', async () => {
    if (!host.running()) return true;
    return (await fs.readFile(codeFile, 'utf8').catch(() => '')).trim() !== '';
  }, 15_000);
  if (!host.running()) return { host, member: null };
  const code = (await fs.readFile(codeFile, 'utf8')).trim();
  const member = deltanodeIn(t, net.member, ['join', '--state', path.join(dir, 'member-state'), '--connect-timeout', '10',
    ...extra, code, `B=${path.join(dir, 'B')}`]);
  return { host, member };
}

/** Every file under `root` by its relative path, less deltanode's own `.deltanode` folder at the top. */
async function tree(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (folder: string, prefix: string) => {
    for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
      if (prefix === '' && entry.name === '.deltanode') continue;
      const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(folder, entry.name), relative);
      else files.set(relative, await fs.readFile(path.join(folder, entry.name)));
    }
  };
  await walk(root, '');
  return files;
}

/** Source A: a few MB in a few files, and `edited.bin`, which B holds in an older version (a delta). */
async function fillFolders(dir: string): Promise<void> {
  const a = path.join(dir, 'A');
  const b = path.join(dir, 'B');
  await fs.mkdir(path.join(a, 'sub'), { recursive: true });
  await fs.mkdir(b, { recursive: true });
  await fs.writeFile(path.join(a, 'big.bin'), seededBytes(101, 1_500_000));
  await fs.writeFile(path.join(a, 'mid.bin'), seededBytes(102, 1_000_000));
  await fs.writeFile(path.join(a, 'sub', 'part.bin'), seededBytes(103, 600_000));
  await fs.writeFile(path.join(a, 'sub', 'note.txt'), 'a small file\n');
  const old = seededBytes(104, 1_000_000);
  const edited = Buffer.concat([old.subarray(0, 300_000), Buffer.from('an insertion in the middle'), old.subarray(300_000)]);
  for (const at of [10, 500_000, 900_000]) edited[at] = edited[at]! ^ 0xff;
  await fs.writeFile(path.join(a, 'edited.bin'), edited);
  await fs.writeFile(path.join(b, 'edited.bin'), old);
}

interface SyncDocument {
  actions: Array<{ kind: string; path: string; method?: string; status: string }>;
  report: { done: number; failed: number; seconds: number; bytesByMethod: { whole: number; delta: number; local: number };
    verify: { identical: boolean; differing: number; errors: number } | null };
}

/** The sync across the impaired pair: both exit 0, B equals A byte for byte, the report says verified. */
async function syncAcross(t: Test, qdisc: readonly string[]): Promise<void> {
  const net = await netFor(t);
  if (typeof net === 'string') {
    t.fail(`the namespaces were allowed by the probe: ${net}`);
    return;
  }
  const refused = await impair(net, qdisc);
  if (refused !== null) {
    t.fail(`the probe allowed this qdisc: ${refused}`);
    return;
  }
  const dir = t.testdir({});
  await fillFolders(dir);
  const { host, member } = await startSession(t, net, dir, ['--idle-timeout', '20']);
  const hostRan = await host.done;
  const memberRan = await member?.done;
  t.comment(`host ${hostRan.ms} ms, member ${memberRan?.ms} ms (${qdisc.join(' ')})`);
  t.comment(`host stderr:\n${hostRan.stderr.replace(/join code: \S+/, 'join code: …')}member stderr:\n${memberRan?.stderr}`);
  t.equal(hostRan.code, 0, 'the host exits 0');
  t.equal(memberRan?.code, 0, 'the member exits 0');
  t.match(memberRan?.stderr ?? '', /the host ended the session/);

  let document: SyncDocument | null = null;
  try {
    document = JSON.parse(hostRan.stdout) as SyncDocument;
  } catch {
    t.fail('the host prints one JSON document', { stdout: hostRan.stdout });
  }
  if (document) {
    const { report } = document;
    t.comment(`sync ${report.seconds.toFixed(2)} s; moved ${report.bytesByMethod.whole} B whole, ${report.bytesByMethod.delta} B as deltas`);
    t.equal(report.verify?.identical, true, 'the report says verified');
    t.equal(report.failed, 0, 'no action failed');
    t.equal(report.done, document.actions.length, 'every action done');
    t.equal(document.actions.find((action) => action.path.endsWith('edited.bin'))?.method, 'delta', 'the edited file went as a delta');
    t.ok(report.bytesByMethod.whole >= 3_100_000, 'the new files went whole');
    t.ok(report.bytesByMethod.delta > 0 && report.bytesByMethod.delta < 200_000, 'the delta is a small part of the edited file');
  }

  const source = await tree(path.join(dir, 'A'));
  const target = await tree(path.join(dir, 'B'));
  t.same([...target.keys()].sort(), [...source.keys()].sort(), 'the target holds the same files');
  for (const [name, content] of source) t.ok(target.get(name)?.equals(content), `${name} is the same byte for byte`);

  const drops = await qdiscDrops(net.host, net.hostIf);
  t.comment(`the host's qdisc dropped ${drops} packets; TCP retransmitted ${await retransmitted(net.host)} segments on the host, ` +
    `${await retransmitted(net.member)} on the member`);
  if (qdisc[0] === 'tbf') t.ok(drops > 0, 'the bottleneck did drop packets (the impairment was real)');
}

t.test('a sync across netem: delay 20ms 5ms, loss 1%', { skip: netemRefused }, (t) => syncAcross(t, NETEM));

t.test('a sync through a tbf bottleneck that delays and drops', { skip: allowed.tbf ?? false }, (t) => syncAcross(t, TBF));

t.test('the member link cut mid-sync: both sides time out and exit 1, no torn file', { skip: allowed.tbf ?? false }, async (t) => {
  const net = await netFor(t);
  if (typeof net === 'string') {
    t.fail(`the namespaces were allowed by the probe: ${net}`);
    return;
  }
  const refused = await impair(net, TBF_SLOW);
  if (refused !== null) {
    t.fail(`the probe allowed tbf: ${refused}`);
    return;
  }
  const dir = t.testdir({ A: {}, B: {} });
  const big = seededBytes(201, 4_000_000);
  await fs.writeFile(path.join(dir, 'A', 'first.txt'), 'sent before the cut\n');
  await fs.writeFile(path.join(dir, 'A', 'big.bin'), big);
  const idleSeconds = 3;
  const { host, member } = await startSession(t, net, dir, ['--idle-timeout', String(idleSeconds)]);
  if (!member) {
    t.fail('the host stopped before writing its join code', { stderr: (await host.done).stderr });
    return;
  }
  // The first outcome is the small file; the 4 MB one needs some 16 s at 2 Mbit/s, so it is in flight.
  await waitFor('the first outcome', () => host.stdoutSoFar().includes('"status"') || !host.running(), 30_000);
  t.ok(host.running() && member.running(), 'both still running when the link is cut');
  const cutAt = Date.now();
  // The member's end down: nothing more crosses in either direction, and no RST says so.
  const down = await ip('-n', net.member, 'link', 'set', net.memberIf, 'down');
  t.equal(down.code, 0, 'the member link is down', { stderr: down.stderr });
  const [hostRan, memberRan] = await Promise.all([host.done, member.done]);
  const ended = Date.now() - cutAt;
  t.comment(`both ended ${ended} ms after the cut (host ran ${hostRan.ms} ms, member ${memberRan.ms} ms)`);
  t.comment(`host stderr:\n${hostRan.stderr.replace(/join code: \S+/, 'join code: …')}member stderr:\n${memberRan.stderr}`);
  t.comment(`host stdout:\n${hostRan.stdout}`);
  t.equal(hostRan.code, 1, 'the host exits 1');
  t.equal(memberRan.code, 1, 'the member exits 1');
  t.ok(ended < (idleSeconds + 8) * 1000, `both noticed within the idle timeout and some slack (${ended} ms)`);
  t.match(hostRan.stderr, /nothing came from .* for 3000 ms \(DELTANODE_ERR_TIMEOUT\)/, 'the host says the member went silent');
  t.match(memberRan.stderr, /\(DELTANODE_ERR_[A-Z_]+\)/, 'the member says why it stopped');
  t.notMatch(memberRan.stderr, /the host ended the session/);

  const target = await tree(path.join(dir, 'B'));
  t.comment(`left on the target: ${[...target.keys()].join(', ') || 'nothing'}`);
  t.ok(target.get('first.txt')?.equals(Buffer.from('sent before the cut\n')), 'the file sent before the cut is whole');
  const landed = target.get('big.bin');
  t.ok(landed === undefined || landed.equals(big), 'big.bin is absent or whole, never torn');
  for (const name of target.keys()) {
    t.ok(['first.txt', 'big.bin'].includes(name) || name.endsWith('.deltanode-tmp'), `nothing unexpected on the target: ${name}`);
  }
});
