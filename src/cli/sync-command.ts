// deltanode sync: make the other nodes identical to one (mirror). A plan line per action with
// --dry-run, an outcome line per failed action (every one with --json), a summary with the bytes
// moved by method and the verification; progress on stderr.
import { LocalDataNode } from '../node/local-node.js';
import type { ActionOutcome } from '../session/execute.js';
import type { Action } from '../session/plan.js';
import { Session, type SyncEvent, type SyncReport } from '../session/session.js';
import { hashPolicy, parseNodeArgument, PLAIN_ALIAS, stateFolderFor } from './node-commands.js';
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
} as const;

export async function runSyncCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  const mode = values.mode ?? 'mirror';
  if (mode === 'two-way') throw new UsageError('--mode two-way is not available yet; use --mode mirror --from NODE');
  if (mode !== 'mirror') throw new UsageError('--mode must be mirror or two-way');
  if (positionals.length < 2) throw new UsageError('sync takes two or more NODEs');
  const specs = positionals.map(parseNodeArgument);
  const names = specs.map((spec) => spec.name);
  const from = values.from ?? names[0]!;
  if (!names.includes(from)) throw new UsageError(`--from ${from} is none of the nodes (${names.join(', ')})`);
  const hash = hashPolicy(values.hash);
  const allPlain = specs.every((spec) => spec.sources.length === 1 && spec.sources[0]!.alias === PLAIN_ALIAS);
  const shown = (p: string) => (allPlain ? p.slice(PLAIN_ALIAS.length + 1) || '.' : p);
  const nodes = specs.map((spec) => new LocalDataNode({ ...spec, stateFolder: stateFolderFor(spec, values.state) }));
  const out = process.stdout;
  const write = writeOut;
  const describe = (action: Action) => {
    const what = action.kind === 'write' ? `${action.method === 'local' ? `copy from ${shown(action.localFrom!)}` : action.method}` : action.kind;
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
    } else if (event.type === 'phase' && !values.json && !values['dry-run'] && process.stderr.isTTY === false) {
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
      report = await session.sync({ mode: 'mirror', from, delete: values.delete === true, dryRun: values['dry-run'] === true,
        hash, trash: values['no-trash'] !== true, onEvent });
    } finally {
      clearInterval(flusher);
      line.done();
    }
    await write(text);
    if (values.json) {
      await write(`\n],"report":${JSON.stringify(report)}}\n`);
    } else {
      await write(summary(report));
    }
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
  if (report.failed > 0 || report.skippedUnreadable > 0) return 1;
  if (report.verify && !report.verify.identical) return 1;
  return 0;
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

function summary(report: SyncReport): string {
  const moved = report.bytesByMethod;
  const lines = [];
  if (report.dryRun) {
    lines.push(`dry run: ${report.planned.actions} actions planned, up to ${formatBytes(report.planned.bytesExpected)} to send; nothing was changed`);
  } else {
    lines.push(`${report.done} actions done, ${report.failed} failed in ${report.seconds.toFixed(1)} s; moved ${formatBytes(moved.whole)} whole, ` +
      `${formatBytes(moved.delta)} as deltas and signatures, ${formatBytes(moved.local)} copied locally; source read ${formatBytes(report.bytesRead)}`);
  }
  if (report.skippedUnreadable > 0) lines.push(`${report.skippedUnreadable} paths left alone: unreadable on some node`);
  if (report.verify) {
    const v = report.verify;
    lines.push(v.identical
      ? `verified: every node matches ${report.from}${v.extraOnTargets ? ` (${v.extraOnTargets} paths only on targets kept; --delete removes them)` : ''}`
      : `NOT verified: ${v.differing} paths differ, ${v.errors} unreadable`);
  }
  return `${lines.join('\n')}\n`;
}
