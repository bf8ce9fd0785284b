// deltanode host / join between separate processes on loopback: a sync with one and two members,
// a password session, identities that are refused or pinned, a read-only member, and a member
// that stops answering in the middle of a transfer (the host times out; the rerun resumes).
import t, { type Test } from 'tap';
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { cliPath, seededBytes } from './fixtures/helpers.js';
import { snapshot, write } from './fixtures/trees.js';

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const result: Run = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.once('exit', resolve)) };
  child.stdout!.on('data', (chunk: Buffer) => void (result.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => void (result.stderr += chunk.toString()));
  return result;
}

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts a host; resolves with it and its join code once it listens. */
async function host(t: Test, dir: string, args: string[], env: Record<string, string> = {}) {
  const codeFile = path.join(dir, `code-${Math.random().toString(36).slice(2)}`);
  const hosting = run(['host', '--listen', '127.0.0.1:0', '--code-file', codeFile, '--state', path.join(dir, 'host-state'), ...args], env);
  t.teardown(() => void hosting.child.kill('SIGKILL'));
  await until(async () => (await fs.readFile(codeFile, 'utf8').catch(() => '')).endsWith('\n') || hosting.child.exitCode !== null,
    'the join code');
  const code = (await fs.readFile(codeFile, 'utf8').catch(() => '')).trim();
  return { hosting, code };
}

function join(t: Test, dir: string, code: string, node: string, args: string[] = [], env: Record<string, string> = {}, state = 'member-state'): Run {
  const member = run(['join', '--state', path.join(dir, state), ...args, code, node], env);
  t.teardown(() => void member.child.kill('SIGKILL'));
  return member;
}

t.test('a host syncs a member over an encrypted link; verify agrees; the member exits', async (t) => {
  const dir = t.testdir();
  const big = seededBytes(1, 3 << 20);
  await write(path.join(dir, 'a'), { big, small: 'hello', sub: { deep: 'deep' }, 'ünïcødé': 'u', empty: '', link: { link: 'small' } });
  const old = Buffer.from(big);
  old.write('an older version', 1 << 20);
  await write(path.join(dir, 'b'), { big: old, stale: 'only on b' });
  const { hosting, code } = await host(t, dir, ['--accept-new', 'sync', '--from', 'A', '--delete', '--json', `A=${path.join(dir, 'a')}`]);
  t.match(code, /^dn1-/);
  t.match(hosting.stderr, /hosting as A, fingerprint (\d{5} ){7}\d{5}/);
  const member = join(t, dir, code, `B=${path.join(dir, 'b')}`);
  t.equal(await hosting.exited, 0, hosting.stderr);
  t.equal(await member.exited, 0, member.stderr);
  t.match(member.stderr, /joined the session of A .* as B/);
  t.match(member.stderr, /the host ended the session/);
  const report = JSON.parse(hosting.stdout).report;
  t.ok(report.verify.identical, 'verified');
  t.ok(report.bytesByMethod.delta > 0 && report.bytesByMethod.delta < 200_000, `the big file went as a delta (${report.bytesByMethod.delta} B)`);
  t.same(await snapshot(path.join(dir, 'b')), await snapshot(path.join(dir, 'a')), 'the member holds what the host holds');

  const verifying = await host(t, dir, ['--accept-new', 'verify', `A=${path.join(dir, 'a')}`]);
  const again = join(t, dir, verifying.code, `B=${path.join(dir, 'b')}`);
  t.equal(await verifying.hosting.exited, 0, verifying.hosting.stdout);
  t.equal(await again.exited, 0);
  t.match(verifying.hosting.stdout, /identical/);
});

t.test('two members at once: the source is sent to both', async (t) => {
  const dir = t.testdir();
  await write(path.join(dir, 'a'), { one: seededBytes(2, 100_000), two: { three: 'three' } });
  const { hosting, code } = await host(t, dir, ['--accept-new', '--members', '2', 'sync', '--from', 'A', `A=${path.join(dir, 'a')}`]);
  const b = join(t, dir, code, `B=${path.join(dir, 'b')}`, [], {}, 'state-b');
  const c = join(t, dir, code, `C=${path.join(dir, 'c')}`, [], {}, 'state-c');
  t.equal(await hosting.exited, 0, hosting.stderr);
  t.equal(await b.exited, 0);
  t.equal(await c.exited, 0);
  const source = await snapshot(path.join(dir, 'a'));
  t.same(await snapshot(path.join(dir, 'b')), source);
  t.same(await snapshot(path.join(dir, 'c')), source);
  t.match(hosting.stderr, /B joined/);
  t.match(hosting.stderr, /C joined/);
});

