#!/usr/bin/env node
// Inventory and comparison benchmark: deltanode compare / inventory beside rsync's dry runs on
// the same generated trees, in one run. Prints medians with each target of the DataNode work and
// whether it is met, and writes the same as JSON.
//
//   node bench/inventory.js [--files N] [--runs N] [--rss 250000,500000,1000000] [--dir DIR] [--json FILE]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cliPath as cli, median, pad, projectRoot as root, writeResults } from './common.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    rss: { type: 'string', default: '' },
    dir: { type: 'string' },
    json: { type: 'string' },
  },
});
const files = Number(values.files);
const runs = Number(values.runs);
const dir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), 'deltanode-inventory-bench-'));
const log = (text) => process.stderr.write(`${text}\n`);

// Seeded sizes from 100 B to 4 KB, 100 files per folder, folders 2 levels deep.
function generate(tree, count, seed) {
  let state = seed >>> 0 || 1;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  const block = Buffer.alloc(4096);
  for (let i = 0; i < count; i++) {
    if (i % 100 === 0) mkdirSync(path.join(tree, `d${Math.floor(i / 10000)}`, `e${Math.floor(i / 100) % 100}`), { recursive: true });
    const size = 100 + (next() % 3997);
    for (let j = 0; j < size; j += 4) block.writeUInt32LE(next(), j);
    writeFileSync(path.join(tree, `d${Math.floor(i / 10000)}`, `e${Math.floor(i / 100) % 100}`, `f${i}.bin`), block.subarray(0, size));
  }
}

function time(command, args, { rss = false } = {}) {
  const argv = rss ? ['-f', '%M', command, ...args] : args;
  const started = process.hrtime.bigint();
  const result = spawnSync(rss ? '/usr/bin/time' : command, argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 && result.status !== 1) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return { seconds, maxRssKiB: rss ? Number(result.stderr.trim().split('\n').at(-1)) : undefined };
}
const dropCaches = () => spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });

const rows = [];
const a = path.join(dir, 'a');
const b = path.join(dir, 'b');
log(`generating 2 x ${files} files in ${dir}`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(a, { recursive: true });
generate(a, files, 7);
spawnSync('cp', ['-a', a, b]);
const state = path.join(dir, 'state');
const deltanode = (...args) => [process.execPath, [cli, ...args]];

log('cold compare, full hashing');
{
  const ours = [];
  const theirs = [];
  for (let i = 0; i < runs; i++) {
    rmSync(state, { recursive: true, force: true });
    dropCaches();
    ours.push(time(...deltanode('compare', '--hash', 'full', '--state', state, a, b)).seconds);
    dropCaches();
    theirs.push(time('rsync', ['-anc', '--delete', `${a}/`, `${b}/`]).seconds);
  }
  rows.push({ operation: `compare 2 x ${files} files, cold, full`, ours: median(ours), reference: 'rsync -anc --delete', theirs: median(theirs),
    target: '<= 1.0x rsync', pass: median(ours) <= median(theirs) });
}

log('warm compare, quick');
{
  time(...deltanode('compare', '--state', state, a, b));
  const ours = [];
  const theirs = [];
  for (let i = 0; i < runs; i++) {
    ours.push(time(...deltanode('compare', '--state', state, a, b)).seconds);
    theirs.push(time('rsync', ['-an', '--delete', `${a}/`, `${b}/`]).seconds);
  }
  rows.push({ operation: `compare 2 x ${files} files, warm cache, quick`, ours: median(ours), reference: 'rsync -an --delete', theirs: median(theirs),
    target: '<= 1.0x rsync', pass: median(ours) <= median(theirs) });
}

log('inventory rate, warm cache');
{
  const script = `const { LocalDataNode } = await import(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
const node = new LocalDataNode({ name: 'bench', sources: [{ alias: 'a', path: ${JSON.stringify(a)} }], stateFolder: ${JSON.stringify(path.join(state, 'rate'))} });
for await (const batch of node.inventory()) {}
const started = performance.now();
let n = 0;
for await (const batch of node.inventory()) for (const e of batch) if (e.type === 'file') n++;
process.stdout.write(String(n / ((performance.now() - started) / 1000)));
await node.close();`;
  const rates = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    rates.push(Number(result.stdout));
  }
  rows.push({ operation: `inventory of ${files} files, warm cache`, ours: median(rates), unit: 'files/s', target: '>= 100k files/s',
    pass: median(rates) >= 100000 });
}

for (const count of values.rss ? values.rss.split(',').map(Number) : []) {
  log(`peak RSS of a 3-node compare, ${count} files each`);
  const trees = ['r1', 'r2', 'r3'].map((name) => path.join(dir, name));
  rmSync(trees[0], { recursive: true, force: true });
  mkdirSync(trees[0], { recursive: true });
  generate(trees[0], count, 11);
  for (const tree of trees.slice(1)) {
    rmSync(tree, { recursive: true, force: true });
    spawnSync('cp', ['-al', trees[0], tree]);  // hard links: same files, a second tree in seconds
  }
  const measured = time(...deltanode('compare', '--hash', 'quick', '--state', path.join(state, `rss${count}`), ...trees), { rss: true });
  rows.push({ operation: `peak RSS, 3-node compare, ${count} files each`, rssMiB: measured.maxRssKiB / 1024, seconds: measured.seconds,
    target: '<= 1 GB, flat', pass: measured.maxRssKiB * 1024 <= 1e9 });
  for (const tree of trees) rmSync(tree, { recursive: true, force: true });
}

const lines = [`deltanode inventory benchmark: ${files} files of 100 B - 4 KB per tree, median of ${runs} runs, ${os.cpus().length} cores`,
  `${pad('measure', 52)}${pad('ours', 22)}${pad('reference', 32)}${pad('ratio', 8)}${pad('target', 18)}pass`];
for (const r of rows) {
  const ours = r.unit ? `${Math.round(r.ours)} ${r.unit}` : r.rssMiB !== undefined ? `${r.rssMiB.toFixed(0)} MiB (${r.seconds.toFixed(1)} s)` : `${r.ours.toFixed(2)} s`;
  const reference = r.theirs !== undefined ? `${r.reference} ${r.theirs.toFixed(2)} s` : '';
  const ratio = r.theirs !== undefined ? `${(r.ours / r.theirs).toFixed(2)}x` : '';
  lines.push(`${pad(r.operation, 52)}${pad(ours, 22)}${pad(reference, 32)}${pad(ratio, 8)}${pad(r.target, 18)}${r.pass ? 'yes' : 'NO'}`);
}
const jsonPath = writeResults('inventory', values.json, { files, runs, rows });
process.stdout.write(`${lines.join('\n')}\njson: ${jsonPath}\n`);
