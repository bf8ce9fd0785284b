// Shared fixtures for the tap suites: seeded data, edits, and running commands.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliPath = path.join(projectRoot, 'bin', 'deltanode.js');

/** Deterministic pseudo-random bytes (xorshift32), so a failing case can be replayed from its seed. */
export function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let state = (seed >>> 0) || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    out.writeUInt32LE(state, i);
  }
  for (; i < length; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

/** A small seeded generator for choosing edit positions. */
export function random(seed: number): (max: number) => number {
  let state = (seed >>> 0) || 1;
  return (max: number) => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % Math.max(max, 1);
  };
}

export interface EditCase {
  name: string;
  basis: Buffer;
  target: Buffer;
}

/** The edit shapes every round-trip suite runs: the ones a delta engine gets wrong first. */
export function editCases(seed: number, size: number): EditCase[] {
  const base = seededBytes(seed, size);
  const rnd = random(seed + 1);
  const at = rnd(size);
  const cut = rnd(size);
  const half = Math.floor(size / 2);
  const scattered = Buffer.from(base);
  for (let i = 0; i < 20 && size > 0; i++) { const at = rnd(size); scattered[at] = scattered[at]! ^ 0x5a; }
  return [
    { name: 'empty to empty', basis: Buffer.alloc(0), target: Buffer.alloc(0) },
    { name: 'empty basis', basis: Buffer.alloc(0), target: base },
    { name: 'to empty', basis: base, target: Buffer.alloc(0) },
    { name: 'one byte', basis: Buffer.from([1]), target: Buffer.from([2]) },
    { name: 'identical', basis: base, target: base },
    { name: 'insertion', basis: base, target: Buffer.concat([base.subarray(0, at), seededBytes(seed + 2, 17), base.subarray(at)]) },
    { name: 'deletion', basis: base, target: Buffer.concat([base.subarray(0, Math.min(at, cut)), base.subarray(Math.max(at, cut))]) },
    { name: 'moved ranges', basis: base, target: Buffer.concat([base.subarray(half), base.subarray(0, half)]) },
    { name: 'appended tail', basis: base, target: Buffer.concat([base, seededBytes(seed + 3, 1234)]) },
    { name: 'truncated tail', basis: base, target: base.subarray(0, Math.max(size - 777, 0)) },
    { name: 'scattered edits', basis: base, target: scattered },
    { name: 'all zeros', basis: Buffer.alloc(size), target: Buffer.concat([Buffer.alloc(size), Buffer.from([0])]) },
    { name: 'repeated byte', basis: Buffer.alloc(size, 0xab), target: Buffer.alloc(size + 333, 0xab) },
    { name: 'unrelated', basis: base, target: seededBytes(seed + 4, size) },
  ];
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a command to completion, feeding `input` on stdin. */
export function run(command: string, args: readonly string[], options: { input?: Buffer; cwd?: string } = {}):
  Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}

export function deltanode(args: readonly string[], options: { input?: Buffer; cwd?: string } = {}): Promise<RunResult> {
  return run(process.execPath, [cliPath, ...args], options);
}

export const hasRdiff = spawnSync('rdiff', ['--version']).status === 0;
