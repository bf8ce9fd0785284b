// deltanode inventory | compare: nodes made of local folders, a table or one JSON document on
// stdout, progress on stderr.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compareInventories, emptySummary, type ComparisonRow, type ComparisonSummary } from '../node/compare.js';
import { ContentMatcher } from '../node/content-matcher.js';
import type { SourceSpec } from '../node/data-node.js';
import type { HashPolicy, InventoryEntry, InventoryProgress } from '../node/inventory.js';
import { LocalDataNode } from '../node/local-node.js';
import { formatBytes, statusLine } from './progress.js';
import { UsageError } from './usage.js';

/** The alias of the single source of a node given as a plain folder. */
const PLAIN_ALIAS = 'root';

interface NodeArgument {
  name: string;
  sources: SourceSpec[];
}

// "folder" or "name=path[,path...]" (aliases: the folders' base names).
export function parseNodeArgument(text: string, index: number): NodeArgument {
  const equals = text.indexOf('=');
  if (equals <= 0) return { name: `node${index + 1}`, sources: [{ alias: PLAIN_ALIAS, path: text }] };
  const name = text.slice(0, equals);
  const paths = text.slice(equals + 1).split(',').filter((p) => p !== '');
  if (paths.length === 0) throw new UsageError(`node ${name} has no folders`);
  return { name, sources: paths.map((p) => ({ alias: path.basename(path.resolve(p)), path: p })) };
}

// State of CLI nodes lives outside the data: $XDG_STATE_HOME/deltanode/nodes/<name>-<hash of the folders>.
function stateFolderFor(node: NodeArgument, override: string | undefined): string {
  const key = createHash('sha256').update(JSON.stringify(node.sources.map((s) => [s.alias, path.resolve(s.path)]))).digest('hex');
  const base = override ?? path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'deltanode', 'nodes');
  return path.join(base, `${node.name.replace(/[^\w.-]/g, '_')}-${key.slice(0, 16)}`);
}

function hashPolicy(value: string | undefined): HashPolicy {
  if (value === undefined) return 'quick';
  if (value === 'quick' || value === 'full' || value === 'none') return value;
  throw new UsageError('--hash must be quick, full or none');
}

const progressLine = (label: string) => statusLine((p: InventoryProgress) =>
  `${label}: ${p.entries} entries, ${p.filesHashed} hashed (${formatBytes(p.bytesHashed)}, ` +
  `${formatBytes(p.rate)}/s), ${p.filesFromCache} from cache`);

const jsonEntry = (entry: InventoryEntry) => ({
  path: entry.path,
  type: entry.type,
  size: entry.size,
  mtimeNs: entry.mtimeNs.toString(),
  mode: entry.mode,
  ...(entry.linkTarget !== undefined ? { linkTarget: entry.linkTarget } : {}),
  ...(entry.digest ? { digest: entry.digest.toString('hex') } : {}),
  ...(entry.collision ? { collision: entry.collision } : {}),
  ...(entry.error ? { error: entry.error } : {}),
  ...(entry.changedDuringScan ? { changedDuringScan: true } : {}),
  ...(entry.silentCorruption ? { silentCorruption: true } : {}),
});

const options = {
  hash: { type: 'string' },
  json: { type: 'boolean' },
  state: { type: 'string' },
} as const;

