// Custom sync rules, in the style of ByteSync's data synchronization rules: conditions over one
// comparison row (one path, one entry or null per node), combined with all/any/not, lead to
// actions. A rule set comes from JSON a person wrote, so parsing checks every part and names
// where a problem is; planning a row then needs no checks. An override (by path) comes before
// the rules; among the rules the first whose condition holds decides, later ones are not asked.
import { InvalidArgumentError } from '../errors.js';
import { type ComparisonRow, MTIME_WINDOW_NS, sameContent } from '../node/compare.js';
import type { EntryType, InventoryEntry } from '../node/entries.js';
import { globToRegExp } from '../node/ignore.js';
import { type Action, differsInMetadata, type LocalContentLookup, writeAction } from './plan.js';

// ---------------------------------------------------------------------------------------------
// The JSON shape a rules file holds. Nodes are named as the session names them.

/** A node of the session, by its name. */
export type NodeName = string;

/** A rules file: overrides by path first, then rules in order. At least one of either. */
export interface RulesJson {
  rules?: RuleJson[];
  overrides?: OverrideJson[];
}

/** `then` is done for a path when `when` holds for it and no earlier rule's did. */
export interface RuleJson {
  /** Shown in each action's reason. */
  name?: string;
  when: ConditionJson;
  then: ActionJson;
}

/** `then` for every path equal to `path` or matched by it as a glob, whatever the rules say. */
export interface OverrideJson {
  path: string;
  then: ActionJson;
}

export type ConditionJson =
  /** The node holds the path (of any type) / lacks it. */
  | { exists: NodeName }
  | { missing: NodeName }
  | { type: EntryType; on: NodeName }
  /** equal: every listed node (two or more) holds the path with the same content; different: not equal. */
  | { content: 'equal' | 'different'; nodes: NodeName[] }
  /** By mtime (two nodes': apart by the comparison's window or more); false when either side lacks the path. `date`: ISO 8601 with a zone. */
  | { newer: NodeName; than: NodeName | { date: string } }
  | { older: NodeName; than: NodeName | { date: string } }
  /** By size of files; false when either side holds no file there. */
  | { bigger: NodeName; than: NodeName | { bytes: number } }
  | { smaller: NodeName; than: NodeName | { bytes: number } }
  /** A gitignore glob over the inventory path (`alias/relative/path`); without a '/', over the name. */
  | { path: string }
  | { all: ConditionJson[] }
  | { any: ConditionJson[] }
  | { not: ConditionJson };

/** One node, several, or "others": every node but the source (a node called "others" is named in a list). */
export type TargetsJson = NodeName | NodeName[];

export type ActionJson =
  /** copy: content and metadata; copy-content: content only (mtime now); copy-metadata: mode and mtime only. */
  | { action: 'copy' | 'copy-content' | 'copy-metadata'; from: NodeName; to: TargetsJson }
  /** A folder (mode 0o755 unless given) where the node has none, replacing what stands there. */
  | { action: 'make-folder'; on: NodeName | NodeName[]; mode?: number }
  /** Removes the path where the node holds it. */
  | { action: 'delete'; on: NodeName | NodeName[] }
  | { action: 'nothing' };

// ---------------------------------------------------------------------------------------------
// A parsed rule set: node names resolved to indexes, globs and dates compiled.

export type Condition =
  | { kind: 'exists' | 'missing'; node: number }
  | { kind: 'type'; type: EntryType; node: number }
  | { kind: 'content'; equal: boolean; nodes: number[] }
  | { kind: 'mtime'; relation: 'newer' | 'older'; node: number; than: { node: number } | { ns: bigint } }
  | { kind: 'size'; relation: 'bigger' | 'smaller'; node: number; than: { node: number } | { bytes: number } }
  | { kind: 'path'; pattern: RegExp }
  | { kind: 'all' | 'any'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition };

export type RuleAction =
  | { kind: 'copy' | 'copy-content' | 'copy-metadata'; from: number; to: number[] }
  | { kind: 'make-folder'; on: number[]; mode: number }
  | { kind: 'delete'; on: number[] }
  | { kind: 'nothing' };

