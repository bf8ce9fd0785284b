#!/usr/bin/env node
// Sync benchmark: deltanode sync (mirror) beside rsync on the same generated local folders, in
// one run. Prints medians with each target of the Session work and whether it is met, and writes
// the same as JSON.
//
//   node bench/sync.js [--size MiB] [--files N] [--runs N] [--dir DIR] [--json FILE]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bigFile, cliPath as cli, fresh, median, pad, rsyncBytes, smallFiles, writeResults } from './common.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1024' },
    files: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string' },
    json: { type: 'string' },
    // Which cases to run (1: large file; 2: small files and two targets; 4: kill -9 and resume).
    cases: { type: 'string', default: '1,2,4' },
  },
});
const cases = new Set(values.cases.split(',').map(Number));
const size = Number(values.size) * 2 ** 20;
const files = Number(values.files);
const runs = Number(values.runs);
const dir = values.dir ?? path.join(os.tmpdir(), 'deltanode-sync-bench');
const log = (text) => process.stderr.write(`${text}\n`);




function run(command, args) {
  spawnSync('sync');
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return { seconds, stdout: result.stdout };
}
const deltanode = (...args) => run(process.execPath, [cli, ...args]);

const rows = [];
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const state = path.join(dir, 'state');

if (cases.has(1)) log(`1. a ${values.size} MiB file with 100 scattered edits`);
if (cases.has(1)) {
  const source = path.join(dir, 'big-src');
  const target = path.join(dir, 'big-dst');
  fresh(source);
  bigFile(path.join(source, 'data.bin'), size, 1, 100);
  const ours = [];
  const theirs = [];
  let ourBytes = 0;
  let theirBytes = 0;
  for (let i = 0; i < runs; i++) {
    fresh(target);
    bigFile(path.join(target, 'data.bin'), size, 1, 0);
    rmSync(state, { recursive: true, force: true });
    // Both sides' digests are part of our job (the inventory), as rsync's block checksums are of its.
    const result = deltanode('sync', '--json', '--no-trash', '--state', state, source, target);
    ours.push(result.seconds);
    const report = JSON.parse(result.stdout).report;
    ourBytes = report.bytesByMethod.delta + report.bytesByMethod.whole;
    fresh(target);
    bigFile(path.join(target, 'data.bin'), size, 1, 0);
    const rsync = run('rsync', ['-a', '--no-whole-file', '--stats', `${source}/`, `${target}/`]);
    theirs.push(rsync.seconds);
    theirBytes = rsyncBytes(rsync.stdout);
  }
  rows.push({ operation: `mirror ${values.size} MiB, 100 edits: time`, ours: median(ours), reference: 'rsync -a --no-whole-file', theirs: median(theirs),
    unit: 's', target: '<= 1.0x rsync', pass: median(ours) <= median(theirs), samples: { ours, theirs } });
  rows.push({ operation: `mirror ${values.size} MiB, 100 edits: bytes moved`, ours: ourBytes, reference: 'rsync sent+received', theirs: theirBytes,
    unit: 'B', target: '<= 1.1x rsync', pass: ourBytes <= 1.1 * theirBytes });
  rmSync(source, { recursive: true, force: true });
  rmSync(target, { recursive: true, force: true });
}

