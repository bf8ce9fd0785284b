#!/usr/bin/env node
// Small-file batches: writeFileBatch / readFileBatch beside the per-file way through node:fs and
// `rsync -a`, on the same seeded files (100 B - 4 KB), plus the durability barrier measured on its
// own (one syncfs per batch, an fsync per file, write-back started per file then an fsync per file;
// native/file_batch.h chooses among them from these figures). Prints medians and writes them as JSON.
//
//   node bench/file-batch.js [--files N] [--folders N] [--runs N] [--parallel N] [--dir DIR] [--json FILE] [--barrier-only]
//
// It runs the TypeScript source (src/engine/file-batch.ts) through the TypeScript loader tap uses,
// so it needs neither dist/ nor a build of it: it restarts itself under that loader.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, pad, projectRoot as root, writeResults } from './common.js';

if (!process.env.DELTANODE_BENCH_TS) {
  const loader = import.meta.resolve('@tapjs/typescript/import');
  const run = spawnSync(process.execPath, ['--import', loader, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, DELTANODE_BENCH_TS: '1', TS_NODE_TRANSPILE_ONLY: '1' } });
  process.exit(run.status ?? 1);
}

const { packBatchFiles, writeFileBatch, readFileBatch } = await import('../src/engine/file-batch.js');
const { hash } = await import('../src/engine/hash.js');
const { nativeAddon } = await import('../src/engine/native.js');

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    folders: { type: 'string', default: '40' },
    runs: { type: 'string', default: '3' },
    parallel: { type: 'string', default: '4' },
    dir: { type: 'string' },
    json: { type: 'string' },
    'barrier-only': { type: 'boolean', default: false },
  },
});
const fileCount = Number(values.files);
const folderCount = Number(values.folders);
const runs = Number(values.runs);
const parallel = Number(values.parallel);
const perFileInFlight = 32; // what src/session/execute.ts runs at once by default
const dir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), 'deltanode-batch-bench-'));
const log = (text) => process.stderr.write(`${text}\n`);
const sync = () => spawnSync('sync');

// Seeded sizes from 100 B to 4 KB and seeded content; files spread evenly over the folders.
function generate(count, seed) {
  let state = seed >>> 0 || 1;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  const folders = Array.from({ length: folderCount }, () => []);
  for (let i = 0; i < count; i++) {
    const size = 100 + (next() % 3997);
    const content = Buffer.allocUnsafe(size);
    for (let j = 0; j < size; j++) content[j] = next() >>> 24;
    folders[i % folderCount].push({ name: `f${i}.bin`, content, mode: 0o644, mtimeNs: 1_600_000_000_000_000_000n + BigInt(i) * 1_000_003n,
      digest: hash('blake3', content) });
  }
  return folders;
}