interface Decider {
  /** How reasons name it: `rule "name" (#2)`, `rule #2`, `override "docs/**" (#1)` (numbered from 1). */
  label: string;
  then: RuleAction;
}

export interface Rule extends Decider {
  when: Condition;
}

export interface Override extends Decider {
  path: string;
  pattern: RegExp;
}

export interface RuleSet {
  /** The session's node names, by index: reasons name nodes with them. */
  nodeNames: readonly string[];
  rules: Rule[];
  overrides: Override[];
}

export interface RuleContext {
  findLocal: LocalContentLookup;
  /** Files smaller than this are sent whole (as in the mirror planner). */
  deltaMinimum?: number;
  /** Nanoseconds: the mtime that content-only copies get. */
  now: bigint;
}

const DEFAULT_FOLDER_MODE = 0o755;

// ---------------------------------------------------------------------------------------------
// Parsing. `at` is where a value sits in the JSON, as in `rules[2].when.all[1]`.

type JsonObject = Record<string, unknown>;

function fail(at: string, problem: string): never {
  throw new InvalidArgumentError(`${at}: ${problem}`);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const listed = (items: readonly string[]) => items.join(', ');

function objectAt(value: unknown, at: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(at, `expected an object, got ${describe(value)}`);
  return value as JsonObject;
}

function onlyKeys(object: JsonObject, at: string, known: readonly string[]): void {
  const unknown = Object.keys(object).find((key) => !known.includes(key));
  if (unknown !== undefined) fail(at, `unknown key "${unknown}" (known: ${listed(known)})`);
}

function field(object: JsonObject, key: string, at: string): unknown {
  if (!Object.hasOwn(object, key)) fail(at, `missing "${key}"`);
  return object[key];
}

function stringAt(value: unknown, at: string): string {
  if (typeof value !== 'string') fail(at, `expected a string, got ${describe(value)}`);
  return value;
}

function oneOf<T extends string>(value: unknown, at: string, known: readonly T[], what: string): T {
  const text = stringAt(value, at);
  if (!(known as readonly string[]).includes(text)) fail(at, `unknown ${what} "${text}" (known: ${listed(known)})`);
  return text as T;
}

function arrayAt(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) fail(at, `expected an array, got ${describe(value)}`);
  return value;
}

function nonEmptyArrayAt(value: unknown, at: string): unknown[] {
  const items = arrayAt(value, at);
  if (items.length === 0) fail(at, 'expected at least one item');
  return items;
}

function nodeAt(value: unknown, at: string, names: readonly string[]): number {
  const name = stringAt(value, at);
  const index = names.indexOf(name);
  if (index < 0) fail(at, `unknown node "${name}" (known: ${listed(names)})`);
  return index;
}

// A node or a list of distinct nodes.
function nodesAt(value: unknown, at: string, names: readonly string[]): number[] {
  if (!Array.isArray(value)) return [nodeAt(value, at, names)];
  const nodes = nonEmptyArrayAt(value, at).map((item, i) => nodeAt(item, `${at}[${i}]`, names));
  const twice = nodes.findIndex((node, i) => nodes.indexOf(node) !== i);
  if (twice >= 0) fail(`${at}[${twice}]`, `node "${names[nodes[twice]!]}" is listed twice`);
  return nodes;
}

function compileGlob(value: unknown, at: string): RegExp {
  const glob = stringAt(value, at);
  if (glob === '') fail(at, 'empty path pattern');
  // gitignore would match folders only; here a type condition says that.
  if (glob.endsWith('/')) fail(at, `"${glob}" ends with "/": drop it (and add a "type": "folder" condition for folders only)`);
  const anchored = glob.includes('/');
  try {
    return new RegExp(globToRegExp(glob.startsWith('/') ? glob.slice(1) : glob, anchored), 'u');
  } catch {
    return fail(at, `invalid glob "${glob}"`);
  }
}

const isoDateTime = new RegExp('^(?<year>\\d{4})-(?<month>\\d{2})-(?<day>\\d{2})T(?<hour>\\d{2}):(?<minute>\\d{2})'
  + '(?::(?<second>\\d{2})(?:\\.(?<fraction>\\d{1,9}))?)?(?:Z|[+-](?<offsetHours>\\d{2}):(?<offsetMinutes>\\d{2}))$');

