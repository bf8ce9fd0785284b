#!/usr/bin/env node
// Engine benchmark: deltanode beside rdiff (librsync), xxhsum and cp on the same generated,
// page-cached files, in one run. Prints a table of medians with each target and whether it is
// met, and writes the same as JSON (bench/results/) so runs can be compared over time.
//
//   node bench/engine.js [--size MiB] [--runs N] [--big GiB] [--dir DIR] [--json FILE] [--quick]
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync,
  ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cliPath as cli, pad, projectRoot as root, writeResults } from './common.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '5' },
    big: { type: 'string', default: '8' },
    dir: { type: 'string' },
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const MiB = 1 << 20;
const size = Number(values.size) * MiB;
const runs = Number(values.runs);
const bigSize = Number(values.big) * 1024 * MiB;
const smallSize = Math.min(size, 256 * MiB);
const dir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), 'deltanode-bench-'));
const file = (name) => path.join(dir, name);
const log = (text) => process.stderr.write(`${text}\n`);

// Seeded data at memory speed: an AES-CTR keystream keyed by the seed.
function writeSeeded(name, seed, bytes, edit) {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const fd = openSync(file(name), 'w');
  const zero = Buffer.alloc(4 * MiB);
  for (let at = 0; at < bytes; at += zero.length) {
    const chunk = cipher.update(zero.subarray(0, Math.min(zero.length, bytes - at)));
    writeSync(fd, edit ? edit(chunk, at) : chunk);
  }
  closeSync(fd);
}
function writeFilled(name, byte, bytes) {
  const fd = openSync(file(name), 'w');
  const chunk = Buffer.alloc(4 * MiB, byte);
  for (let at = 0; at < bytes; at += chunk.length) writeSync(fd, chunk.subarray(0, Math.min(chunk.length, bytes - at)));
  closeSync(fd);
}

const editPositions = Array.from({ length: 100 }, (_, i) => Math.floor(((i + 0.5) / 100) * size) - 32);
function scatterEdits(chunk, at) {
  for (const position of editPositions) {
    if (position >= at && position < at + chunk.length) chunk.fill(0x5a, position - at, Math.min(position - at + 64, chunk.length));
  }
  return chunk;
}
// One byte inserted at offset 1000: everything after it shifts.
function insertByte(chunk, at) {
  return at === 0 ? Buffer.concat([chunk.subarray(0, 1000), Buffer.from([0x42]), chunk.subarray(1000)]) : chunk;
}

