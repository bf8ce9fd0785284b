#!/usr/bin/env node
// LAN benchmark, on loopback: the encrypted link's throughput beside the bare TCP link, and
// `deltanode host ... sync` with one `deltanode join` member beside rsync to an rsync daemon, on
// the same generated folders, in one run. Every measurement runs in processes of its own (the
// script starts itself again as link sender and receiver), tools take turns within every run so
// machine noise hits them alike, and the table shows medians with each target and whether it is
// met; the same goes to JSON (bench/results/).
//
//   node bench/lan.js [--size MiB] [--files N] [--runs N] [--only 1,2,3] [--mib MiB] [--frames KiB,KiB]
//                     [--dir DIR] [--json FILE] [--phases] [--cpu-prof DIR]
//
// 1: one stream over TcpTransport + the secureLink handshake (AES-256-GCM records), --mib MiB in
//    frames of each --frames size; reference: the same over the bare TcpLink. GB/s are 1e9 bytes/s.
//    A context row sets the bare TcpLink beside a plain node:net socket (no framing): the ceiling
//    of one Node stream on the machine.
// 2: a --size MiB file with 100 scattered edits, host -> member (`sync --from A`), fresh state
//    folders every run (no hash cache from a previous run); reference: rsync -a --no-whole-file
//    to an rsync daemon on 127.0.0.1. Wall time from starting the host until host and member have
//    both exited (handshake and join included); for rsync, the client's run against a daemon
//    started beforehand. Bytes on the wire: TCP payload bytes of the member's connection, read
//    from its sockets at exit (a preload of this script; no proxy in the path that would cost
//    CPU), and rsync's "Total bytes sent" + "Total bytes received".
// 3: --files small files (100 B - 4 KB, seeded), first copy, the same two ways (rsync -a).
//
// --phases runs the host without --json so its phase lines (compare, plan, execute, verify) are
// timed on stderr (the JSON then has no report; sync prints them only when it sees stderr is no
// terminal, which its isTTY === false test never does yet); --cpu-prof DIR writes V8 CPU profiles of every
// deltanode and link process there (slower: for finding where the time goes, not for the table).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bigFile, cliPath as cli, fresh, median, pad, rsyncBytes, smallFiles, writeResults } from './common.js';

const self = fileURLToPath(import.meta.url);
const COUNT_ENV = 'DELTANODE_LAN_BENCH_COUNT';
const MiB = 2 ** 20;
const log = (text) => process.stderr.write(`${text}\n`);

// Preloaded into a deltanode process (node --import this file): at exit, the TCP payload bytes its
// sockets read and wrote go to the file the variable names, one JSON line per process.
function countSockets(file) {
  const sockets = [];
  const add = ({ socket }) => sockets.push(socket);
  diagnostics.subscribe('net.client.socket', add);
  diagnostics.subscribe('net.server.socket', add);
  process.on('exit', () => {
    const read = sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
    const written = sockets.reduce((sum, socket) => sum + socket.bytesWritten, 0);
    appendFileSync(file, `${JSON.stringify({ pid: process.pid, argv: process.argv.slice(2, 3), sockets: sockets.length, read, written })}\n`);
  });
}