// The Gregorian calendar repeats every 400 years: any year maps onto one in 2000-2399, which
// Date.UTC takes as it is (it reads 0-99 as 1900-1999).
const daysInMonth = (year: number, month: number) => new Date(Date.UTC(2000 + (year % 400), month, 0)).getUTCDate();

// Date.parse rolls "02-30" over to March: every field is checked against the calendar first.
function inCalendar(fields: Record<string, string | undefined>): boolean {
  const number = (name: string) => Number(fields[name] ?? 0);
  const month = number('month');
  const day = number('day');
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(number('year'), month) && number('hour') <= 23
    && number('minute') <= 59 && number('second') <= 59 && number('offsetHours') <= 23 && number('offsetMinutes') <= 59;
}

/** Nanoseconds since the epoch of an ISO 8601 date and time with an explicit zone. */
function dateAt(value: unknown, at: string): bigint {
  const text = stringAt(value, at);
  const fields = isoDateTime.exec(text)?.groups;
  if (!fields || !inCalendar(fields)) fail(at, `"${text}" is not an ISO 8601 date and time with a zone, like 2026-01-01T00:00:00Z`);
  // Date keeps milliseconds: the fraction is added apart so nanoseconds survive.
  const wholeSecondsMs = Date.parse(text.replace(/\.\d+/, ''));
  return BigInt(wholeSecondsMs) * 1_000_000n + BigInt((fields.fraction ?? '').padEnd(9, '0'));
}

function bytesAt(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(at, `expected a whole number of bytes, 0 or more, got ${describe(value)}`);
  }
  return value;
}

function modeAt(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0o7777) {
    fail(at, `expected permission bits from 0 to 4095 (0o7777), got ${describe(value)}`);
  }
  return value;
}

// `than`: another node's name, or a fixed value under `key`.
function referenceAt<T>(value: unknown, at: string, names: readonly string[], key: string, parse: (value: unknown, at: string) => T):
  { node: number } | { value: T } {
  if (typeof value === 'string') return { node: nodeAt(value, at, names) };
  const object = objectAt(value, at);
  onlyKeys(object, at, [key]);
  return { value: parse(field(object, key, at), `${at}.${key}`) };
}

type ConditionParser = (object: JsonObject, at: string, names: readonly string[]) => Condition;

function mtimeParser(relation: 'newer' | 'older'): ConditionParser {
  return (object, at, names) => {
    const node = nodeAt(object[relation], `${at}.${relation}`, names);
    const than = referenceAt(field(object, 'than', at), `${at}.than`, names, 'date', dateAt);
    return { kind: 'mtime', relation, node, than: 'node' in than ? than : { ns: than.value } };
  };
}

function sizeParser(relation: 'bigger' | 'smaller'): ConditionParser {
  return (object, at, names) => {
    const node = nodeAt(object[relation], `${at}.${relation}`, names);
    const than = referenceAt(field(object, 'than', at), `${at}.than`, names, 'bytes', bytesAt);
    return { kind: 'size', relation, node, than: 'node' in than ? than : { bytes: than.value } };
  };
}

function groupParser(kind: 'all' | 'any'): ConditionParser {
  return (object, at, names) => ({ kind, conditions: nonEmptyArrayAt(object[kind], `${at}.${kind}`)
    .map((item, i) => parseCondition(item, `${at}.${kind}[${i}]`, names)) });
}

