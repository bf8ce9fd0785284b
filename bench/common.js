// What the benchmark scripts share: where the project and its command are, medians, table
// columns, and the JSON file each run leaves in bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
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
