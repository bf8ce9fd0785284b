// deltanode signature | delta | patch: rdiff's arguments, our engine.
import { promises as fs } from 'node:fs';
import { deltaFile, patchFile, signatureFile } from '../engine/files.js';
import type { FileInput, FileOutput } from '../engine/output.js';
import type { DigestName, SignatureFormat, StrongHashName, WeakHashName } from '../engine/params.js';
import { formatBytes, progressReporter } from './progress.js';
import { UsageError, parseCommandLine } from './usage.js';

const options = {
  'block-size': { type: 'string', short: 'b' },
  'sum-size': { type: 'string', short: 'S' },
  hash: { type: 'string', short: 'H' },
  rollsum: { type: 'string', short: 'R' },
  format: { type: 'string' },
  digest: { type: 'string' },
  force: { type: 'boolean', short: 'f' },
  statistics: { type: 'boolean', short: 's' },
  'input-size': { type: 'string', short: 'I' },
  'output-size': { type: 'string', short: 'O' },
} as const;

// rdiff (popt) accepts "-S -1"; node's parser wants "-S-1". Join such pairs first.
function joinNegativeValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if ((arg === '-S' || arg === '--sum-size') && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`--sum-size=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${name} must be an integer; got ${text}`);
  return Number(text);
}

function isStdio(name: string | undefined): boolean {
  return name === undefined || name === '-';
}

function input(name: string | undefined): FileInput {
  return isStdio(name) ? { fd: 0 } : name!;
}

function output(name: string | undefined): FileOutput {
  return isStdio(name) ? { fd: 1 } : name!;
}

const strongNames: Record<string, StrongHashName> = { blake2: 'blake2', md4: 'md4', xxh3: 'xxh3' };
const weakNames: Record<string, WeakHashName> = { rabinkarp: 'rabinkarp', rollsum: 'rollsum' };
const digestNames: Record<string, DigestName> = { xxh3: 'xxh3', blake3: 'blake3' };

export async function runEngineCommand(command: 'signature' | 'delta' | 'patch', argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(joinNegativeValues(argv), options);
  const common = { overwrite: values.force === true };
  const started = process.hrtime.bigint();
  const reporter = progressReporter(command);
  const job = { ...common, onProgress: reporter.onProgress };
  let statistics: string;
  try {
    if (command === 'signature') {
      if (positionals.length > 2) throw new UsageError('signature takes BASIS [SIG]');
      const format = values.format ?? 'native';
      if (format !== 'native' && format !== 'librsync') throw new UsageError('--format must be native or librsync');
      const strongHash = values.hash === undefined ? undefined : strongNames[values.hash];
      if (values.hash !== undefined && !strongHash) throw new UsageError(`unknown hash ${values.hash}`);
      const weakHash = values.rollsum === undefined ? undefined : weakNames[values.rollsum];
      if (values.rollsum !== undefined && !weakHash) throw new UsageError(`unknown rollsum ${values.rollsum}`);
      const digest = values.digest === undefined ? undefined : digestNames[values.digest];
      if (values.digest !== undefined && !digest) throw new UsageError(`unknown digest ${values.digest}`);
      const result = await signatureFile(input(positionals[0]), output(positionals[1]), {
        ...job,
        format: format as SignatureFormat,
        blockLength: integer('--block-size', values['block-size'], 0),
        strongLength: integer('--sum-size', values['sum-size'], 0),
        ...(strongHash ? { strongHash } : {}),
        ...(weakHash ? { weakHash } : {}),
        ...(digest ? { digest } : {}),
      });
      statistics = `signature: ${result.format} ${result.weakHash}+${result.strongHash}, block ${result.blockLength}, ` +
        `strong ${result.strongLength}`;
    } else if (command === 'delta') {
      if (positionals.length < 1 || positionals.length > 3) throw new UsageError('delta takes SIG NEWFILE [DELTA]');
      if (isStdio(positionals[0]) && isStdio(positionals[1])) {
        throw new UsageError('SIG and NEWFILE cannot both be stdin');
      }
      const result = await deltaFile(input(positionals[0]), input(positionals[1]), output(positionals[2]), job);
      statistics = `delta: ${result.format}, new file ${formatBytes(result.newLength)}`;
    } else {
      if (positionals.length < 1 || positionals.length > 3) throw new UsageError('patch takes BASIS DELTA [NEWFILE]');
      if (positionals[0] === '-') throw new UsageError('the basis must be a file (patch reads it at random offsets)');
      const result = await patchFile(input(positionals[0]), input(positionals[1]), output(positionals[2]), job);
      statistics = `patch: ${result.format}, output ${formatBytes(result.outputLength)}`;
    }
  } finally {
    reporter.done();
  }
  if (values.statistics) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const outputName = command === 'signature' ? positionals[1] : positionals[2];
    const size = outputName && outputName !== '-' ? (await fs.stat(outputName)).size : undefined;
    process.stderr.write(`${statistics}${size === undefined ? '' : `, wrote ${formatBytes(size)}`}, ${seconds.toFixed(3)} s\n`);
  }
  return 0;
}
