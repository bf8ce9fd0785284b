// deltanode inventory | compare: nodes made of local folders, a table or one JSON document on
// stdout, progress on stderr.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { compareInventories, emptySummary, type ComparisonRow, type ComparisonSummary } from '../node/compare.js';
import { ContentMatcher } from '../node/content-matcher.js';
import type { DataNode, SourceSpec } from '../node/data-node.js';
import type { HashPolicy, InventoryEntry, InventoryProgress, SkippedEntry } from '../node/entries.js';
import { LocalDataNode } from '../node/local-node.js';
import { formatBytes, statusLine } from './progress.js';
import { parseCommandLine, UsageError, writeOut } from './usage.js';

/** The alias of the single source of a node given as a plain folder. */
export const PLAIN_ALIAS = 'root';

export interface NodeArgument {
  name: string;
  sources: SourceSpec[];
}

// "folder" or "name=path[,path...]" (with several folders, aliases are their base names).
export function parseNodeArgument(text: string, index: number): NodeArgument {
  const equals = text.indexOf('=');
  if (equals <= 0) return { name: `node${index + 1}`, sources: [{ alias: PLAIN_ALIAS, path: text }] };
  const name = text.slice(0, equals);
  const paths = text.slice(equals + 1).split(',').filter((p) => p !== '');
  if (paths.length === 0) throw new UsageError(`node ${name} has no folders`);
  // One folder: the same alias as a plain folder, so nodes compare by what their folders hold.
  if (paths.length === 1) return { name, sources: [{ alias: PLAIN_ALIAS, path: paths[0]! }] };
  return { name, sources: paths.map((p) => ({ alias: path.basename(path.resolve(p)), path: p })) };
}

export const defaultStateBase = () => path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'deltanode');

// State of CLI nodes lives outside the data: $XDG_STATE_HOME/deltanode/nodes/<name>-<hash of the folders>.
export function stateFolderFor(node: NodeArgument, override: string | undefined): string {
  const key = createHash('sha256').update(JSON.stringify(node.sources.map((s) => [s.alias, path.resolve(s.path)]))).digest('hex');
  const base = override ?? path.join(defaultStateBase(), 'nodes');
  return path.join(base, `${node.name.replace(/[^\w.-]/g, '_')}-${key.slice(0, 16)}`);
}

/** Where sessions keep what two-way pairs last agreed on: beside the nodes' state (`--state` holds both). */
export function sessionStateFolder(override: string | undefined): string {
  return override ?? path.join(defaultStateBase(), 'sessions');
}