function measure(command, args, { rss = false, cpus } = {}) {
  const argv = rss ? ['-f', '%M', command, ...args] : args;
  const exe = rss ? '/usr/bin/time' : command;
  const full = cpus ? ['taskset', ['-c', cpus, exe, ...argv]] : [exe, argv];
  const started = process.hrtime.bigint();
  const result = spawnSync(full[0], full[1], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const maxRssKiB = rss ? Number(result.stderr.trim().split('\n').at(-1)) : undefined;
  return { seconds, maxRssKiB };
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const node = process.execPath;
const deltanode = (command, ...args) => [node, [cli, command, '-f', ...args]];
const rdiff = (...args) => ['rdiff', ['-f', ...args]];

// Ours and the reference alternate, so machine noise hits both alike. Returns median seconds.
// `settle` runs before every measurement, untimed.
function pair(oursCommand, theirCommand, { count = runs, settle } = {}) {
  const a = [];
  const b = [];
  for (let i = 0; i < count; i++) {
    settle?.();
    a.push(measure(...oursCommand).seconds);
    settle?.();
    b.push(measure(...theirCommand).seconds);
  }
  return { ours: median(a), theirs: median(b) };
}

// Each writer starts without the previous run's 1 GiB output: removing it drops its dirty pages
// instead of leaving them to writeback, which throttles the next writer. (Calling sync here made
// it worse: single runs of cp and patch then varied from 0.25 s to 2.7 s.) Writes into a full
// page cache still vary, hence more runs for these rows.
function settleWrites() {
  rmSync(file('o.out'), { force: true });
  rmSync(file('cp.out'), { force: true });
}
const writeRuns = Math.max(runs, 9);

// Engine time of one library call in a fresh process pinned to `cpus`, node's own start-up
// excluded (a fixed 50-60 ms on one thread, whatever the engine does). `call` is the source of
// an expression over the package's exports, e.g. "signatureFile(a, b, { overwrite: true })".
function engineInProcess(call, cpus = '0,1') {
  const script = `const api = await import(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
const started = performance.now();
await api.${call};
process.stdout.write(String((performance.now() - started) / 1000));`;
  const result = spawnSync('taskset', ['-c', cpus, node, '--input-type=module', '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`in-process ${call} failed: ${result.stderr}`);
  return Number(result.stdout);
}
const signatureInProcess = (cpus) =>
  engineInProcess(`signatureFile(${JSON.stringify(file('basis'))}, ${JSON.stringify(file('p.sig'))}, { overwrite: true })`, cpus);

const rows = [];
function row(operation, bytes, reference, timing, target, pass, extra = {}) {
  rows.push({ operation, bytes, oursSeconds: timing.ours, reference, referenceSeconds: timing.theirs,
    oursMBps: bytes / timing.ours / 1e6, ratio: timing.theirs / timing.ours, target, pass, ...extra });
}

mkdirSync(dir, { recursive: true });
log(`generating fixtures in ${dir}`);
writeSeeded('basis', 1, size);
writeSeeded('edited', 1, size, scatterEdits);
writeSeeded('inserted', 1, size, insertByte);
writeSeeded('unrelated', 2, smallSize);
writeFilled('zeros', 0, smallSize);
writeFilled('repeated', 0xab, smallSize);
for (const name of ['basis', 'edited', 'inserted', 'unrelated', 'zeros', 'repeated']) readFileSync(file(name));
// The fixtures stay cached but clean: 4 GiB of dirty pages would throttle every writer measured below.
spawnSync('sync');

log('signatures');
const sigNative = pair(deltanode('signature', file('basis'), file('n.sig')), rdiff('signature', file('basis'), file('r.sig')));
row('signature native', size, 'rdiff', sigNative, '>= 8x rdiff', sigNative.theirs / sigNative.ours >= 8);
const sigXxh = pair(deltanode('signature', file('basis'), file('n.sig')), ['xxhsum', ['-H2', file('basis')]]);
row('signature native (command)', size, 'xxhsum -H2', sigXxh, '<= 1.5x xxhsum time', sigXxh.ours <= 1.5 * sigXxh.theirs);
{
  const engine = [];
  const hashing = [];
  for (let i = 0; i < runs; i++) {
    engine.push(signatureInProcess('0,1'));
    hashing.push(measure('xxhsum', ['-H2', file('basis')]).seconds);
  }
  const timing = { ours: median(engine), theirs: median(hashing) };
  row('signature native (engine, in process)', size, 'xxhsum -H2', timing, '<= 1.5x xxhsum time',
    timing.ours <= 1.5 * timing.theirs);
}
const sigRs = pair(deltanode('signature', '--format', 'librsync', file('basis'), file('l.sig')),
  rdiff('signature', file('basis'), file('r.sig')));
const identical = readFileSync(file('l.sig')).equals(readFileSync(file('r.sig')));
row('signature librsync', size, 'rdiff', sigRs, '>= 2x rdiff, identical bytes', sigRs.theirs / sigRs.ours >= 2 && identical,
  { identical });

log('deltas');
const deltaCases = [
  ['delta native, 100 edits', 'edited', 'n.sig', size],
  ['delta native, 1-byte insertion', 'inserted', 'n.sig', size],
  ['delta librsync, 100 edits', 'edited', 'l.sig', size],
];
for (const [name, newFile, sig, bytes] of deltaCases) {
  const timing = pair(deltanode('delta', file(sig), file(newFile), file('o.delta')),
    rdiff('delta', file('r.sig'), file(newFile), file('r.delta')));
  const ourSize = statSync(file('o.delta')).size;
  const theirSize = statSync(file('r.delta')).size;
  row(name, bytes, 'rdiff', timing, '>= 8x rdiff', timing.theirs / timing.ours >= 8,
    { deltaBytes: ourSize, referenceDeltaBytes: theirSize });
}
measure(...deltanode('signature', '--format', 'librsync', file('unrelated'), file('u.sig')));
measure(...rdiff('signature', file('unrelated'), file('ru.sig')));
const unrelated = pair(deltanode('delta', file('l.sig'), file('unrelated'), file('o.delta')),
  rdiff('delta', file('r.sig'), file('unrelated'), file('r.delta')));
row('delta librsync, unrelated data', smallSize, 'rdiff', unrelated, '>= 8x rdiff', unrelated.theirs / unrelated.ours >= 8);
const unrelatedNative = pair(deltanode('delta', file('n.sig'), file('unrelated'), file('o.delta')),
  rdiff('delta', file('r.sig'), file('unrelated'), file('r.delta')));
row('delta native, unrelated data', smallSize, 'rdiff', unrelatedNative, '>= 8x rdiff',
  unrelatedNative.theirs / unrelatedNative.ours >= 8);
for (const basis of ['zeros', 'repeated']) {
  measure(...deltanode('signature', '--format', 'librsync', file(basis), file(`${basis}.sig`)));
  const timing = pair(deltanode('delta', file(`${basis}.sig`), file('unrelated'), file('o.delta')),
    deltanode('delta', file('l.sig'), file('unrelated'), file('o2.delta')));
  rows.push({ operation: `delta, basis ${basis === 'zeros' ? 'all zeros' : 'one repeated byte'}`, bytes: smallSize,
    oursSeconds: timing.ours, reference: 'our unrelated-data delta', referenceSeconds: timing.theirs,
    oursMBps: smallSize / timing.ours / 1e6, ratio: timing.theirs / timing.ours, target: '<= 2x unrelated time',
    pass: timing.ours <= 2 * timing.theirs });
}
measure(...deltanode('delta', file('l.sig'), file('edited'), file('l.delta')));
measure(...rdiff('delta', file('r.sig'), file('edited'), file('r.delta')));
const ourDelta = statSync(file('l.delta')).size;
const theirDelta = statSync(file('r.delta')).size;
rows.push({ operation: 'delta size, 100 edits, same block', bytes: size, oursBytes: ourDelta, referenceBytes: theirDelta,
  reference: 'rdiff', target: "<= rdiff's size", pass: ourDelta <= theirDelta });

log('patch');
measure(...deltanode('delta', file('n.sig'), file('edited'), file('n.delta')));
const patchTiming = pair(deltanode('patch', file('basis'), file('n.delta'), file('o.out')),
  ['cp', [file('edited'), file('cp.out')]], { settle: settleWrites, count: writeRuns });
row('patch native, 100 edits (command)', size, 'cp of the new file', patchTiming, '>= 0.9x cp throughput',
  patchTiming.theirs / patchTiming.ours >= 0.9);
// The same patch timed inside the process: what the engine writes per second, without node's start.
{
  const engine = [];
  const copy = [];
  const call = `patchFile(${JSON.stringify(file('basis'))}, ${JSON.stringify(file('n.delta'))}, ${JSON.stringify(file('o.out'))})`;
  for (let i = 0; i < writeRuns; i++) {
    settleWrites();
    engine.push(engineInProcess(call));
    settleWrites();
    copy.push(measure('cp', [file('edited'), file('cp.out')]).seconds);
  }
  const timing = { ours: median(engine), theirs: median(copy) };
  row('patch native, 100 edits (engine, in process)', size, 'cp of the new file', timing, '>= 0.9x cp throughput',
    timing.theirs / timing.ours >= 0.9);
}
rmSync(file('o.out'), { force: true });
rmSync(file('cp.out'), { force: true });

log('two cores against one');
const twoCores = [];
const oneCore = [];
for (let i = 0; i < runs; i++) {
  twoCores.push(signatureInProcess('0,1'));
  oneCore.push(signatureInProcess('0'));
}
const scaling = { ours: median(twoCores), theirs: median(oneCore) };
row('signature native, 2 cores vs 1 (in process)', size, 'the same on 1 core', scaling, '>= 1.6x',
  scaling.theirs / scaling.ours >= 1.6);

if (!values.quick) {
  log(`peak memory on a ${values.big} GiB sparse file`);
  const fd = openSync(file('big'), 'w');
  ftruncateSync(fd, bigSize);
  writeSync(fd, Buffer.alloc(MiB, 1), 0, MiB, bigSize - MiB);
  closeSync(fd);
  const fdNew = openSync(file('big2'), 'w');
  ftruncateSync(fdNew, bigSize);
  writeSync(fdNew, Buffer.alloc(MiB, 2), 0, MiB, bigSize / 2);
  closeSync(fdNew);
  const nodeBaseline = measure(node, ['-e', '0'], { rss: true }).maxRssKiB;
  const sigRss = measure(...deltanode('signature', file('big'), file('big.sig')), { rss: true }).maxRssKiB;
  const bigSig = statSync(file('big.sig')).size;
  const deltaRss = measure(...deltanode('delta', file('big.sig'), file('big2'), file('big.delta')), { rss: true }).maxRssKiB;
  const patchRss = measure(...deltanode('patch', file('big'), file('big.delta'), file('big.out')), { rss: true }).maxRssKiB;
  // 16 GiB of sparse files fill the page cache with zero pages when read: drop them.
  for (const name of ['big', 'big2', 'big.out', 'big.delta']) rmSync(file(name), { force: true });
  const limit = 64 * 1024;
  for (const [operation, kib, target, pass] of [
    ['peak RSS, signature', sigRss, '<= 64 MB', sigRss <= limit],
    ['peak RSS, delta', deltaRss, `<= 64 MB + 2x signature (${(bigSig / MiB).toFixed(1)} MiB)`, deltaRss <= limit + (2 * bigSig) / 1024],
    ['peak RSS, patch', patchRss, '<= 64 MB', patchRss <= limit],
  ]) {
    rows.push({ operation: `${operation}, ${values.big} GiB`, bytes: bigSize, maxRssKiB: kib, nodeBaselineKiB: nodeBaseline,
      reference: `node alone: ${(nodeBaseline / 1024).toFixed(0)} MiB`, target, pass });
  }
}

log('event loop delay');
{
  const { signatureFile, deltaFile } = await import('../dist/index.js');
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await Promise.all([
    signatureFile(file('basis'), file('el.sig'), { overwrite: true }),
    signatureFile(file('edited'), file('el2.sig'), { overwrite: true }),
  ]);
  await deltaFile(file('n.sig'), file('edited'), file('el.delta'), { overwrite: true });
  histogram.disable();
  const p99 = histogram.percentile(99) / 1e6;
  rows.push({ operation: 'event loop delay p99, 1 GiB signature + delta', bytes: size, p99Milliseconds: p99,
    target: '<= 10 ms', pass: p99 <= 10 });
}

const fmt = (r) => {
  if (r.maxRssKiB !== undefined) return [`${(r.maxRssKiB / 1024).toFixed(1)} MiB`, r.reference, ''];
  if (r.p99Milliseconds !== undefined) return [`${r.p99Milliseconds.toFixed(2)} ms`, '', ''];
  if (r.oursBytes !== undefined) return [`${r.oursBytes} B`, `rdiff ${r.referenceBytes} B`, ''];
  return [`${r.oursSeconds.toFixed(3)} s ${r.oursMBps.toFixed(0)} MB/s`, `${r.reference} ${r.referenceSeconds.toFixed(3)} s`,
    `${r.ratio.toFixed(2)}x`];
};
// The widest vectors the engine's kernels can use here (its results depend on them: the rolling
// scan, the hashes); read from the kernel's CPU flags where there are any.
function vectorLevel() {
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    return 'unknown';
  }
  const has = (flag) => flags.includes(` ${flag}`);
  return has('avx512f') && has('avx512bw') && has('avx512vl') ? 'AVX-512' : has('avx2') ? 'AVX2' : 'no AVX2';
}
const vectors = vectorLevel();
const header = `deltanode engine benchmark: ${values.size} MiB (unrelated/degenerate ${smallSize / MiB} MiB), ` +
  `median of ${runs} runs (writes: ${writeRuns}), ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, ${vectors}`;
const lines = [header, `${pad('operation', 48)}${pad('ours', 24)}${pad('reference', 34)}${pad('ratio', 9)}${pad('target', 36)}pass`];
for (const r of rows) {
  const [a, b, c] = fmt(r);
  lines.push(`${pad(r.operation, 48)}${pad(a, 24)}${pad(b, 34)}${pad(c, 9)}${pad(r.target, 36)}${r.pass ? 'yes' : 'NO'}`);
}
console.log(lines.join('\n'));
const jsonPath = writeResults('engine', values.json, { date: new Date().toISOString(), sizeBytes: size, runs, rows,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, vectors } });
console.log(`json: ${jsonPath}`);
if (!values.dir) rmSync(dir, { recursive: true, force: true });