t.test('a password session: a wrong password is refused and the host waits on; the right one joins', async (t) => {
  const dir = t.testdir();
  await write(path.join(dir, 'a'), { f: 'content' });
  const { hosting, code } = await host(t, dir, ['--accept-new', '--password-env', 'PW', 'sync', `A=${path.join(dir, 'a')}`],
    { PW: 'correct horse battery' });
  t.match(hosting.stderr, /session password/);
  const noPassword = join(t, dir, code, `B=${path.join(dir, 'b')}`);
  t.equal(await noPassword.exited, 1);
  t.match(noPassword.stderr, /password/);
  const wrong = join(t, dir, code, `B=${path.join(dir, 'b')}`, ['--password-env', 'PW'], { PW: 'wrong horse battery' });
  t.equal(await wrong.exited, 1);
  t.match(wrong.stderr, /DELTANODE_ERR_HANDSHAKE/);
  t.equal(await fs.readdir(path.join(dir, 'b')).catch(() => []).then((names) => names.length), 0, 'nothing was written');
  const right = join(t, dir, code, `B=${path.join(dir, 'b')}`, ['--password-env', 'PW'], { PW: 'correct horse battery' });
  t.equal(await right.exited, 0, right.stderr);
  t.equal(await hosting.exited, 0, hosting.stderr);
  t.match(hosting.stderr, /a connection was refused: .*DELTANODE_ERR_HANDSHAKE/);
  t.equal(await fs.readFile(path.join(dir, 'b', 'f'), 'utf8'), 'content');
});

t.test('identities: unpinned members need an accept; pins hold; a changed key is refused', async (t) => {
  const dir = t.testdir();
  await write(path.join(dir, 'a'), { f: 'content' });
  const strict = await host(t, dir, ['--wait', '3', 'sync', `A=${path.join(dir, 'a')}`]);
  const refused = join(t, dir, strict.code, `B=${path.join(dir, 'b')}`);
  t.equal(await refused.exited, 1);
  t.match(refused.stderr, /DELTANODE_ERR_IDENTITY/);
  t.match(refused.stderr, /not pinned/);
  t.equal(await strict.hosting.exited, 1, 'the host gave up waiting');
  t.match(strict.hosting.stderr, /0 of 1 members joined/);

  const pinning = await host(t, dir, ['--accept-new', '--pin', 'sync', `A=${path.join(dir, 'a')}`]);
  const pinned = join(t, dir, pinning.code, `B=${path.join(dir, 'b')}`);
  t.equal(await pinned.exited, 0);
  t.equal(await pinning.hosting.exited, 0);
  const list = run(['trust', 'list', '--state', path.join(dir, 'host-state')]);
  t.equal(await list.exited, 0);
  t.match(list.stdout, /^B {2}(\d{5} ){7}\d{5} {2}pinned /);

  const known = await host(t, dir, ['sync', `A=${path.join(dir, 'a')}`]);
  const again = join(t, dir, known.code, `B=${path.join(dir, 'b')}`);
  t.equal(await again.exited, 0, 'a pinned member needs no accept');
  t.equal(await known.hosting.exited, 0);

  await fs.rm(path.join(dir, 'member-state', 'identity-ed25519'));
  const changed = await host(t, dir, ['--accept-new', '--wait', '3', 'sync', `A=${path.join(dir, 'a')}`]);
  const impostor = join(t, dir, changed.code, `B=${path.join(dir, 'b')}`);
  t.equal(await impostor.exited, 1);
  t.match(impostor.stderr, /not the one pinned/);
  t.equal(await changed.hosting.exited, 1);

  const identity = run(['identity', '--state', path.join(dir, 'member-state')]);
  t.equal(await identity.exited, 0);
  t.match(identity.stdout, /^(\d{5} ){7}\d{5}\n$/);
  const remove = run(['trust', 'remove', 'B', '--state', path.join(dir, 'host-state')]);
  t.equal(await remove.exited, 0);
  const add = run(['trust', 'add', 'B', identity.stdout.trim(), '--state', path.join(dir, 'host-state')]);
  t.equal(await add.exited, 0);
  const bad = run(['trust', 'add', 'B', '123', '--state', path.join(dir, 'host-state')]);
  t.equal(await bad.exited, 2);
  const repinned = await host(t, dir, ['sync', `A=${path.join(dir, 'a')}`]);
  const member = join(t, dir, repinned.code, `B=${path.join(dir, 'b')}`);
  t.equal(await member.exited, 0, 'pinned by hand from its printed fingerprint');
  t.equal(await repinned.hosting.exited, 0);
});