// Runs `task(item)` over `items` with at most `limit` running at once.
async function pool(items, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function timed(fn) {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const folders = generate(fileCount, 7);
const source = path.join(dir, 'source');
log(`writing the source tree: ${fileCount} files in ${folderCount} folders under ${dir}`);
rmSync(dir, { recursive: true, force: true });
for (const [f, files] of folders.entries()) {
  mkdirSync(path.join(source, `d${f}`), { recursive: true });
  for (const file of files) writeFileSync(path.join(source, `d${f}`, file.name), file.content);
}
sync();

let round = 0;
// A fresh, empty target for every run; dirty data is written back (untimed) first. Targets are only
// removed at the end: this disk is mounted with `discard`, and the discards of deleted files slow
// the journal commits of whatever runs next.
function freshTarget() {
  const target = path.join(dir, `t${round++}`);
  for (let f = 0; f < folderCount; f++) mkdirSync(path.join(target, `d${f}`), { recursive: true });
  sync();
  return target;
}

const checkResults = (results) => {
  const failed = results.find((result) => !result.ok);
  if (failed) throw new Error(`a batch file failed: ${failed.message}`);
};

// Every case once per round, rounds repeated: a disk that slows down under sustained load (this
// one does) then slows every case alike instead of whichever happened to run last.
async function measureAll(cases) {
  const seconds = cases.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (const [i, { run }] of cases.entries()) {
      seconds[i].push(await run(freshTarget()));
    }
  }
  return cases.map(({ label }, i) => {
    const s = median(seconds[i]);
    log(`${label}: ${seconds[i].map((x) => x.toFixed(3)).join(' ')} s`);
    return { label, seconds: s, usPerFile: (s / fileCount) * 1e6, runs: seconds[i] };
  });
}

// The raw addon with a chosen barrier (writeFileBatch itself always uses the rule, 0).
const batchWith = (barrier) => (target) => timed(() => pool([...folders.keys()], parallel, async (f) => {
  const { records } = await nativeAddon().writeFileBatch([{ folder: path.join(target, `d${f}`), files: packBatchFiles(folders[f]), trashFolder: null }], barrier, new ArrayBuffer(32));
  for (let i = 0; i < folders[f].length; i++) if (records[i * 24] !== 0) throw new Error('a batch file failed');
}));

const names = folders.map((files) => files.map((file) => file.name));
const cases = [
  { label: 'writeFileBatch (durable; the rule: 250-file batches get one syncfs)', run: (target) => timed(() =>
    pool([...folders.keys()], parallel, async (f) => checkResults(await writeFileBatch(path.join(target, `d${f}`), folders[f])))) },
  { label: '  same, one syncfs per batch', run: batchWith(1) },
  { label: '  same, fsync per file', run: batchWith(2) },
  { label: '  same, write-back started per file, fsync per file at the barrier', run: batchWith(4) },
  { label: '  same, no barrier (not durable, like rsync)', run: batchWith(3) },
  { label: 'node:fs/promises per file (open wx, write, sync, close, chmod, utimes, rename)', run: (target) => {
    const jobs = folders.flatMap((files, f) => files.map((file) => ({ folder: path.join(target, `d${f}`), file })));
    return timed(async () => {
      await pool(jobs, perFileInFlight, async ({ folder, file }) => {
        const temporary = path.join(folder, `.${file.name}.${Math.random().toString(16).slice(2, 14)}.deltanode-tmp`);
        const handle = await fs.open(temporary, 'wx', 0o600);
        try {
          await handle.write(file.content);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.chmod(temporary, file.mode);
        const seconds = Number(file.mtimeNs / 1000n) / 1e6;
        await fs.utimes(temporary, seconds, seconds);
        await fs.rename(temporary, path.join(folder, file.name));
      });
      // One folder fsync each, as the batch does.
      await pool([...folders.keys()], parallel, async (f) => {
        const handle = await fs.open(path.join(target, `d${f}`), 'r');
        await handle.sync();
        await handle.close();
      });
    });
  } },
  { label: 'rsync -a (no fsync)', run: (target) => timed(async () => {
    const result = spawnSync('rsync', ['-a', `${source}/`, `${target}/`]);
    if (result.status !== 0) throw new Error(`rsync failed: ${result.stderr}`);
  }) },
  { label: 'readFileBatch (page-cached source)', run: () => timed(() =>
    pool([...folders.keys()], parallel, async (f) => {
      const results = await readFileBatch(path.join(source, `d${f}`), names[f]);
      checkResults(results);
      if (!results[0].content.equals(folders[f][0].content)) throw new Error('read back different content');
    })) },
  { label: 'node:fs/promises readFile per file (page-cached source)', run: () => {
    const jobs = names.flatMap((list, f) => list.map((name) => path.join(source, `d${f}`, name)));
    return timed(() => pool(jobs, perFileInFlight, (file) => fs.readFile(file)));
  } },
];
const rows = values['barrier-only'] ? [] : await measureAll(cases);

// The barrier on its own: batches of 1, 16 and 256 files written one after another into fresh
// folders, the strategies taking turns batch by batch (so a disk that slows down under load slows
// all of them alike): one syncfs per batch, an fsync per file right after it is written, or the
// write-back of every file started as it is written and an fsync per file at the barrier. Then the
// same with 256 MiB of unrelated dirty data on the file system, which a syncfs has to wait for.
// The unrelated dirty data: one file rewritten in place, so no blocks are freed (no discards).
const noiseFile = path.join(dir, 'noise.bin');
const noiseBlock = Buffer.alloc(1 << 20, 1);
let noiseFd = -1;
function dirty(bytes) {
  if (noiseFd < 0) noiseFd = openSync(noiseFile, 'w+');
  noiseBlock[0]++;
  for (let at = 0; at < bytes; at += noiseBlock.length) writeSync(noiseFd, noiseBlock, 0, noiseBlock.length, at);
}
const STRATEGIES = [['syncfs', 1], ['fsync', 2], ['writeback', 4]];
const barriers = [];
const flat = folders.flat();
async function barrierRow(size, count, noise) {
  const target = freshTarget();
  const times = Object.fromEntries(STRATEGIES.map(([name]) => [name, []]));
  for (let b = 0; b < count; b++) {
    for (const [name, barrier] of STRATEGIES) {
      const folder = path.join(target, `${name}${b}`);
      mkdirSync(folder);
      const files = Array.from({ length: size }, (_, i) => flat[(b * size + i) % flat.length]);
      if (noise) dirty(noise);
      times[name].push(await timed(async () => {
        const { records } = await nativeAddon().writeFileBatch(folder, packBatchFiles(files), null, barrier, new ArrayBuffer(32));
        for (let i = 0; i < size; i++) if (records[i * 24] !== 0) throw new Error('a batch file failed');
      }));
      if (noise) sync();
    }
  }
  const row = { files: size, otherDirtyMiB: noise >> 20, batches: count };
  for (const [name] of STRATEGIES) row[name] = median(times[name]);
  log(`barrier, ${size} files${noise ? ', other dirty data' : ''}: ` +
    STRATEGIES.map(([name]) => `${name} ${(row[name] * 1e3).toFixed(2)} ms`).join(', '));
  return row;
}
for (const [size, count, noise] of [[1, 101, 0], [16, 31, 0], [64, 15, 0], [256, 9, 0], [1, 7, 256 << 20], [16, 7, 256 << 20], [64, 7, 256 << 20], [256, 5, 256 << 20]]) {
  barriers.push(await barrierRow(size, count, noise));
}

if (noiseFd >= 0) closeSync(noiseFd);
rmSync(dir, { recursive: true, force: true });

console.log(`\n${fileCount} files of 100 B - 4 KB in ${folderCount} folders (one batch per folder, ${parallel} at once; ` +
  `per-file rows ${perFileInFlight} files at once), median of ${runs} runs`);
console.log(`${pad('', 82)}${pad('seconds', 10)}µs per file`);
for (const row of rows) console.log(`${pad(row.label, 82)}${pad(row.seconds.toFixed(3), 10)}${row.usPerFile.toFixed(1)}`);
console.log('\nDurability barrier: milliseconds per write batch (median; strategies interleaved)');
console.log(`${pad('files', 8)}${pad('other dirty data', 18)}${pad('syncfs', 10)}${pad('fsync each', 12)}${pad('write-back, then fsync each', 28)}`);
for (const row of barriers) {
  console.log(`${pad(row.files, 8)}${pad(row.otherDirtyMiB ? `${row.otherDirtyMiB} MiB` : '-', 18)}` +
    `${pad((row.syncfs * 1e3).toFixed(2), 10)}${pad((row.fsync * 1e3).toFixed(2), 12)}${pad((row.writeback * 1e3).toFixed(2), 28)}`);
}
const written = writeResults('file-batch', values.json, { files: fileCount, folders: folderCount, runs, parallel, rows, barriers,
  node: process.version, platform: `${process.platform}-${process.arch}`, root });
log(`\nresults: ${written}`);