export function hashPolicy(value: string | undefined): HashPolicy {
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

/** Nodes of other members (a hosted session), joined once the local nodes are known. */
export interface MemberNodes {
  count: number;
  join: (localNames: readonly string[]) => Promise<DataNode[]>;
}

/** The local nodes of a command, then its members' nodes. */
export async function commandNodes(specs: readonly NodeArgument[], state: string | undefined, members: MemberNodes | undefined): Promise<DataNode[]> {
  const names = specs.map((spec) => spec.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new UsageError(`two nodes are named ${duplicate}`);
  const remote = members ? await members.join(names) : [];
  return [...specs.map((spec) => new LocalDataNode({ ...spec, stateFolder: stateFolderFor(spec, state) })), ...remote];
}

export async function runNodeCommand(command: 'inventory' | 'compare', args: readonly string[], members?: MemberNodes): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  const hash = hashPolicy(values.hash);
  const write = writeOut;

  if (command === 'inventory') {
    if (positionals.length === 0) throw new UsageError('inventory takes one or more SOURCE folders');
    const sources = positionals.map((p) => ({ alias: path.basename(path.resolve(p)), path: p }));
    const spec = { name: 'local', sources };
    const node = new LocalDataNode({ ...spec, stateFolder: stateFolderFor(spec, values.state) });
    const progress = progressLine('inventory');
    const counts = { entries: 0, files: 0, bytes: 0, errors: 0, skipped: 0, changedDuringScan: 0, silentCorruption: 0 };
    try {
      if (values.json) await write('{"entries":[');
      for await (const batch of node.inventory({ hash, ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        onSkip: (skipped) => reportSkip(counts, skipped) })) {
        let text = '';
        for (const entry of batch) {
          counts.entries++;
          if (entry.type === 'file') {
            counts.files++;
            counts.bytes += entry.size;
          }
          countAnomalies(counts, entry);
          if (values.json) {
            text += `${counts.entries > 1 ? ',' : ''}\n${JSON.stringify(jsonEntry(entry))}`;
          } else {
            const digest = entry.digest ? entry.digest.toString('hex').slice(0, 16) : '-';
            const note = entry.error ? `  ! ${entry.error.code}` : entry.changedDuringScan ? '  ! changed while read'
              : entry.linkTarget !== undefined ? ` -> ${entry.linkTarget}` : '';
            text += `${entry.type.padEnd(7)} ${String(entry.size).padStart(12)}  ${digest.padEnd(16)}  ${entry.path}${note}\n`;
          }
        }
        await write(text);
      }
      if (values.json) await write(`\n],"summary":${JSON.stringify(counts)}}\n`);
      else await write(`${counts.entries} entries, ${counts.files} files, ${formatBytes(counts.bytes)}, ${counts.errors} errors, ${counts.skipped} skipped\n${anomalyLines(counts)}`);
    } finally {
      progress.done();
      await node.close();
    }
    return counts.errors > 0 || counts.changedDuringScan > 0 ? 1 : 0;
  }

  if (positionals.length + (members?.count ?? 0) < 2) throw new UsageError('compare takes two or more NODEs');
  const specs = positionals.map(parseNodeArgument);
  const nodes = await commandNodes(specs, values.state, members);
  const allPlain = nodes.every((node) => node.sources.length === 1 && node.sources[0]!.alias === PLAIN_ALIAS);
  const shown = (p: string) => (allPlain ? p.slice(PLAIN_ALIAS.length + 1) || '.' : p);
  const names = nodes.map((node) => node.name);
  const summary: ComparisonSummary = emptySummary();
  const counts = { errors: 0, skipped: 0, changedDuringScan: 0, silentCorruption: 0 };
  const progress = progressLine('compare');
  // Each node reports its own counters; the line shows their sum.
  const perNode: InventoryProgress[] = [];
  const onProgress = progress.onProgress && ((node: number, p: InventoryProgress) => {
    perNode[node] = p;
    progress.onProgress!(sumProgress(perNode));
  });
  const matcher = new ContentMatcher();
  try {
    if (values.json) await write(`{"nodes":${JSON.stringify(names)},"rows":[`);
    let first = true;
    const inventories = nodes.map((node, i) => node.inventory({ hash, onSkip: (skipped) => reportSkip(counts, skipped),
      ...(onProgress ? { onProgress: (p: InventoryProgress) => onProgress(i, p) } : {}) }));
    for await (const rows of compareInventories(inventories, summary)) {
      let text = '';
      for (const row of rows) {
        matcher.add(row);
        for (const entry of row.entries) if (entry) countAnomalies(counts, entry);
        if (values.json) {
          text += `${first ? '' : ','}\n${JSON.stringify(jsonRow(row))}`;
          first = false;
        } else if (row.status !== 'identical') {
          text += `${row.status.padEnd(13)} ${describeGroups(row, names)}  ${shown(row.path)}${rowNote(row)}\n`;
        }
      }
      if (text) await write(text);
    }
    if (values.json) {
      await write('\n],"moves":[');
      let firstMove = true;
      for (const candidate of matcher.candidates()) {
        await write(`${firstMove ? '' : ','}\n${JSON.stringify(candidate)}`);
        firstMove = false;
      }
      await write(`\n],"summary":${JSON.stringify({ ...summary, ...counts })}}\n`);
    } else {
      for (const candidate of matcher.candidates()) {
        const places = candidate.places.map((place) => `${shown(place.path)} [${place.nodes.map((i) => names[i]).join(' ')}]`);
        await write(`same content  ${places.join(' = ')}  (${formatBytes(candidate.size)}: move or duplicate)\n`);
      }
      const parts = Object.entries(summary.byStatus).filter(([, v]) => v.rows > 0)
        .map(([status, v]) => `${status} ${v.rows} (${formatBytes(v.bytes)})`);
      await write(`${summary.rows} paths: ${parts.join(', ')}\n${anomalyLines(counts)}`);
    }
  } finally {
    progress.done();
    matcher.close();
    await Promise.all(nodes.map((node) => node.close()));
  }
  return summary.byStatus.identical.rows === summary.rows ? 0 : 1;
}

interface AnomalyCounts {
  errors: number;
  skipped: number;
  changedDuringScan: number;
  silentCorruption: number;
}

function countAnomalies(counts: AnomalyCounts, entry: InventoryEntry): void {
  if (entry.error) counts.errors++;
  if (entry.changedDuringScan) counts.changedDuringScan++;
  if (entry.silentCorruption) counts.silentCorruption++;
}

function reportSkip(counts: AnomalyCounts, skipped: SkippedEntry): void {
  counts.skipped++;
  process.stderr.write(`deltanode: skipped ${skipped.path} (${skipped.reason === 'special' ? 'special file' : 'vanished'})\n`);
}

function anomalyLines(counts: AnomalyCounts): string {
  let text = '';
  if (counts.changedDuringScan > 0) {
    text += `warning: ${counts.changedDuringScan} files changed while they were read; their digests describe no single version (run again)\n`;
  }
  if (counts.silentCorruption > 0) {
    text += `warning: ${counts.silentCorruption} files have other content than recorded under the same size, mtime and inode (silent corruption?)\n`;
  }
  return text;
}

function rowNote(row: ComparisonRow): string {
  const entry = row.entries.find((e) => e?.error || e?.changedDuringScan);
  if (!entry) return '';
  return entry.error ? `  ! ${entry.error.code}` : '  ! changed while read';
}

function sumProgress(parts: ReadonlyArray<InventoryProgress | undefined>): InventoryProgress {
  const total: InventoryProgress = { entries: 0, filesHashed: 0, filesFromCache: 0, bytesHashed: 0, rate: 0 };
  for (const part of parts) {
    if (!part) continue;
    total.entries += part.entries;
    total.filesHashed += part.filesHashed;
    total.filesFromCache += part.filesFromCache;
    total.bytesHashed += part.bytesHashed;
    total.rate += part.rate;
  }
  return total;
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