t.test('a read-only member stays read-only whatever the host asks', async (t) => {
  const dir = t.testdir();
  await write(path.join(dir, 'a'), { f: 'new content' });
  await write(path.join(dir, 'b'), { f: 'old content', g: 'g' });
  const before = await snapshot(path.join(dir, 'b'));
  const { hosting, code } = await host(t, dir, ['--accept-new', 'sync', '--from', 'A', '--delete', `A=${path.join(dir, 'a')}`]);
  const member = join(t, dir, code, `B=${path.join(dir, 'b')}`, ['--read-only']);
  t.equal(await hosting.exited, 1, 'the sync failed');
  t.equal(await member.exited, 0);
  t.match(member.stderr, /read-only/);
  t.same(await snapshot(path.join(dir, 'b')), before, 'nothing changed');
  t.match(hosting.stderr, /DELTANODE_ERR_READ_ONLY|read-only/);
});

t.test('a member that stops answering mid-transfer: the host times out, the rerun resumes', async (t) => {
  const dir = t.testdir();
  const size = 96 << 20;
  await write(path.join(dir, 'a'), { big: seededBytes(7, size) });
  await fs.mkdir(path.join(dir, 'b'));
  const first = await host(t, dir, ['--accept-new', '--idle-timeout', '2', 'sync', `A=${path.join(dir, 'a')}`]);
  const member = join(t, dir, first.code, `B=${path.join(dir, 'b')}`, ['--idle-timeout', '2']);
  // Stopped once a good part of the file is on the member's disk.
  await until(async () => {
    for (const name of await fs.readdir(path.join(dir, 'b'))) {
      if (name.endsWith('.deltanode-tmp') && (await fs.stat(path.join(dir, 'b', name))).size > size / 4) return true;
    }
    return false;
  }, 'a partial transfer', 60_000);
  member.child.kill('SIGSTOP');
  t.equal(await first.hosting.exited, 1, 'the host gave up on the silent member');
  t.match(first.hosting.stderr, /DELTANODE_ERR_TIMEOUT|timed out|nothing came|idle/i);
  member.child.kill('SIGKILL');
  await member.exited;
  const second = await host(t, dir, ['--accept-new', 'sync', '--json', `A=${path.join(dir, 'a')}`]);
  const rerun = join(t, dir, second.code, `B=${path.join(dir, 'b')}`);
  t.equal(await second.hosting.exited, 0, second.hosting.stderr);
  t.equal(await rerun.exited, 0);
  const report = JSON.parse(second.hosting.stdout).report;
  const moved = report.bytesByMethod.whole + report.bytesByMethod.delta;
  t.ok(moved < size * 0.8, `the rerun moved ${moved} of ${size} bytes`);
  t.ok((await fs.readFile(path.join(dir, 'b', 'big'))).equals(seededBytes(7, size)), 'the file is whole');
});

t.test('usage errors of host and join', async (t) => {
  for (const args of [['host', '--members', '0', 'sync'], ['host', 'nothing'], ['host', '--accept-new', '--accept', 'x', 'sync'],
    ['host', '--wait', 'x', 'sync'], ['host', 'stray', 'sync'], ['join', 'code-only'], ['join', '--idle-timeout', '0', 'c', 'n'],
    ['trust', 'what'], ['trust', 'add', 'B'], ['trust', 'remove'], ['identity', 'extra']]) {
    const usage = run(args);
    t.equal(await usage.exited, 2, args.join(' '));
  }
  const notCode = run(['join', 'not-a-code', '/tmp']);
  t.equal(await notCode.exited, 2);
  t.match(notCode.stderr, /not a deltanode join code/);
});
