#!/usr/bin/env node
// Engine benchmark: deltanode against rdiff (librsync) on the same generated, page-cached files,
// in one run. Prints a table (medians of --runs) and writes the same figures as JSON.
//
//   node bench/engine.js [--size MiB] [--runs N] [--dir DIR] [--json FILE]
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'deltanode.js');
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    runs: { type: 'string', default: '5' },
    dir: { type: 'string' },
    json: { type: 'string' },
  },
});
const MiB = 1 << 20;
const size = Number(values.size) * MiB;
const runs = Number(values.runs);
const dir = values.dir ?? mkdtempSync(path.join(os.tmpdir(), 'deltanode-bench-'));
const file = (name) => path.join(dir, name);

// Seeded data at memory speed: AES-CTR keystream with a key derived from the seed.
function writeSeeded(name, seed, bytes, edit) {
  const key = Buffer.alloc(16);
  key.writeUInt32LE(seed);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const fd = openSync(file(name), 'w');
  const zero = Buffer.alloc(4 * MiB);
  for (let at = 0; at < bytes; at += zero.length) {
    const chunk = cipher.update(zero.subarray(0, Math.min(zero.length, bytes - at)));
    if (edit) edit(chunk, at);
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

// 100 scattered edits of 64 bytes each, at seeded positions.
const editPositions = Array.from({ length: 100 }, (_, i) => Math.floor(((i + 0.5) / 100) * size) - 32);
function scatterEdits(chunk, at) {
  for (const position of editPositions) {
    if (position >= at && position < at + chunk.length) chunk.fill(0x5a, position - at, Math.min(position - at + 64, chunk.length));
  }
}

function time(command, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return seconds;
}

function median(list) {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// Runs ours and theirs alternately so machine noise hits both alike.
function compare(name, bytes, ours, theirs, outputs) {
  const oursTimes = [];
  const theirTimes = [];
  for (let i = 0; i < runs; i++) {
    for (const output of outputs) rmSync(output, { force: true });
    oursTimes.push(time(...ours));
    for (const output of outputs) rmSync(output, { force: true });
    theirTimes.push(time(...theirs));
  }
  const row = {
    operation: name,
    bytes,
    oursSeconds: median(oursTimes),
    theirsSeconds: median(theirTimes),
  };
  row.oursMBps = bytes / row.oursSeconds / 1e6;
  row.theirsMBps = bytes / row.theirsSeconds / 1e6;
  row.speedup = row.theirsSeconds / row.oursSeconds;
  return row;
}

const node = process.execPath;
const ours = (...args) => [node, [cli, ...args]];
const rdiff = (...args) => ['rdiff', ['-f', ...args]];

mkdirSync(dir, { recursive: true });
process.stderr.write(`generating ${values.size} MiB fixtures in ${dir}\n`);
writeSeeded('basis', 1, size);
writeSeeded('edited', 1, size, scatterEdits);
// The unrelated-data case is the slowest for rdiff (a byte-by-byte search): 256 MiB is enough.
const unrelatedSize = Math.min(size, 256 * MiB);
writeSeeded('unrelated', 2, unrelatedSize);
for (const name of ['basis', 'edited', 'unrelated']) readFileSync(file(name)); // into the page cache

const rows = [];
rows.push(compare('signature native (xxh3)', size, ours('signature', file('basis'), file('ours.sig')),
  rdiff('signature', file('basis'), file('rdiff.sig')), [file('ours.sig')]));
rows.push(compare('signature librsync (blake2)', size,
  ours('signature', '--format', 'librsync', file('basis'), file('ours-rs.sig')),
  rdiff('signature', file('basis'), file('rdiff.sig')), [file('ours-rs.sig')]));
// Keep one of each signature for the delta runs.
time(...ours('signature', '-f', file('basis'), file('ours.sig')));
time(...ours('signature', '-f', '--format', 'librsync', file('basis'), file('ours-rs.sig')));
time(...rdiff('signature', file('basis'), file('rdiff.sig')));
rows.push(compare('delta native, 100 edits', size, ours('delta', file('ours.sig'), file('edited'), file('ours.delta')),
  rdiff('delta', file('rdiff.sig'), file('edited'), file('rdiff.delta')), [file('ours.delta')]));
rows.push(compare('delta librsync, 100 edits', size,
  ours('delta', file('ours-rs.sig'), file('edited'), file('ours-rs.delta')),
  rdiff('delta', file('rdiff.sig'), file('edited'), file('rdiff.delta')), [file('ours-rs.delta')]));
rows.push(compare('delta librsync, unrelated data', unrelatedSize,
  ours('delta', file('ours-rs.sig'), file('unrelated'), file('ours-un.delta')),
  rdiff('delta', file('rdiff.sig'), file('unrelated'), file('rdiff-un.delta')), [file('ours-un.delta')]));
time(...ours('delta', '-f', file('ours.sig'), file('edited'), file('ours.delta')));
time(...ours('delta', '-f', file('ours-rs.sig'), file('edited'), file('ours-rs.delta')));
time(...rdiff('delta', file('rdiff.sig'), file('edited'), file('rdiff.delta')));
rows.push(compare('patch native, 100 edits', size, ours('patch', file('basis'), file('ours.delta'), file('ours.out')),
  rdiff('patch', file('basis'), file('rdiff.delta'), file('rdiff.out')), [file('ours.out')]));
rows.push(compare('patch librsync, 100 edits', size, ours('patch', file('basis'), file('ours-rs.delta'), file('ours-rs.out')),
  rdiff('patch', file('basis'), file('rdiff.delta'), file('rdiff.out')), [file('ours-rs.out')]));

const sizes = {
  signatureNative: statSync(file('ours.sig')).size,
  signatureLibrsync: statSync(file('ours-rs.sig')).size,
  signatureRdiff: statSync(file('rdiff.sig')).size,
  deltaNative: statSync(file('ours.delta')).size,
  deltaLibrsync: statSync(file('ours-rs.delta')).size,
  deltaRdiff: statSync(file('rdiff.delta')).size,
};
const identical = readFileSync(file('ours-rs.sig')).equals(readFileSync(file('rdiff.sig')));

const pad = (text, width) => String(text).padEnd(width);
const lines = [
  `deltanode engine benchmark: ${values.size} MiB files, median of ${runs} runs, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`,
  `${pad('operation', 34)}${pad('ours s', 9)}${pad('ours MB/s', 11)}${pad('rdiff s', 9)}${pad('rdiff MB/s', 12)}speedup`,
  ...rows.map((r) => `${pad(r.operation, 34)}${pad(r.oursSeconds.toFixed(3), 9)}${pad(r.oursMBps.toFixed(0), 11)}` +
    `${pad(r.theirsSeconds.toFixed(3), 9)}${pad(r.theirsMBps.toFixed(0), 12)}${r.speedup.toFixed(2)}x`),
  `signature bytes: native ${sizes.signatureNative}, librsync ${sizes.signatureLibrsync}, rdiff ${sizes.signatureRdiff} ` +
    `(librsync byte-identical to rdiff: ${identical ? 'yes' : 'NO'})`,
  `delta bytes (100 edits): native ${sizes.deltaNative}, librsync ${sizes.deltaLibrsync}, rdiff ${sizes.deltaRdiff}`,
];
console.log(lines.join('\n'));
const jsonPath = values.json ?? path.join(root, 'bench', 'results', `engine-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(path.dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, JSON.stringify({ date: new Date().toISOString(), sizeBytes: size, runs, rows, sizes,
  librsyncSignatureIdentical: identical, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model } }, null, 2));
console.log(`json: ${jsonPath}`);
if (!values.dir) rmSync(dir, { recursive: true, force: true });