if (cases.has(2)) log(`2. ${files} small files: first copy, then nothing changed`);
if (cases.has(2)) {
  const source = path.join(dir, 'small-src');
  fresh(source);
  smallFiles(source, files);
  const first = { ours: [], theirs: [] };
  const second = { ours: [], theirs: [] };
  // New target folders every run, removed only after the case: creating files on this machine's
  // ext4 soon after many were deleted is slow (see bench/lan.js), which would hit whichever tool
  // runs right after a removal.
  const ourTargets = path.join(dir, 'small-ours');
  const theirTargets = path.join(dir, 'small-rsync');
  fresh(ourTargets, theirTargets);
  for (let i = 0; i < runs; i++) {
    const ourTarget = path.join(ourTargets, `run-${i}`);
    const theirTarget = path.join(theirTargets, `run-${i}`);
    fresh(ourTarget, theirTarget);
    rmSync(state, { recursive: true, force: true });
    // Who goes first alternates, so what an earlier removal still costs falls on both alike.
    const ourFirst = () => first.ours.push(deltanode('sync', '--no-trash', '--state', state, source, ourTarget).seconds);
    const theirFirst = () => first.theirs.push(run('rsync', ['-a', `${source}/`, `${theirTarget}/`]).seconds);
    for (const copy of i % 2 === 0 ? [ourFirst, theirFirst] : [theirFirst, ourFirst]) copy();
    log(`  run ${i + 1}: first copy deltanode ${first.ours[i].toFixed(2)} s, rsync ${first.theirs[i].toFixed(2)} s`);
    second.ours.push(deltanode('sync', '--no-trash', '--state', state, source, ourTarget).seconds);
    second.theirs.push(run('rsync', ['-a', `${source}/`, `${theirTarget}/`]).seconds);
  }
  rows.push({ operation: `${files} small files, first copy`, ours: median(first.ours), reference: 'rsync -a', theirs: median(first.theirs),
    unit: 's', target: '<= 1.0x rsync', pass: median(first.ours) <= median(first.theirs), samples: first });
  rows.push({ operation: `${files} small files, nothing changed`, ours: median(second.ours), reference: 'rsync -a', theirs: median(second.theirs),
    unit: 's', target: '<= 1.0x rsync', pass: median(second.ours) <= median(second.theirs), samples: second });

  log('3. mirror to two targets at once');
  const targets = [path.join(dir, 'two-1'), path.join(dir, 'two-2')];
  fresh(...targets);
  rmSync(state, { recursive: true, force: true });
  const report = JSON.parse(deltanode('sync', '--json', '--no-trash', '--state', state, source, ...targets).stdout).report;
  const total = Number(spawnSync('du', ['-sb', '--apparent-size', source], { encoding: 'utf8' }).stdout.split('\t')[0]);
  rows.push({ operation: `mirror to 2 targets: source bytes read`, ours: report.bytesRead, reference: 'source size', theirs: total,
    unit: 'B', target: 'read once (1.0x)', pass: report.bytesRead <= total });
  for (const folder of [source, ...targets, path.join(dir, 'small-ours'), path.join(dir, 'small-rsync')]) rmSync(folder, { recursive: true, force: true });
}

if (cases.has(4)) log('4. kill -9 at half of a transfer, then the rerun');
if (cases.has(4)) {
  const source = path.join(dir, 'resume-src');
  const target = path.join(dir, 'resume-dst');
  fresh(source, target);
  bigFile(path.join(source, 'data.bin'), size, 2, 0);
  rmSync(state, { recursive: true, force: true });
  const child = spawn(process.execPath, [cli, 'sync', '--no-trash', '--state', state, source, target], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // The partial content is the temporary file beside the target: kill once it holds half.
  let killedAt = null;
  while (killedAt === null && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const name of readdirSync(target)) {
      if (!name.endsWith('.deltanode-tmp')) continue;
      const written = statSync(path.join(target, name), { throwIfNoEntry: false })?.size ?? 0;
      if (written >= size / 2) {
        child.kill('SIGKILL');
        killedAt = written;
      }
    }
  }
  await exited;
  const rerun = JSON.parse(deltanode('sync', '--json', '--no-trash', '--state', state, source, target).stdout).report;
  const moved = rerun.bytesByMethod.whole + rerun.bytesByMethod.delta;
  rows.push({ operation: 'kill -9 at half of a transfer: rerun moves', ours: moved, reference: 'file size', theirs: size, unit: 'B',
    target: '<= 55% of the file', pass: killedAt !== null && moved <= 0.55 * size,
    ...(killedAt === null ? { note: 'the first run ended before half was written: not measured' } : {}) });
  rmSync(source, { recursive: true, force: true });
  rmSync(target, { recursive: true, force: true });
}

const show = (value, unit) => (value === null ? '-' : unit === 's' ? `${value.toFixed(2)} s` : `${value} ${unit}`);
const lines = [`deltanode sync benchmark: ${values.size} MiB file, ${files} small files, median of ${runs} runs, ${os.cpus().length} cores`,
  `${pad('case', 46)}${pad('ours', 18)}${pad('reference', 40)}${pad('ratio', 8)}${pad('target', 20)}pass`];
for (const r of rows) {
  const reference = r.note ?? (r.theirs !== undefined ? `${r.reference} ${show(r.theirs, r.unit)}` : '');
  const ratio = r.theirs ? `${(r.ours / r.theirs).toFixed(2)}x` : '';
  lines.push(`${pad(r.operation, 46)}${pad(show(r.ours, r.unit), 18)}${pad(reference, 40)}${pad(ratio, 8)}${pad(r.target, 20)}${r.pass ? 'yes' : 'NO'}`);
}
const jsonPath = writeResults('sync', values.json, { size, files, runs, rows });
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${lines.join('\n')}\njson: ${jsonPath}\n`);