// Each condition kind: the keys its object may hold (the kind's own first) and how it is read.
const conditionKinds = new Map<string, { keys: readonly string[]; parse: ConditionParser }>([
  ['exists', { keys: ['exists'], parse: (object, at, names) => ({ kind: 'exists', node: nodeAt(object.exists, `${at}.exists`, names) }) }],
  ['missing', { keys: ['missing'], parse: (object, at, names) => ({ kind: 'missing', node: nodeAt(object.missing, `${at}.missing`, names) }) }],
  ['type', { keys: ['type', 'on'], parse: (object, at, names) => ({ kind: 'type',
    type: oneOf(object.type, `${at}.type`, ['file', 'folder', 'symlink'] as const, 'type'),
    node: nodeAt(field(object, 'on', at), `${at}.on`, names) }) }],
  ['content', { keys: ['content', 'nodes'], parse: (object, at, names) => {
    const equal = oneOf(object.content, `${at}.content`, ['equal', 'different'] as const, 'comparison') === 'equal';
    const nodes = nodesAt(arrayAt(field(object, 'nodes', at), `${at}.nodes`), `${at}.nodes`, names);
    if (nodes.length < 2) fail(`${at}.nodes`, 'expected two or more nodes');
    return { kind: 'content', equal, nodes };
  } }],
  ['newer', { keys: ['newer', 'than'], parse: mtimeParser('newer') }],
  ['older', { keys: ['older', 'than'], parse: mtimeParser('older') }],
  ['bigger', { keys: ['bigger', 'than'], parse: sizeParser('bigger') }],
  ['smaller', { keys: ['smaller', 'than'], parse: sizeParser('smaller') }],
  ['path', { keys: ['path'], parse: (object, at) => ({ kind: 'path', pattern: compileGlob(object.path, `${at}.path`) }) }],
  ['all', { keys: ['all'], parse: groupParser('all') }],
  ['any', { keys: ['any'], parse: groupParser('any') }],
  ['not', { keys: ['not'], parse: (object, at, names) => ({ kind: 'not', condition: parseCondition(object.not, `${at}.not`, names) }) }],
]);

function parseCondition(value: unknown, at: string, names: readonly string[]): Condition {
  const object = objectAt(value, at);
  const keys = Object.keys(object);
  const kinds = keys.filter((key) => conditionKinds.has(key));
  const known = listed([...conditionKinds.keys()]);
  if (kinds.length === 0) fail(at, keys.length === 0 ? `empty condition (known: ${known})` : `unknown condition "${keys[0]}" (known: ${known})`);
  if (kinds.length > 1) fail(at, `one condition per object, found ${kinds.map((kind) => `"${kind}"`).join(' and ')}: combine them with "all" or "any"`);
  const kind = conditionKinds.get(kinds[0]!)!;
  onlyKeys(object, at, kind.keys);
  return kind.parse(object, at, names);
}

const actionKinds = ['copy', 'copy-content', 'copy-metadata', 'make-folder', 'delete', 'nothing'] as const;

// Where to copy to: "others" is every node but the source; the source itself may not be a target.
function targetsAt(value: unknown, at: string, from: number, names: readonly string[]): number[] {
  if (value === 'others') return names.map((_, node) => node).filter((node) => node !== from);
  const targets = nodesAt(value, at, names);
  if (targets.includes(from)) fail(at, `"${names[from]}" is the source ("from") and cannot be a target too`);
  return targets;
}

function parseAction(value: unknown, at: string, names: readonly string[]): RuleAction {
  const object = objectAt(value, at);
  const kind = oneOf(field(object, 'action', at), `${at}.action`, actionKinds, 'action');
  switch (kind) {
    case 'copy':
    case 'copy-content':
    case 'copy-metadata': {
      onlyKeys(object, at, ['action', 'from', 'to']);
      const from = nodeAt(field(object, 'from', at), `${at}.from`, names);
      return { kind, from, to: targetsAt(field(object, 'to', at), `${at}.to`, from, names) };
    }
    case 'make-folder':
      onlyKeys(object, at, ['action', 'on', 'mode']);
      return { kind, on: nodesAt(field(object, 'on', at), `${at}.on`, names),
        mode: object.mode === undefined ? DEFAULT_FOLDER_MODE : modeAt(object.mode, `${at}.mode`) };
    case 'delete':
      onlyKeys(object, at, ['action', 'on']);
      return { kind, on: nodesAt(field(object, 'on', at), `${at}.on`, names) };
    case 'nothing':
      onlyKeys(object, at, ['action']);
      return { kind };
  }
}

function parseRule(value: unknown, at: string, number: number, names: readonly string[]): Rule {
  const object = objectAt(value, at);
  onlyKeys(object, at, ['name', 'when', 'then']);
  const name = object.name === undefined ? undefined : stringAt(object.name, `${at}.name`);
  return {
    label: name === undefined ? `rule #${number}` : `rule ${JSON.stringify(name)} (#${number})`,
    when: parseCondition(field(object, 'when', at), `${at}.when`, names),
    then: parseAction(field(object, 'then', at), `${at}.then`, names),
  };
}