// One end of case 1, in a process of its own: the receiver listens and prints its address, the
// sender connects; with --secure both run the handshake first. Each prints one JSON line of results.
async function linkRole(role, options) {
  if (options.secure === 'raw') return rawRole(role, options);
  const { TcpTransport } = await import('../dist/transport/tcp.js');
  const secure = options.secure === 'yes';
  const transport = new TcpTransport();
  const handshake = async (link, side) => {
    if (!secure) return link;
    const { secureLink } = await import('../dist/transport/handshake.js');
    const { loadSodium } = await import('../dist/transport/sodium.js');
    const sodium = await loadSodium();
    const { publicKey, privateKey } = sodium.crypto_sign_keypair();
    return secureLink(link, { role: side, sessionId: Buffer.from(options.session, 'hex'), secret: Buffer.from(options.secret, 'hex'),
      keys: { name: role, publicKey, secretKey: privateKey }, protocolVersion: 1, checkPeer: () => undefined, timeoutMs: 30_000 });
  };
  const total = Number(options.bytes);
  const frameBytes = Number(options.frame);
  if (role === 'receiver') {
    let accepted;
    const arrived = new Promise((resolve) => { accepted = resolve; });
    const listener = await transport.listen('127.0.0.1:0', (link) => accepted(link));
    process.stdout.write(`${JSON.stringify({ address: listener.address })}\n`);
    const link = await handshake(await arrived, 'responder');
    await listener.close();
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let bytes = 0;
    let frames = 0;
    for await (const frame of link.frames()) {
      bytes += frame.length;
      frames++;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    await link.close();
    process.stdout.write(`${JSON.stringify({ bytes, frames, seconds, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
    return;
  }
  const link = await handshake(await transport.connect(options.connect), 'initiator');
  const frame = randomBytes(frameBytes);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let sent = 0; sent < total; sent += frameBytes) await link.send(total - sent >= frameBytes ? frame : frame.subarray(0, total - sent));
  await link.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ bytes: total, seconds, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
}

// The same over a plain node:net socket, no framing and no link: the ceiling of one Node stream here.
async function rawRole(role, options) {
  const total = Number(options.bytes);
  const frameBytes = Number(options.frame);
  if (role === 'receiver') {
    const socket = await new Promise((resolve) => {
      const server = net.createServer((accepted) => {
        server.close();
        resolve(accepted);
      }).listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ address: `127.0.0.1:${server.address().port}` })}\n`));
    });
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let bytes = 0;
    let frames = 0;
    socket.on('data', (chunk) => {
      bytes += chunk.length;
      frames++;
    });
    await new Promise((resolve) => socket.once('end', resolve));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    socket.end();
    process.stdout.write(`${JSON.stringify({ bytes, frames, seconds, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
    return;
  }
  const [host, port] = options.connect.split(':');
  const socket = net.connect(Number(port), host);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.setNoDelay(true);
  socket.resume();
  const frame = randomBytes(frameBytes);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let sent = 0; sent < total; sent += frameBytes) {
    if (!socket.write(total - sent >= frameBytes ? frame : frame.subarray(0, total - sent))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise((resolve) => socket.end(resolve));
  await new Promise((resolve) => socket.once('close', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ bytes: total, seconds, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
}

if (process.env[COUNT_ENV]) {
  countSockets(process.env[COUNT_ENV]);
} else if (process.argv[2] === '--role') {
  const { values: options } = parseArgs({ args: process.argv.slice(4),
    options: { secure: { type: 'string' }, bytes: { type: 'string' }, frame: { type: 'string' }, connect: { type: 'string' },
      session: { type: 'string' }, secret: { type: 'string' } } });
  await linkRole(process.argv[3], options);
} else {
  await benchmark();
}

async function benchmark() {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1024' },
      files: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '3' },
      only: { type: 'string', default: '1,2,3' },
      mib: { type: 'string', default: '4096' },
      frames: { type: 'string', default: '1024,256' },
      dir: { type: 'string' },
      json: { type: 'string' },
      phases: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
  });
  const only = new Set(values.only.split(',').map(Number));
  const size = Number(values.size) * MiB;
  const files = Number(values.files);
  const runs = Number(values.runs);
  const streamBytes = Number(values.mib) * MiB;
  const frameSizes = values.frames.split(',').map((kib) => Number(kib) * 1024);
  const dir = values.dir ?? path.join(os.tmpdir(), 'deltanode-lan-bench');
  const profileDir = values['cpu-prof'] !== undefined ? path.resolve(values['cpu-prof']) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  let profiles = 0;
  const nodeFlags = (name) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}-${++profiles}.cpuprofile`] : []);
  const loadBefore = os.loadavg();

  // Reads a tree so both tools find it in the page cache.
  const warm = (folder) => spawnSync('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 cat > /dev/null', 'warm', folder]);

  // A child process with its stdout gathered and its stderr lines timed from `since`.
  function start(name, command, args, since, env = process.env) {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const lines = [];
    let partial = '';
    const waiters = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      const at = Number(process.hrtime.bigint() - since) / 1e9;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const line of parts) {
        lines.push({ at: Number(at.toFixed(3)), line });
        for (const waiter of [...waiters]) waiter(line);
      }
    });
    const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    const stdout = () => Buffer.concat(out).toString('utf8');
    // The first stderr line matching `pattern` (its match), or a rejection when the process ends first.
    const line = (pattern) => new Promise((resolve, reject) => {
      const found = lines.find((entry) => pattern.test(entry.line));
      if (found) return resolve(pattern.exec(found.line));
      const waiter = (text) => {
        const match = pattern.exec(text);
        if (match) {
          waiters.splice(waiters.indexOf(waiter), 1);
          resolve(match);
        }
      };
      waiters.push(waiter);
      exited.then(({ code }) => reject(new Error(`${name} exited (${code}) before printing ${pattern}:\n${lines.map((entry) => entry.line).join('\n')}`)));
    });
    return { name, child, exited, stdout, lines, line };
  }
  const failed = (proc, result) => new Error(`${proc.name} failed (${result.code ?? result.signal}):\n${proc.lines.map((entry) => entry.line).join('\n')}`);

  // Case 1: one stream between two processes of this script.
  async function stream(secure, frameBytes) {
    const since = process.hrtime.bigint();
    const common = ['--secure', secure === 'raw' ? 'raw' : secure ? 'yes' : 'no', '--bytes', String(streamBytes), '--frame', String(frameBytes),
      '--session', randomBytes(16).toString('hex'), '--secret', randomBytes(24).toString('hex')];
    const receiver = start('receiver', process.execPath, [...nodeFlags('receiver'), self, '--role', 'receiver', ...common], since);
    const firstLine = () => new Promise((resolve, reject) => {
      let text = '';
      receiver.child.stdout.on('data', function onData(chunk) {
        text += chunk;
        if (text.includes('\n')) {
          receiver.child.stdout.off('data', onData);
          resolve(JSON.parse(text.slice(0, text.indexOf('\n'))));
        }
      });
      receiver.exited.then((result) => reject(failed(receiver, result)));
    });
    const { address } = await firstLine();
    const sender = start('sender', process.execPath, [...nodeFlags('sender'), self, '--role', 'sender', ...common, '--connect', address], since);
    const [sent, received] = await Promise.all([sender.exited.then((result) => {
      if (result.code !== 0 && receiver.child.exitCode === null) receiver.child.kill();
      return result;
    }), receiver.exited]);
    if (sent.code !== 0) throw failed(sender, sent);
    if (received.code !== 0) throw failed(receiver, received);
    const lastLine = (text) => JSON.parse(text.trim().split('\n').pop());
    const r = lastLine(receiver.stdout());
    const s = lastLine(sender.stdout());
    if (r.bytes !== streamBytes) throw new Error(`the receiver counted ${r.bytes} bytes of ${streamBytes}`);
    return { gbps: r.bytes / r.seconds / 1e9, receiver: r, sender: s };
  }

  let daemon = null;
  let daemonPort = 0;
  const modules = { big: path.join(dir, 'big-rsync'), small: path.join(dir, 'small-rsync') };
  async function startDaemon() {
    daemonPort = await new Promise((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address();
        probe.close(() => resolve(port));
      });
    });
    const config = path.join(dir, 'rsyncd.conf');
    const user = os.userInfo();
    writeFileSync(config, [`pid file = ${path.join(dir, 'rsyncd.pid')}`, `lock file = ${path.join(dir, 'rsyncd.lock')}`,
      `log file = ${path.join(dir, 'rsyncd.log')}`, 'use chroot = no', `uid = ${user.uid}`, `gid = ${user.gid}`, 'max connections = 4',
      ...Object.entries(modules).flatMap(([name, folder]) => [`[${name}]`, `  path = ${folder}`, '  read only = no']), ''].join('\n'));
    for (const folder of Object.values(modules)) mkdirSync(folder, { recursive: true });
    daemon = spawn('rsync', ['--daemon', '--no-detach', `--port=${daemonPort}`, '--address=127.0.0.1', `--config=${config}`], { stdio: 'ignore' });
    for (let tries = 0; ; tries++) {
      const up = await new Promise((resolve) => {
        const socket = net.connect(daemonPort, '127.0.0.1', () => { socket.destroy(); resolve(true); }).on('error', () => resolve(false));
      });
      if (up) break;
      if (tries > 100 || daemon.exitCode !== null) throw new Error(`the rsync daemon did not start (see ${path.join(dir, 'rsyncd.log')})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  function rsync(source, module, extra) {
    spawnSync('sync');
    const started = process.hrtime.bigint();
    const result = spawnSync('rsync', ['-a', ...extra, '--stats', `${source}/`, `rsync://127.0.0.1:${daemonPort}/${module}/`],
      { encoding: 'utf8', maxBuffer: 1 << 28 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) throw new Error(`rsync to the daemon failed (${result.status}): ${result.stderr}`);
    return { seconds, bytes: rsyncBytes(result.stdout) };
  }

  // Host (A=source, `sync --from A`) and one member (B=target), fresh state folders; the wall
  // time from starting the host until both exited, the member's TCP bytes, both stderr timelines.
  async function lanSync(source, target) {
    const hostState = path.join(dir, 'state-host');
    const memberState = path.join(dir, 'state-member');
    const counts = path.join(dir, 'socket-bytes.jsonl');
    rmSync(hostState, { recursive: true, force: true });
    rmSync(memberState, { recursive: true, force: true });
    rmSync(counts, { force: true });
    const env = { ...process.env, [COUNT_ENV]: counts };
    const preload = ['--import', pathToFileURL(self).href];
    spawnSync('sync');
    const since = process.hrtime.bigint();
    const host = start('host', process.execPath, [...preload, ...nodeFlags('host'), cli, 'host', '--listen', '127.0.0.1:0', '--accept-new', '--wait', '60',
      '--state', hostState, 'sync', ...(values.phases ? [] : ['--json']), '--no-trash', '--from', 'A', `A=${source}`], since, env);
    const hostExit = host.exited.then((result) => {
      if (result.code !== 0) throw failed(host, result);
    });
    const [, code] = await host.line(/join code: (\S+)/);
    const member = start('member', process.execPath, [...preload, ...nodeFlags('member'), cli, 'join', code, `B=${target}`,
      '--state', memberState], since, env);
    const memberExit = member.exited.then((result) => {
      if (result.code !== 0) throw failed(member, result);
    });
    await Promise.all([hostExit, memberExit]).catch((error) => {
      // One failed: the other would wait for it (the host up to --wait), so it goes too.
      for (const proc of [host, member]) if (proc.child.exitCode === null) proc.child.kill();
      throw error;
    });
    const seconds = Number(process.hrtime.bigint() - since) / 1e9;
    const sockets = readFileSync(counts, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const memberBytes = sockets.find((entry) => entry.argv[0] === 'join');
    const hostBytes = sockets.find((entry) => entry.argv[0] === 'host');
    if (!memberBytes || memberBytes.sockets !== 1) throw new Error(`the member's sockets were not counted: ${JSON.stringify(sockets)}`);
    if (hostBytes && (hostBytes.read !== memberBytes.written || hostBytes.written !== memberBytes.read)) {
      log(`  note: host and member count different bytes: ${JSON.stringify(sockets)}`);
    }
    const report = values.phases ? null : JSON.parse(host.stdout()).report;
    return { seconds, bytes: memberBytes.read + memberBytes.written, toMember: memberBytes.read, fromMember: memberBytes.written, report,
      timeline: [...host.lines.map((entry) => ({ ...entry, who: 'host' })), ...member.lines.map((entry) => ({ ...entry, who: 'member' }))]
        .sort((a, b) => a.at - b.at).map((entry) => `${entry.at.toFixed(3)} ${entry.who}: ${entry.line.replace(/(join code: )\S+/, '$1(left out)')}`) };
  }

  const rows = [];
  const details = {};
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`load average before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);

  if (only.has(1)) {
    log(`1. one encrypted stream of ${values.mib} MiB beside the bare TCP link`);
    details.stream = {};
    for (const frameBytes of frameSizes) {
      const ours = [];
      const theirs = [];
      const ceiling = [];
      const kept = { secure: [], plain: [], raw: [] };
      for (let i = 0; i < runs; i++) {
        const secure = await stream(true, frameBytes);
        const plain = await stream(false, frameBytes);
        const raw = await stream('raw', frameBytes);
        log(`  ${frameBytes / 1024} KiB frames, run ${i + 1}: encrypted ${secure.gbps.toFixed(2)} GB/s, bare TcpLink ${plain.gbps.toFixed(2)} GB/s, ` +
          `node:net socket ${raw.gbps.toFixed(2)} GB/s`);
        ours.push(secure.gbps);
        theirs.push(plain.gbps);
        ceiling.push(raw.gbps);
        kept.secure.push(secure);
        kept.plain.push(plain);
        kept.raw.push(raw);
      }
      details.stream[`${frameBytes / 1024} KiB`] = kept;
      rows.push({ measure: 'encrypted link, one stream', size: `${values.mib} MiB, ${frameBytes / 1024} KiB frames`, ours: median(ours),
        reference: 'bare TcpLink', theirs: median(theirs), unit: 'GB/s', target: '>= 1 GB/s', pass: median(ours) >= 1 });
      rows.push({ measure: '  bare TcpLink beside a node:net socket', size: `${values.mib} MiB, ${frameBytes / 1024} KiB writes`, ours: median(theirs),
        reference: 'node:net, no framing', theirs: median(ceiling), unit: 'GB/s', target: '(context)', pass: null });
    }
  }

  if (only.has(2) || only.has(3)) await startDaemon();

  try {
    if (only.has(2)) {
      log(`2. a ${values.size} MiB file with 100 scattered edits, host -> member beside rsync to a daemon`);
      const source = path.join(dir, 'big-src');
      const old = path.join(dir, 'big-old');
      const target = path.join(dir, 'big-dst');
      fresh(source, old);
      bigFile(path.join(source, 'data.bin'), size, 1, 100);
      bigFile(path.join(old, 'data.bin'), size, 1, 0);
      const renew = (folder) => {
        fresh(folder);
        const copied = spawnSync('cp', ['--reflink=auto', path.join(old, 'data.bin'), path.join(folder, 'data.bin')]);
        if (copied.status !== 0) copyFileSync(path.join(old, 'data.bin'), path.join(folder, 'data.bin'));
      };
      const ours = [];
      const theirs = [];
      const kept = [];
      let ourBytes = 0;
      let theirBytes = 0;
      for (let i = 0; i < runs; i++) {
        renew(target);
        warm(source);
        warm(target);
        const result = await lanSync(source, target);
        ours.push(result.seconds);
        ourBytes = result.bytes;
        kept.push(result);
        renew(modules.big);
        warm(source);
        warm(modules.big);
        const reference = rsync(source, 'big', ['--no-whole-file']);
        theirs.push(reference.seconds);
        theirBytes = reference.bytes;
        log(`  run ${i + 1}: deltanode ${result.seconds.toFixed(2)} s, ${result.bytes} B; rsync ${reference.seconds.toFixed(2)} s, ${reference.bytes} B`);
      }
      details.big = { runs: kept, rsync: theirs };
      rows.push({ measure: 'host -> member, 100 edits: time', size: `${values.size} MiB`, ours: median(ours), reference: 'rsync daemon --no-whole-file',
        theirs: median(theirs), unit: 's', target: '<= 1.0x rsync', pass: median(ours) <= median(theirs) });
      rows.push({ measure: 'host -> member, 100 edits: bytes on the wire', size: `${values.size} MiB`, ours: ourBytes, reference: 'rsync sent+received',
        theirs: theirBytes, unit: 'B', target: '<= 1.1x rsync', pass: ourBytes <= 1.1 * theirBytes });
      for (const folder of [source, old, target]) rmSync(folder, { recursive: true, force: true });
      fresh(modules.big);
    }

    if (only.has(3)) {
      log(`3. ${files} small files, first copy, host -> member beside rsync to a daemon`);
      const source = path.join(dir, 'small-src');
      const target = path.join(dir, 'small-dst');
      fresh(source);
      smallFiles(source, files);
      const total = Number(spawnSync('du', ['-sb', '--apparent-size', source], { encoding: 'utf8' }).stdout.split('\t')[0]);
      const ours = [];
      const theirs = [];
      const kept = [];
      const ourBytes = [];
      const theirBytes = [];
      // A new, empty target folder for every run, everything removed only at the end: on ext4
      // without a journal (this machine's), creating files soon after many were deleted is slow
      // (the inode allocator passes over inodes freed in the last minutes), which would hit
      // whichever tool runs right after a removal of the previous copy.
      fresh(target, modules.small);
      for (let i = 0; i < runs; i++) {
        const ourTarget = path.join(target, `run-${i}`);
        const theirTarget = path.join(modules.small, `run-${i}`);
        mkdirSync(ourTarget);
        mkdirSync(theirTarget);
        // Who goes first alternates, so what an earlier removal still costs falls on both alike.
        let result;
        let reference;
        const copies = [async () => {
          warm(source);
          result = await lanSync(source, ourTarget);
        }, async () => {
          warm(source);
          reference = rsync(source, `small/run-${i}`, []);
        }];
        for (const copy of i % 2 === 0 ? copies : copies.reverse()) await copy();
        ours.push(result.seconds);
        ourBytes.push(result.bytes);
        kept.push(result);
        theirs.push(reference.seconds);
        theirBytes.push(reference.bytes);
        log(`  run ${i + 1}: deltanode ${result.seconds.toFixed(2)} s, ${result.bytes} B; rsync ${reference.seconds.toFixed(2)} s, ${reference.bytes} B`);
      }
      details.small = { sourceBytes: total, runs: kept, rsync: theirs };
      const mb = `${(total / 1e6).toFixed(0)} MB`;
      rows.push({ measure: 'host -> member, small files: time', size: `${files} files, ${mb}`, ours: median(ours), reference: 'rsync daemon -a',
        theirs: median(theirs), unit: 's', target: '<= 1.0x rsync', pass: median(ours) <= median(theirs) });
      rows.push({ measure: 'host -> member, small files: bytes on the wire', size: `${files} files, ${mb}`, ours: median(ourBytes),
        reference: 'rsync sent+received', theirs: median(theirBytes), unit: 'B', target: '(no target)', pass: null });
      for (const folder of [source, target, modules.small]) rmSync(folder, { recursive: true, force: true });
    }
  } finally {
    daemon?.kill();
  }

  const loadAfter = os.loadavg();
  log(`load average after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`);
  const show = (value, unit) => (value === null ? '-' : unit === 's' ? `${value.toFixed(2)} s` : unit === 'GB/s' ? `${value.toFixed(2)} GB/s` : `${value} ${unit}`);
  const lines = [`deltanode LAN benchmark (loopback): median of ${runs} runs, ${os.cpus().length} cores (shared machine), ` +
      `load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after`,
    `${pad('measure', 48)}${pad('size', 26)}${pad('ours', 16)}${pad('reference', 44)}${pad('ratio', 8)}${pad('target', 16)}pass`];
  for (const r of rows) {
    const ratio = r.theirs ? `${(r.ours / r.theirs).toFixed(2)}x` : '';
    lines.push(`${pad(r.measure, 48)}${pad(r.size, 26)}${pad(show(r.ours, r.unit), 16)}${pad(`${r.reference} ${show(r.theirs, r.unit)}`, 44)}` +
      `${pad(ratio, 8)}${pad(r.target, 16)}${r.pass === null ? '-' : r.pass ? 'yes' : 'NO'}`);
  }
  const jsonPath = writeResults('lan', values.json, { size, files, runs, streamBytes, frameSizes, cores: os.cpus().length,
    loadAverage: { before: loadBefore, after: loadAfter }, rows, details });
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${lines.join('\n')}\njson: ${jsonPath}\n`);
}
