// deltanode sync: make the other nodes identical to one (mirror), let changes flow both ways
// (two-way), or follow a rules file. A plan line per action with --dry-run, an outcome line per
// failed action (every one with --json), conflicts, a summary with the bytes moved by method and
// the verification; progress on stderr.
import { promises as fs } from 'node:fs';
import { describeFailure } from '../errors.js';
import type { ActionOutcome } from '../session/execute.js';
import type { Action } from '../session/plan.js';
import type { RulesJson } from '../session/rules.js';
import { Session, type SyncEvent, type SyncReport } from '../session/session.js';
import { commandNodes, hashPolicy, type MemberNodes, parseNodeArgument, PLAIN_ALIAS, sessionStateFolder } from './node-commands.js';
import { formatBytes, statusLine } from './progress.js';
import { parseCommandLine, UsageError, writeOut } from './usage.js';

const options = {
  mode: { type: 'string' },
  from: { type: 'string' },
  delete: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  state: { type: 'string' },
  hash: { type: 'string' },
  'no-trash': { type: 'boolean' },
  rules: { type: 'string' },
} as const;

async function readRules(file: string): Promise<unknown> {
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--rules ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--rules ${file} is not JSON: ${(error as Error).message}`);
  }
}

export async function runSyncCommand(args: readonly string[], members?: MemberNodes): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  const mode = values.mode ?? (values.rules !== undefined ? 'rules' : 'mirror');
  if (mode !== 'mirror' && mode !== 'two-way' && mode !== 'rules') throw new UsageError('--mode must be mirror, two-way or rules');
  if (mode === 'rules' && values.rules === undefined) throw new UsageError('--mode rules needs --rules FILE');
  if (mode !== 'rules' && values.rules !== undefined) throw new UsageError(`--rules goes with --mode rules, not ${mode}`);
  if (mode !== 'mirror' && (values.from !== undefined || values.delete !== undefined)) {
    throw new UsageError(`--from and --delete belong to --mode mirror; ${mode} decides per path`);
  }
  const count = positionals.length + (members?.count ?? 0);
  if (count < 2) throw new UsageError('sync takes two or more NODEs');
  if (mode === 'two-way' && count !== 2) throw new UsageError('--mode two-way takes two NODEs');
  const specs = positionals.map(parseNodeArgument);
  const rules = values.rules !== undefined ? await readRules(values.rules) : undefined;
  const hash = hashPolicy(values.hash);
  const nodes = await commandNodes(specs, values.state, members);
  const names = nodes.map((node) => node.name);
  let from = names[0]!;
  try {
    from = checkFrom(values.from, names);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.close()));
    throw error;
  }
  const allPlain = nodes.every((node) => node.sources.length === 1 && node.sources[0]!.alias === PLAIN_ALIAS);
  const shown = (p: string) => (allPlain ? p.slice(PLAIN_ALIAS.length + 1) || '.' : p);
  const out = process.stdout;
  const write = writeOut;
  const describe = (action: Action) => {
    const what = action.kind === 'write' ? `${action.method === 'local' ? `copy from ${shown(action.localFrom!)}` : action.method}` : action.kind;
    if (action.kind === 'write' && action.from !== action.target && mode !== 'mirror') {
      return `${what.padEnd(8)} ${names[action.from]!} -> ${names[action.target]!}  ${shown(action.path)}  (${action.reason})`;
    }
    return `${what.padEnd(8)} ${names[action.target]!.padEnd(8)} ${shown(action.path)}  (${action.reason})`;
  };
  const line = statusLine((event: Extract<SyncEvent, { type: 'progress' }>) => {
    const eta = event.etaSeconds === null ? '' : `, ${Math.ceil(event.etaSeconds)} s left`;
    return `sync: ${event.actionsDone}/${event.actionsTotal} actions, ${formatBytes(event.bytesDone)}/${formatBytes(event.bytesTotal)}` +
      ` at ${formatBytes(event.rate)}/s${eta}`;
  });
  let text = '';
  let first = true;
  const jsonItem = (item: object) => {
    text += `${first ? '' : ','}\n${JSON.stringify(item)}`;
    first = false;
  };
  const onEvent = (event: SyncEvent) => {
    if (event.type === 'planned' && values['dry-run']) {
      if (values.json) jsonItem(jsonAction(event.action, names));
      else text += `${describe(event.action)}\n`;
    } else if (event.type === 'outcome') {
      if (values.json) jsonItem(jsonOutcome(event.outcome, names));
      else if (event.outcome.status === 'failed') {
        process.stderr.write(`deltanode: failed: ${describe(event.outcome.action)}: ${event.outcome.error?.message ?? ''}\n`);
      }
    } else if (event.type === 'progress') {
      line.onProgress?.(event);
    } else if (event.type === 'phase' && !values.json && !values['dry-run'] && process.stderr.isTTY !== true) {
      process.stderr.write(`deltanode: ${event.phase}\n`);
    }
  };
  let report: SyncReport;
  try {
    if (values.json) await write(`{"${values['dry-run'] ? 'plan' : 'actions'}":[`);
    const session = new Session(nodes);
    // Output gathered during a step is written between steps (events are synchronous).
    const flusher = setInterval(() => {
      if (text) {
        out.write(text);
        text = '';
      }
    }, 100);
    try {
      const common = { dryRun: values['dry-run'] === true, hash, trash: values['no-trash'] !== true, onEvent };
      if (mode === 'mirror') report = await session.sync({ mode, from, delete: values.delete === true, ...common });
      else if (mode === 'rules') report = await session.sync({ mode, rules: rules as RulesJson, ...common });
      else report = await session.sync({ mode, stateFolder: sessionStateFolder(values.state), ...common });
    } finally {
      clearInterval(flusher);
      line.done();
    }
    await write(text);
    text = '';
    if (values.json) {
      await write(`\n],"report":${JSON.stringify(report)}}\n`);
    } else {
      await write(summary(report, shown));
    }
  } catch (error) {
    // A script reading --json still gets a whole document, with the reason in place of the report.
    if (values.json) await write(`${text}\n],"error":${JSON.stringify(describeFailure(error))}}\n`).catch(() => undefined);
    throw error;
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
  if (report.failed > 0 || report.skippedUnreadable > 0) return 1;
  if (report.verify && !report.verify.identical) return 1;
  return 0;
}

function checkFrom(from: string | undefined, names: readonly string[]): string {
  if (from === undefined) return names[0]!;
  if (!names.includes(from)) throw new UsageError(`--from ${from} is none of the nodes (${names.join(', ')})`);
  return from;
}

function jsonAction(action: Action, names: readonly string[]) {
  const base = { kind: action.kind, path: action.path, node: names[action.target], reason: action.reason };
  if (action.kind === 'write') {
    return { ...base, method: action.method, size: action.entry.size, ...(action.localFrom !== undefined ? { localFrom: action.localFrom } : {}) };
  }
  if (action.kind === 'link') return { ...base, linkTarget: action.linkTarget };
  return base;
}

function jsonOutcome(outcome: ActionOutcome, names: readonly string[]) {
  return { ...jsonAction(outcome.action, names), status: outcome.status, bytesMoved: outcome.bytesMoved,
    ...(outcome.error ? { error: outcome.error } : {}) };
}

function summary(report: SyncReport, shown: (path: string) => string): string {
  const moved = report.bytesByMethod;
  const lines = report.conflicts.map((conflict) => `conflict: ${shown(conflict.path)}: ${conflict.reason}` +
    (conflict.keptAs ? `; the other is kept as ${shown(conflict.keptAs)}` : ''));
  if (report.conflictCount > report.conflicts.length) lines.push(`... and ${report.conflictCount - report.conflicts.length} more conflicts (--json lists the first 1000)`);
  if (report.dryRun) {
    lines.push(`dry run: ${report.planned.actions} actions planned, up to ${formatBytes(report.planned.bytesExpected)} to send; nothing was changed`);
  } else {
    lines.push(`${report.done} actions done, ${report.failed} failed in ${report.seconds.toFixed(1)} s; moved ${formatBytes(moved.whole)} whole, ` +
      `${formatBytes(moved.delta)} as deltas and signatures, ${formatBytes(moved.local)} copied locally; source read ${formatBytes(report.bytesRead)}`);
  }
  if (report.skippedUnreadable > 0) lines.push(`${report.skippedUnreadable} paths left alone: unreadable on some node`);
  if (report.verify) {
    const v = report.verify;
    const matched = report.mode === 'mirror' ? `every node matches ${report.from}` : report.mode === 'two-way' ? 'both nodes hold the same' : 'every rule was applied';
    lines.push(v.identical
      ? `verified: ${matched}${v.extraOnTargets ? ` (${v.extraOnTargets} paths only on targets kept; --delete removes them)` : ''}`
      : `NOT verified: ${v.differing} paths differ, ${v.errors} unreadable`);
  }
  return `${lines.join('\n')}\n`;
}