function parseOverride(value: unknown, at: string, number: number, names: readonly string[]): Override {
  const object = objectAt(value, at);
  onlyKeys(object, at, ['path', 'then']);
  const path = stringAt(field(object, 'path', at), `${at}.path`);
  return { label: `override ${JSON.stringify(path)} (#${number})`, path, pattern: compileGlob(path, `${at}.path`),
    then: parseAction(field(object, 'then', at), `${at}.then`, names) };
}

/**
 * Checks a rules file's JSON value and resolves its node names to indexes in `nodeNames` (the
 * session's nodes, in order). Any problem throws InvalidArgumentError naming where it is.
 */
export function parseRules(value: unknown, nodeNames: readonly string[]): RuleSet {
  const object = objectAt(value, 'rules file');
  onlyKeys(object, 'rules file', ['rules', 'overrides']);
  const list = (key: string) => (object[key] === undefined ? [] : arrayAt(object[key], key));
  const rules = list('rules').map((rule, i) => parseRule(rule, `rules[${i}]`, i + 1, nodeNames));
  const overrides = list('overrides').map((override, i) => parseOverride(override, `overrides[${i}]`, i + 1, nodeNames));
  if (rules.length + overrides.length === 0) fail('rules file', 'no rules and no overrides: nothing would ever be done');
  return { nodeNames, rules, overrides };
}

// ---------------------------------------------------------------------------------------------
// Deciding and planning one row.

const fileSize = (entry: InventoryEntry | null | undefined) => (entry?.type === 'file' ? entry.size : undefined);

function holds(condition: Condition, row: ComparisonRow): boolean {
  const entryOn = (node: number) => row.entries[node] ?? null;
  switch (condition.kind) {
    case 'exists': return entryOn(condition.node) !== null;
    case 'missing': return entryOn(condition.node) === null;
    case 'type': return entryOn(condition.node)?.type === condition.type;
    case 'content': return allSameContent(condition.nodes.map(entryOn)) === condition.equal;
    case 'mtime': {
      const mtime = entryOn(condition.node)?.mtimeNs;
      const than = 'node' in condition.than ? entryOn(condition.than.node)?.mtimeNs : condition.than.ns;
      if (mtime === undefined || than === undefined) return false;
      // Two nodes' mtimes closer than the window are the same, as for the mirror planner; a date is exact.
      const margin = 'node' in condition.than ? MTIME_WINDOW_NS : 1n;
      return (condition.relation === 'newer' ? mtime - than : than - mtime) >= margin;
    }
    case 'size': {
      const size = fileSize(entryOn(condition.node));
      const than = 'node' in condition.than ? fileSize(entryOn(condition.than.node)) : condition.than.bytes;
      if (size === undefined || than === undefined) return false;
      return condition.relation === 'bigger' ? size > than : size < than;
    }
    case 'path': return condition.pattern.test(row.path);
    case 'all': return condition.conditions.every((inner) => holds(inner, row));
    case 'any': return condition.conditions.some((inner) => holds(inner, row));
    case 'not': return !holds(condition.condition, row);
  }
}

// A node lacking the path holds nothing equal to anything.
function allSameContent(entries: Array<InventoryEntry | null>): boolean {
  const [first, ...rest] = entries;
  return !!first && rest.every((entry) => entry !== null && sameContent(first, entry));
}

function overrides(override: Override, path: string): boolean {
  return override.path === path || override.pattern.test(path);
}

/** Completes an action's reason: which rule, what it does, and `why` for this node. */
type Reason = (why: string) => string;

function whyReplace(entry: InventoryEntry | null, source: InventoryEntry): string {
  if (!entry) return 'missing';
  if (entry.type === source.type) return source.type === 'symlink' ? 'link target differs' : 'content differs';
  return `a ${entry.type} stands where the source has a ${source.type}`;
}