export async function runNodeCommand(command: 'inventory' | 'compare', args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const hash = hashPolicy(values.hash);
  const out = process.stdout;
  const write = (text: string) => new Promise<void>((resolve) => (out.write(text) ? resolve() : out.once('drain', resolve)));

  if (command === 'inventory') {
    if (positionals.length === 0) throw new UsageError('inventory takes one or more SOURCE folders');
    const sources = positionals.map((p) => ({ alias: path.basename(path.resolve(p)), path: p }));
    const spec = { name: 'local', sources };
    const node = new LocalDataNode({ ...spec, stateFolder: stateFolderFor(spec, values.state) });
    const progress = progressLine('inventory');
    const counts = { entries: 0, files: 0, bytes: 0, errors: 0, skipped: 0 };
    try {
      if (values.json) await write('{"entries":[');
      for await (const entry of node.inventory({ hash, ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        onSkip: (skipped) => {
          counts.skipped++;
          process.stderr.write(`deltanode: skipped ${skipped.path} (${skipped.reason === 'special' ? 'special file' : 'vanished'})\n`);
        } })) {
        counts.entries++;
        if (entry.type === 'file') {
          counts.files++;
          counts.bytes += entry.size;
        }
        if (entry.error) counts.errors++;
        if (values.json) {
          await write(`${counts.entries > 1 ? ',' : ''}\n${JSON.stringify(jsonEntry(entry))}`);
        } else {
          const digest = entry.digest ? entry.digest.toString('hex').slice(0, 16) : '-';
          const note = entry.error ? `  ! ${entry.error.code}` : entry.linkTarget !== undefined ? ` -> ${entry.linkTarget}` : '';
          await write(`${entry.type.padEnd(7)} ${String(entry.size).padStart(12)}  ${digest.padEnd(16)}  ${entry.path}${note}\n`);
        }
      }
      if (values.json) await write(`\n],"summary":${JSON.stringify(counts)}}\n`);
      else await write(`${counts.entries} entries, ${counts.files} files, ${formatBytes(counts.bytes)}, ${counts.errors} errors, ${counts.skipped} skipped\n`);
    } finally {
      progress.done();
      await node.close();
    }
    return counts.errors > 0 ? 1 : 0;
  }

  if (positionals.length < 2) throw new UsageError('compare takes two or more NODEs');
  const specs = positionals.map(parseNodeArgument);
  const nodes = specs.map((spec) => new LocalDataNode({ ...spec, stateFolder: stateFolderFor(spec, values.state) }));
  const allPlain = specs.every((spec) => spec.sources.length === 1 && spec.sources[0]!.alias === PLAIN_ALIAS);
  const shown = (p: string) => (allPlain ? p.slice(PLAIN_ALIAS.length + 1) || '.' : p);
  const summary: ComparisonSummary = emptySummary();
  const progress = progressLine('compare');
  const matcher = new ContentMatcher();
  try {
    if (values.json) await write(`{"nodes":${JSON.stringify(specs.map((s) => s.name))},"rows":[`);
    let first = true;
    const inventories = nodes.map((node) => node.inventory({ hash, ...(progress.onProgress ? { onProgress: progress.onProgress } : {}) }));
    for await (const row of compareInventories(inventories, summary)) {
      matcher.add(row);
      if (values.json) {
        await write(`${first ? '' : ','}\n${JSON.stringify(jsonRow(row))}`);
      } else if (row.status !== 'identical') {
        await write(`${row.status.padEnd(13)} ${describeGroups(row, specs.map((s) => s.name))}  ${shown(row.path)}\n`);
      }
      first = false;
    }
    const names = specs.map((s) => s.name);
    if (values.json) {
      await write('\n],"moves":[');
      let firstMove = true;
      for (const candidate of matcher.candidates()) {
        await write(`${firstMove ? '' : ','}\n${JSON.stringify(candidate)}`);
        firstMove = false;
      }
      await write(`\n],"summary":${JSON.stringify(summary)}}\n`);
    } else {
      for (const candidate of matcher.candidates()) {
        const places = candidate.places.map((place) => `${shown(place.path)} [${place.nodes.map((i) => names[i]).join(' ')}]`);
        await write(`same content  ${places.join(' = ')}  (${formatBytes(candidate.size)}: move or duplicate)\n`);
      }
      const parts = Object.entries(summary.byStatus).filter(([, v]) => v.rows > 0)
        .map(([status, v]) => `${status} ${v.rows} (${formatBytes(v.bytes)})`);
      await write(`${summary.rows} paths: ${parts.join(', ')}\n`);
    }
  } finally {
    progress.done();
    matcher.close();
    await Promise.all(nodes.map((node) => node.close()));
  }
  return summary.byStatus.identical.rows === summary.rows ? 0 : 1;
}

function jsonRow(row: ComparisonRow) {
  return { path: row.path, status: row.status, groups: row.groups, entries: row.entries.map((entry) => (entry ? jsonEntry(entry) : null)) };
}

// "[a b] [c] -" style: which nodes hold which version; "-" for nodes without the path.
function describeGroups(row: ComparisonRow, names: string[]): string {
  const parts = row.groups.map((group) => `[${group.map((i) => names[i]).join(' ')}]`);
  const missing = row.entries.flatMap((entry, i) => (entry ? [] : [names[i]!]));
  return [...parts, ...(missing.length ? [`-(${missing.join(' ')})`] : [])].join(' ');
}
