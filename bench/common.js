// What the benchmark scripts share: where the project and its command are, medians, table
// columns, and the JSON file each run leaves in bench/results/.
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliPath = path.join(projectRoot, 'bin', 'deltanode.js');

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const pad = (text, width) => String(text).padEnd(width);

/** Writes `data` to `file`, or to bench/results/<name>-<time>.json; returns the path. */
export function writeResults(name, file, data) {
  const target = file ?? path.join(projectRoot, 'bench', 'results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, JSON.stringify(data, null, 2));
  return target;
}

/** Seeded bytes (xorshift), so every run and every benchmark sees the same data. */
export function seeded(seed, length) {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= length; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

/** A file of `size` seeded bytes with `edits` scattered 64-byte edits. */
export function bigFile(file, size, seed, edits) {
  const fd = openSync(file, 'w');
  const piece = 16 << 20;
  for (let at = 0; at < size; at += piece) writeSync(fd, seeded(seed + at / piece, Math.min(piece, size - at)));
  for (let i = 0; i < edits; i++) writeSync(fd, seeded(1000 + i, 64), 0, 64, Math.floor((i + 0.5) * size / edits));
  closeSync(fd);
}

/** `count` files of 100 B - 4 KB, 100 to a folder, 100 folders to a parent. */
export function smallFiles(tree, count) {
  let state = 7;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  const block = Buffer.alloc(4096);
  for (let i = 0; i < count; i++) {
    const folder = path.join(tree, `d${Math.floor(i / 10000)}`, `e${Math.floor(i / 100) % 100}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    const length = 100 + (next() % 3997);
    for (let j = 0; j < length; j += 4) block.writeUInt32LE(next(), j);
    writeFileSync(path.join(folder, `f${i}.bin`), block.subarray(0, length));
  }
}

/** Empties (or makes) each folder. */
export const fresh = (...folders) => folders.forEach((folder) => {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
});

/** rsync --stats: "Total bytes sent: N" plus "Total bytes received: N". */
export const rsyncBytes = (stdout) => ['sent', 'received'].reduce((sum, word) =>
  sum + Number((stdout.match(new RegExp(`Total bytes ${word}: ([\\d,]+)`)) ?? ['', '0'])[1].replace(/,/g, '')), 0);