// The sequences planMirrorRow makes for each pair of types, with a content-only variant.
function copyActions(row: ComparisonRow, from: number, target: number, contentOnly: boolean, reason: Reason,
  context: RuleContext): Action[] {
  const source = row.entries[from] ?? null;
  if (!source) return [];
  const entry = row.entries[target] ?? null;
  const { path } = row;
  if (entry && sameContent(source, entry)) {
    if (contentOnly || !differsInMetadata(source, entry)) return [];
    return [{ kind: 'metadata', path, target, from, entry: source, reason: reason('mode or mtime differs') }];
  }
  // Folders always hold the same content as each other, so `entry` is no folder here.
  if (source.type === 'folder') return [{ kind: 'folder', path, target, mode: source.mode, reason: reason(whyReplace(entry, source)) }];
  const actions: Action[] = [];
  if (entry?.type === 'folder') actions.push({ kind: 'remove', path, target, reason: reason(whyReplace(entry, source)) });
  if (source.type === 'symlink') {
    actions.push({ kind: 'link', path, target, linkTarget: source.linkTarget ?? '', reason: reason(whyReplace(entry, source)) });
  } else {
    actions.push(writeAction(row, from, target, reason(whyReplace(entry, source)), context.findLocal,
      { deltaMinimum: context.deltaMinimum, ...(contentOnly ? { contentOnly: { now: context.now } } : {}) }));
  }
  return actions;
}

function metadataActions(row: ComparisonRow, from: number, target: number, reason: Reason): Action[] {
  const source = row.entries[from] ?? null;
  const entry = row.entries[target] ?? null;
  if (!source || entry?.type !== source.type || !differsInMetadata(source, entry)) return [];
  return [{ kind: 'metadata', path: row.path, target, from, entry: source, reason: reason('mode or mtime differs') }];
}

function makeFolderActions(row: ComparisonRow, node: number, mode: number, reason: Reason): Action[] {
  const entry = row.entries[node] ?? null;
  if (entry?.type === 'folder') return [];
  if (!entry) return [{ kind: 'folder', path: row.path, target: node, mode, reason: reason('missing') }];
  const why = reason(`a ${entry.type} stands where a folder is wanted`);
  return [{ kind: 'remove', path: row.path, target: node, reason: why }, { kind: 'folder', path: row.path, target: node, mode, reason: why }];
}

// After the writes, as the mirror planner's removals: a deleted file may serve another path's local copy.
function deleteActions(row: ComparisonRow, node: number, reason: Reason): Action[] {
  const entry = row.entries[node] ?? null;
  return entry ? [{ kind: 'remove', path: row.path, target: node, reason: reason(`a ${entry.type} is there`), afterWrites: true }] : [];
}

function actionsOf(decider: Decider, row: ComparisonRow, names: readonly string[], context: RuleContext): Action[] {
  const { label, then } = decider;
  const explain = (what: string): Reason => (why) => `${label}: ${what}: ${why}`;
  switch (then.kind) {
    case 'copy':
    case 'copy-content':
      return then.to.flatMap((target) => copyActions(row, then.from, target, then.kind === 'copy-content',
        explain(`${then.kind} ${names[then.from]} -> ${names[target]}`), context));
    case 'copy-metadata':
      return then.to.flatMap((target) => metadataActions(row, then.from, target, explain(`copy-metadata ${names[then.from]} -> ${names[target]}`)));
    case 'make-folder':
      return then.on.flatMap((node) => makeFolderActions(row, node, then.mode, explain(`make-folder on ${names[node]}`)));
    case 'delete':
      return then.on.flatMap((node) => deleteActions(row, node, explain(`delete on ${names[node]}`)));
    case 'nothing':
      return [];
  }
}

/**
 * The actions for one row, in the order they must run: an override matching its path decides,
 * otherwise the first rule whose condition holds; none: nothing.
 */
export function planRuleRow(row: ComparisonRow, rules: RuleSet, context: RuleContext): Action[] {
  // An unreadable entry anywhere: nothing can be proven about this path, so nothing is changed.
  if (row.status === 'error') return [];
  const decider = rules.overrides.find((override) => overrides(override, row.path)) ?? rules.rules.find((rule) => holds(rule.when, row));
  return decider ? actionsOf(decider, row, rules.nodeNames, context) : [];
}
