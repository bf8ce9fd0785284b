// Custom sync rules over hand-made comparison rows: every condition, first-match order, overrides,
// every action over each pair of entry types, the transfer method, and precise parse errors.
import t from 'tap';
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../src/errors.js';
import { MTIME_WINDOW_NS, type ComparisonRow, type ComparisonStatus } from '../src/node/compare.js';
import type { EntryType, InventoryEntry } from '../src/node/entries.js';
import type { Action } from '../src/session/plan.js';
import { parseRules, planRuleRow, type RuleContext } from '../src/session/rules.js';

const NAMES = ['A', 'B', 'C'];
const PATH = 'data/docs/readme.md';
const NOW = 1_800_000_000_000_000_000n;
// 2026-01-01T00:00:00Z in nanoseconds.
const NEW_YEAR = 1_767_225_600_000_000_000n;
const SECOND = 1_000_000_000n;

let nextInode = 1n;
function entry(type: EntryType, extra: Partial<InventoryEntry> = {}): InventoryEntry {
  return { path: PATH, diskPath: `/disk/${PATH}`, type, size: 0, mtimeNs: 1_000n, mode: type === 'folder' ? 0o755 : 0o644,
    inode: nextInode++, device: 1n, ...extra };
}
const digestOf = (content: string) => createHash('sha256').update(content).digest();
const file = (content: string, extra: Partial<InventoryEntry> = {}) =>
  entry('file', { size: content.length, digest: digestOf(content), ...extra });
const folder = (extra: Partial<InventoryEntry> = {}) => entry('folder', extra);
const link = (target: string, extra: Partial<InventoryEntry> = {}) => entry('symlink', { size: target.length, linkTarget: target, ...extra });

// One slot per node of NAMES (missing slots: null); entries take the row's path.
function row(entries: Array<InventoryEntry | null>, options: { path?: string; status?: ComparisonStatus } = {}): ComparisonRow {
  const path = options.path ?? PATH;
  const slots = Array.from({ length: Math.max(entries.length, NAMES.length) }, (_, node) => entries[node] ?? null);
  return { path, entries: slots.map((slot) => (slot ? { ...slot, path } : null)), groups: [], status: options.status ?? 'different' };
}

const context = (extra: Partial<RuleContext> = {}): RuleContext => ({ findLocal: () => undefined, now: NOW, ...extra });

// Whether `when` holds: the rule then makes a folder on a fourth node that never holds the path.
function holds(when: unknown, entries: Array<InventoryEntry | null>, path = PATH): boolean {
  const rules = parseRules({ rules: [{ when, then: { action: 'make-folder', on: 'probe' } }] }, [...NAMES, 'probe']);
  const padded = Array.from({ length: NAMES.length }, (_, node) => entries[node] ?? null);
  return planRuleRow(row([...padded, null], { path }), rules, context()).length > 0;
}

// The actions of a single rule that holds for every path.
function plan(then: unknown, entries: Array<InventoryEntry | null>, extra: Partial<RuleContext> = {}): { actions: Action[]; row: ComparisonRow } {
  const rules = parseRules({ rules: [{ name: 'r', when: { path: '**' }, then }] }, NAMES);
  const planned = row(entries);
  return { actions: planRuleRow(planned, rules, context(extra)), row: planned };
}

function parseError(value: unknown): { code: string; message: string } | 'parsed' {
  try {
    parseRules(value, NAMES);
    return 'parsed';
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    return { code: error.code, message: error.message };
  }
}

t.test('exists, missing, type', async (t) => {
  const cases: Array<[unknown, Array<InventoryEntry | null>, boolean]> = [
    [{ exists: 'A' }, [file('x')], true],
    [{ exists: 'A' }, [null, file('x')], false],
    [{ exists: 'B' }, [null, folder()], true],
    [{ missing: 'A' }, [null, file('x')], true],
    [{ missing: 'A' }, [link('t')], false],
    [{ type: 'file', on: 'A' }, [file('x')], true],
    [{ type: 'file', on: 'A' }, [folder()], false],
    [{ type: 'file', on: 'A' }, [null, file('x')], false],
    [{ type: 'folder', on: 'B' }, [file('x'), folder()], true],
    [{ type: 'symlink', on: 'C' }, [null, null, link('t')], true],
    [{ type: 'symlink', on: 'C' }, [null, null, file('t')], false],
  ];
  for (const [when, entries, expected] of cases) t.equal(holds(when, entries), expected, JSON.stringify(when));
});

t.test('content equal and different', async (t) => {
  const equal = { content: 'equal', nodes: ['A', 'B'] };
  const different = { content: 'different', nodes: ['A', 'B'] };
  const allThree = { content: 'equal', nodes: ['A', 'B', 'C'] };
  const cases: Array<[unknown, Array<InventoryEntry | null>, boolean, string]> = [
    [equal, [file('x'), file('x', { mode: 0o600, mtimeNs: 9n })], true, 'same digest, other metadata'],
    [equal, [file('x'), file('y')], false, 'other digest'],
    [equal, [file('x'), null], false, 'B lacks it'],
    [equal, [null, file('x')], false, 'A lacks it'],
    [equal, [null, null], false, 'both lack it'],
    [equal, [folder(), folder({ mode: 0o700 })], true, 'folders'],
    [equal, [link('t'), link('t')], true, 'links to the same target'],
    [equal, [link('t'), link('u')], false, 'links to other targets'],
    [equal, [file('x'), link('x')], false, 'other types'],
    [equal, [file('x', { digest: undefined }), file('x', { digest: undefined })], false, 'files without digests'],
    [allThree, [file('x'), file('x'), file('x')], true, 'three equal'],
    [allThree, [file('x'), file('x'), file('y')], false, 'the third differs'],
    [allThree, [file('x'), file('x'), null], false, 'the third lacks it'],
    [different, [file('x'), file('y')], true, 'different: other digest'],
    [different, [file('x'), file('x')], false, 'different: same digest'],
    [different, [file('x'), null], true, 'different: B lacks it'],
  ];
  for (const [when, entries, expected, message] of cases) t.equal(holds(when, entries), expected, message);
});

t.test('newer and older, than a node or a date', async (t) => {
  const at = (mtimeNs: bigint) => file('x', { mtimeNs });
  const cases: Array<[unknown, Array<InventoryEntry | null>, boolean, string]> = [
    [{ newer: 'A', than: 'B' }, [at(SECOND * 2n), at(SECOND)], true, 'A newer'],
    [{ newer: 'A', than: 'B' }, [at(SECOND), at(SECOND)], false, 'same mtime'],
    [{ newer: 'A', than: 'B' }, [at(SECOND), at(SECOND * 2n)], false, 'A older'],
    [{ newer: 'A', than: 'B' }, [at(SECOND + MTIME_WINDOW_NS - 1n), at(SECOND)], false, 'closer than the window: the same'],
    [{ newer: 'A', than: 'B' }, [at(SECOND + MTIME_WINDOW_NS), at(SECOND)], true, 'the window apart: newer'],
    [{ newer: 'A', than: 'B' }, [at(SECOND), null], false, 'B lacks it'],
    [{ newer: 'A', than: 'B' }, [null, at(SECOND)], false, 'A lacks it'],
    [{ older: 'A', than: 'B' }, [at(SECOND), at(SECOND * 2n)], true, 'A older'],
    [{ older: 'A', than: 'B' }, [at(SECOND * 2n), at(SECOND)], false, 'A newer: not older'],
    [{ older: 'A', than: 'B' }, [at(SECOND), at(SECOND + MTIME_WINDOW_NS - 1n)], false, 'older, closer than the window'],
    [{ older: 'A', than: 'B' }, [at(SECOND), null], false, 'older, B lacks it'],
    [{ newer: 'B', than: 'C' }, [null, folder({ mtimeNs: SECOND }), link('t', { mtimeNs: 0n })], true, 'any type has an mtime'],
    [{ newer: 'A', than: { date: '2026-01-01T00:00:00Z' } }, [at(NEW_YEAR + 1n)], true, 'after the date'],
    [{ newer: 'A', than: { date: '2026-01-01T00:00:00Z' } }, [at(NEW_YEAR)], false, 'at the date'],
    [{ newer: 'A', than: { date: '2026-01-01T00:00:00Z' } }, [null], false, 'A lacks it'],
    [{ older: 'A', than: { date: '2026-01-01T00:00:00Z' } }, [at(NEW_YEAR - 1n)], true, 'before the date'],
    [{ older: 'A', than: { date: '2026-01-01T00:00:00Z' } }, [null], false, 'older than a date, A lacks it'],
    [{ newer: 'A', than: { date: '2026-01-01T00:00:00.000000001Z' } }, [at(NEW_YEAR + 1n)], false, 'nanoseconds count: equal'],
    [{ newer: 'A', than: { date: '2026-01-01T00:00:00.000000001Z' } }, [at(NEW_YEAR + 2n)], true, 'nanoseconds count: newer'],
    [{ older: 'A', than: { date: '2026-01-01T00:00:00.5Z' } }, [at(NEW_YEAR + 499_999_999n)], true, 'a fraction shorter than nine digits'],
    [{ older: 'A', than: { date: '2026-01-01T00:00:00.5Z' } }, [at(NEW_YEAR + 500_000_000n)], false, 'at the fraction'],
    [{ newer: 'A', than: { date: '2026-01-01T02:00:00+02:00' } }, [at(NEW_YEAR + 1n)], true, 'a zone offset'],
    [{ newer: 'A', than: { date: '2026-01-01T02:00:00+02:00' } }, [at(NEW_YEAR)], false, 'a zone offset: equal'],
    [{ older: 'A', than: { date: '2025-12-31T23:00-01:00' } }, [at(NEW_YEAR - 1n)], true, 'no seconds, a negative offset'],
  ];
  for (const [when, entries, expected, message] of cases) t.equal(holds(when, entries), expected, message);
});

t.test('bigger and smaller, than a node or a byte count', async (t) => {
  const sized = (size: number) => file('x', { size });
  const cases: Array<[unknown, Array<InventoryEntry | null>, boolean, string]> = [
    [{ bigger: 'A', than: 'B' }, [sized(10), sized(5)], true, 'A bigger'],
    [{ bigger: 'A', than: 'B' }, [sized(5), sized(5)], false, 'same size'],
    [{ bigger: 'A', than: 'B' }, [sized(5), sized(10)], false, 'A smaller'],
    [{ bigger: 'A', than: 'B' }, [sized(5), null], false, 'B lacks it'],
    [{ bigger: 'A', than: 'B' }, [null, sized(1)], false, 'A lacks it'],
    [{ bigger: 'A', than: 'B' }, [sized(5), folder()], false, 'B holds a folder'],
    [{ bigger: 'A', than: 'B' }, [link('a-long-target'), sized(1)], false, 'A holds a link'],
    [{ smaller: 'A', than: 'B' }, [sized(5), sized(10)], true, 'A smaller'],
    [{ smaller: 'A', than: 'B' }, [sized(10), sized(5)], false, 'A bigger: not smaller'],
    [{ smaller: 'A', than: { bytes: 100 } }, [sized(99)], true, 'under the count'],
    [{ smaller: 'A', than: { bytes: 100 } }, [sized(100)], false, 'at the count'],
    [{ bigger: 'A', than: { bytes: 0 } }, [sized(1)], true, 'over zero'],
    [{ bigger: 'A', than: { bytes: 0 } }, [folder()], false, 'a folder has no file size'],
    [{ bigger: 'A', than: { bytes: 0 } }, [null], false, 'A lacks it, than bytes'],
  ];
  for (const [when, entries, expected, message] of cases) t.equal(holds(when, entries), expected, message);
});

t.test('path globs, as in gitignore', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['*.md', true], ['*.txt', false], ['readme.md', true], ['readme', false], ['docs', false],
    ['data/docs/*.md', true], ['docs/*.md', false], ['data/*.md', false], ['/data/docs/readme.md', true],
    ['data/**/readme.md', true], ['data/**', true], ['**/docs/*', true], ['**', true], ['other/**', false],
    ['data/docs/read?e.md', true], ['data/docs/read?.md', false], ['data/docs/[rR]eadme.md', true], ['[!r]*.md', false],
    ['data/docs/readme\\.md', true],
  ];
  for (const [glob, expected] of cases) t.equal(holds({ path: glob }, [file('x')]), expected, glob);
  t.equal(holds({ path: '*.md' }, [file('x')], 'data/a/b/c/notes.md'), true, 'a name anywhere');
  t.equal(holds({ path: 'data/*' }, [file('x')], 'data/a/b'), false, '* stays within one segment');
});

t.test('all, any, not and their nesting', async (t) => {
  const present = [file('x'), null, file('y')];
  const cases: Array<[unknown, boolean, string]> = [
    [{ all: [{ exists: 'A' }, { exists: 'C' }] }, true, 'all hold'],
    [{ all: [{ exists: 'A' }, { exists: 'B' }] }, false, 'one fails'],
    [{ any: [{ exists: 'B' }, { exists: 'C' }] }, true, 'one holds'],
    [{ any: [{ exists: 'B' }, { type: 'folder', on: 'A' }] }, false, 'none holds'],
    [{ not: { exists: 'B' } }, true, 'not'],
    [{ not: { not: { exists: 'B' } } }, false, 'not not'],
    [{ all: [{ any: [{ exists: 'B' }, { path: '*.md' }] }, { not: { content: 'equal', nodes: ['A', 'C'] } }] }, true, 'nested'],
    [{ any: [{ all: [{ exists: 'A' }, { exists: 'B' }] }, { not: { missing: 'B' } }] }, false, 'nested, false'],
  ];
  for (const [when, expected, message] of cases) t.equal(holds(when, present), expected, message);
});

t.test('the first rule that holds decides; later rules are not looked at', async (t) => {
  const rules = parseRules({
    rules: [
      { name: 'folders alone', when: { type: 'folder', on: 'A' }, then: { action: 'nothing' } },
      { name: 'A newer', when: { newer: 'A', than: 'B' }, then: { action: 'copy', from: 'A', to: 'B' } },
      { when: { exists: 'B' }, then: { action: 'copy', from: 'B', to: 'A' } },
    ],
  }, NAMES);
  t.strictSame(rules.rules.map((rule) => rule.label), ['rule "folders alone" (#1)', 'rule "A newer" (#2)', 'rule #3']);
  t.strictSame(rules.nodeNames, NAMES);

  const newerOnA = row([file('new', { mtimeNs: 2n * SECOND }), file('old', { mtimeNs: SECOND })]);
  t.strictSame(planRuleRow(newerOnA, rules, context()), [{ kind: 'write', path: PATH, target: 1, from: 0, method: 'whole',
    entry: newerOnA.entries[0]!, reason: 'rule "A newer" (#2): copy A -> B: content differs' }], 'rule 2 holds before rule 3');

  const newerOnB = row([file('old', { mtimeNs: SECOND }), file('new', { mtimeNs: 2n * SECOND })]);
  t.strictSame(planRuleRow(newerOnB, rules, context()), [{ kind: 'write', path: PATH, target: 0, from: 1, method: 'whole',
    entry: newerOnB.entries[1]!, reason: 'rule #3: copy B -> A: content differs' }], 'rule 2 fails, rule 3 decides');

  t.strictSame(planRuleRow(row([folder(), folder({ mode: 0o700 })]), rules, context()), [],
    '"nothing" decides too: rule 3 would have copied the mode');
  t.strictSame(planRuleRow(row([file('x'), null, file('y')]), rules, context()), [], 'no rule holds: nothing');
});

t.test('overrides come before rules: exact paths and globs', async (t) => {
  const rules = parseRules({
    rules: [{ when: { exists: 'A' }, then: { action: 'copy', from: 'A', to: 'B' } }],
    overrides: [
      { path: PATH, then: { action: 'nothing' } },
      { path: 'data/keep/**', then: { action: 'delete', on: 'B' } },
      { path: '*.tmp', then: { action: 'delete', on: 'A' } },
      { path: 'data/a[1].txt', then: { action: 'make-folder', on: 'C' } },
    ],
  }, NAMES);
  t.strictSame(rules.overrides.map((override) => override.label),
    [`override "${PATH}" (#1)`, 'override "data/keep/**" (#2)', 'override "*.tmp" (#3)', 'override "data/a[1].txt" (#4)']);
  const both = () => [file('x'), file('y')];

  t.strictSame(planRuleRow(row(both()), rules, context()), [], 'an exact path beats the rule');
  t.strictSame(planRuleRow(row(both(), { path: 'data/keep/sub/x' }), rules, context()), [{ kind: 'remove', path: 'data/keep/sub/x',
    target: 1, afterWrites: true, reason: 'override "data/keep/**" (#2): delete on B: a file is there' }], 'a glob beats the rule');
  t.strictSame(planRuleRow(row(both(), { path: 'data/keep/x.tmp' }), rules, context()).map((action) => action.reason),
    ['override "data/keep/**" (#2): delete on B: a file is there'], 'the first matching override wins');
  t.strictSame(planRuleRow(row(both(), { path: 'data/a[1].txt' }), rules, context()).map((action) => action.reason),
    ['override "data/a[1].txt" (#4): make-folder on C: missing'], 'an exact path that reads as a glob still matches itself');
  t.strictSame(planRuleRow(row(both(), { path: 'data/other' }), rules, context()).map((action) => action.reason),
    ['rule #1: copy A -> B: content differs'], 'no override matches: the rules decide');

  const onlyOverrides = parseRules({ overrides: [{ path: '*.tmp', then: { action: 'delete', on: ['A', 'B'] } }] }, NAMES);
  t.strictSame(planRuleRow(row(both(), { path: 'data/x' }), onlyOverrides, context()), [], 'no rules: nothing outside the overrides');
  t.equal(planRuleRow(row(both(), { path: 'data/x.tmp' }), onlyOverrides, context()).length, 2);
});

t.test('rows with an unreadable entry produce nothing, whatever decides', async (t) => {
  const rules = parseRules({
    rules: [{ when: { exists: 'A' }, then: { action: 'copy', from: 'A', to: 'others' } }],
    overrides: [{ path: '*.md', then: { action: 'delete', on: 'A' } }],
  }, NAMES);
  const unreadable = file('x', { error: { code: 'EACCES', message: 'permission denied' } });
  t.strictSame(planRuleRow(row([file('x'), unreadable], { status: 'error' }), rules, context()), [], 'override');
  t.strictSame(planRuleRow(row([file('x'), unreadable], { path: 'data/f', status: 'error' }), rules, context()), [], 'rule');
});

t.test('copy: a file', async (t) => {
  const copy = { action: 'copy', from: 'A', to: 'B' };
  const write = (planned: ComparisonRow, method: string, why: string) => ({ kind: 'write', path: PATH, target: 1, from: 0, method,
    entry: planned.entries[0]!, reason: `rule "r" (#1): copy A -> B: ${why}` });

  let result = plan(copy, [file('x'), null]);
  t.strictSame(result.actions, [write(result.row, 'whole', 'missing')], 'missing on the target');
  result = plan(copy, [file('x'), file('y')]);
  t.strictSame(result.actions, [write(result.row, 'whole', 'content differs')], 'a small file is sent whole');
  result = plan(copy, [file('x', { size: 100_000 }), file('y', { size: 90_000 })]);
  t.strictSame(result.actions, [write(result.row, 'delta', 'content differs')], 'a big file over an older version: delta');
  result = plan(copy, [file('x', { size: 100_000 }), null]);
  t.strictSame(result.actions, [write(result.row, 'whole', 'missing')], 'a big file with nothing to diff against: whole');
  result = plan(copy, [file('x', { size: 20 }), file('y')], { deltaMinimum: 10 });
  t.strictSame(result.actions, [write(result.row, 'delta', 'content differs')], 'the context sets the delta minimum');
  result = plan(copy, [file('x'), link('t')]);
  t.strictSame(result.actions, [write(result.row, 'whole', 'a symlink stands where the source has a file')], 'over a link');
  result = plan(copy, [file('x'), folder()]);
  t.strictSame(result.actions, [
    { kind: 'remove', path: PATH, target: 1, reason: 'rule "r" (#1): copy A -> B: a folder stands where the source has a file' },
    write(result.row, 'whole', 'a folder stands where the source has a file'),
  ], 'a folder is removed first');

  const asked: Array<[number, string]> = [];
  const findLocal = (target: number, digest: Buffer) => {
    asked.push([target, digest.toString('hex')]);
    return 'data/old/readme.md';
  };
  result = plan(copy, [file('x', { size: 100_000 }), file('y')], { findLocal });
  t.strictSame(result.actions, [{ ...write(result.row, 'local', 'content differs'), localFrom: 'data/old/readme.md' }],
    'a local copy beats a delta');
  t.strictSame(asked, [[1, digestOf('x').toString('hex')]], 'the lookup is asked for the target and the digest');
});

t.test('copy: same content, metadata, missing source', async (t) => {
  const copy = { action: 'copy', from: 'A', to: 'B' };
  const metadata = (planned: ComparisonRow) => [{ kind: 'metadata', path: PATH, target: 1, from: 0, entry: planned.entries[0]!,
    reason: 'rule "r" (#1): copy A -> B: mode or mtime differs' }];
  t.strictSame(plan(copy, [null, file('x')]).actions, [], 'the source lacks the path');
  t.strictSame(plan(copy, [file('x'), file('x')]).actions, [], 'identical');
  let result = plan(copy, [file('x'), file('x', { mode: 0o600 })]);
  t.strictSame(result.actions, metadata(result.row), 'the mode differs');
  result = plan(copy, [file('x'), file('x', { mtimeNs: SECOND })]);
  t.strictSame(result.actions, metadata(result.row), 'the mtime differs');
  t.strictSame(plan(copy, [file('x'), file('x', { mtimeNs: 1_000n + MTIME_WINDOW_NS - 1n })]).actions, [], 'mtimes within the window are the same');
  result = plan(copy, [file('x'), file('x', { mtimeNs: 1_000n - MTIME_WINDOW_NS })]);
  t.strictSame(result.actions, metadata(result.row), 'the mtime differs the other way, by the window');
  result = plan(copy, [folder(), folder({ mode: 0o700 })]);
  t.strictSame(result.actions, metadata(result.row), 'a folder mode differs');
  t.strictSame(plan(copy, [folder(), folder({ mtimeNs: 9n })]).actions, [], 'folder mtimes do not count');
  t.strictSame(plan(copy, [link('t'), link('t', { mode: 0o777 })]).actions, [], 'link modes do not count');
});

t.test('copy: folders and links', async (t) => {
  const copy = { action: 'copy', from: 'A', to: 'B' };
  const reason = (why: string) => `rule "r" (#1): copy A -> B: ${why}`;
  t.strictSame(plan(copy, [folder({ mode: 0o750 }), null]).actions,
    [{ kind: 'folder', path: PATH, target: 1, mode: 0o750, reason: reason('missing') }], 'a folder, missing');
  t.strictSame(plan(copy, [folder(), file('x')]).actions,
    [{ kind: 'folder', path: PATH, target: 1, mode: 0o755, reason: reason('a file stands where the source has a folder') }],
    'a folder over a file, as the mirror planner does (the node replaces the file)');
  t.strictSame(plan(copy, [link('t'), null]).actions,
    [{ kind: 'link', path: PATH, target: 1, linkTarget: 't', reason: reason('missing') }], 'a link, missing');
  t.strictSame(plan(copy, [link('t'), link('u')]).actions,
    [{ kind: 'link', path: PATH, target: 1, linkTarget: 't', reason: reason('link target differs') }], 'a link over a link');
  t.strictSame(plan(copy, [link('t'), file('x')]).actions,
    [{ kind: 'link', path: PATH, target: 1, linkTarget: 't', reason: reason('a file stands where the source has a symlink') }],
    'a link over a file');
  t.strictSame(plan(copy, [link('t'), folder()]).actions, [
    { kind: 'remove', path: PATH, target: 1, reason: reason('a folder stands where the source has a symlink') },
    { kind: 'link', path: PATH, target: 1, linkTarget: 't', reason: reason('a folder stands where the source has a symlink') },
  ], 'a link over a folder: removed first');
  t.strictSame(plan(copy, [link('t', { linkTarget: undefined }), null]).actions,
    [{ kind: 'link', path: PATH, target: 1, linkTarget: '', reason: reason('missing') }], 'a link without a recorded target');
});

t.test('copy: to several nodes, to "others"', async (t) => {
  const entries = [file('x'), null, file('x', { mode: 0o600 })];
  const others = plan({ action: 'copy', from: 'A', to: 'others' }, entries);
  t.strictSame(others.actions, [
    { kind: 'write', path: PATH, target: 1, from: 0, method: 'whole', entry: others.row.entries[0]!, reason: 'rule "r" (#1): copy A -> B: missing' },
    { kind: 'metadata', path: PATH, target: 2, from: 0, entry: others.row.entries[0]!, reason: 'rule "r" (#1): copy A -> C: mode or mtime differs' },
  ]);
  const listedTargets = plan({ action: 'copy', from: 'B', to: ['C', 'A'] }, [null, folder(), null]);
  t.strictSame(listedTargets.actions.map((action) => [action.kind, action.target, action.reason]), [
    ['folder', 2, 'rule "r" (#1): copy B -> C: missing'],
    ['folder', 0, 'rule "r" (#1): copy B -> A: missing'],
  ], 'in the order listed');
});

t.test('copy-content: the target keeps its mode, the mtime is now', async (t) => {
  const copy = { action: 'copy-content', from: 'A', to: 'B' };
  const reason = (why: string) => `rule "r" (#1): copy-content A -> B: ${why}`;
  t.strictSame(plan(copy, [file('x'), file('x', { mode: 0o600, mtimeNs: SECOND })]).actions, [], 'same content: nothing, metadata aside');
  let result = plan(copy, [file('x'), file('y', { mode: 0o600 })]);
  t.strictSame(result.actions, [{ kind: 'write', path: PATH, target: 1, from: 0, method: 'whole', entry: result.row.entries[0]!,
    reason: reason('content differs'), metadata: { mode: 0o600, mtimeNs: NOW } }], 'over a file: its mode stays');
  result = plan(copy, [file('x', { mode: 0o640 }), null]);
  t.strictSame(result.actions, [{ kind: 'write', path: PATH, target: 1, from: 0, method: 'whole', entry: result.row.entries[0]!,
    reason: reason('missing'), metadata: { mode: 0o640, mtimeNs: NOW } }], 'a new file takes the source mode');
  result = plan(copy, [file('x'), folder({ mode: 0o700 })]);
  t.strictSame(result.actions, [
    { kind: 'remove', path: PATH, target: 1, reason: reason('a folder stands where the source has a file') },
    { kind: 'write', path: PATH, target: 1, from: 0, method: 'whole', entry: result.row.entries[0]!,
      reason: reason('a folder stands where the source has a file'), metadata: { mode: 0o644, mtimeNs: NOW } },
  ], 'over a folder: removed first, the source mode');
  t.strictSame(plan(copy, [folder(), null]).actions,
    [{ kind: 'folder', path: PATH, target: 1, mode: 0o755, reason: reason('missing') }], 'a folder');
  t.strictSame(plan(copy, [link('t'), null]).actions,
    [{ kind: 'link', path: PATH, target: 1, linkTarget: 't', reason: reason('missing') }], 'a link');
  t.strictSame(plan(copy, [null, file('x')]).actions, [], 'the source lacks the path');
});

t.test('copy-metadata: only onto an entry of the same type', async (t) => {
  const copy = { action: 'copy-metadata', from: 'A', to: ['B', 'C'] };
  const result = plan(copy, [file('x', { mode: 0o600 }), file('other'), file('x', { mode: 0o600 })]);
  t.strictSame(result.actions, [{ kind: 'metadata', path: PATH, target: 1, from: 0, entry: result.row.entries[0]!,
    reason: 'rule "r" (#1): copy-metadata A -> B: mode or mtime differs' }], 'other content, other mode: B only');
  const folders = plan(copy, [folder({ mode: 0o700 }), folder(), null]);
  t.strictSame(folders.actions.map((action) => [action.kind, action.target]), [['metadata', 1]], 'folders');
  t.strictSame(plan(copy, [file('x', { mtimeNs: SECOND }), folder(), link('t')]).actions, [], 'other types');
  t.strictSame(plan(copy, [file('x'), null, null]).actions, [], 'missing targets');
  t.strictSame(plan(copy, [null, file('x'), file('y')]).actions, [], 'the source lacks the path');
});

t.test('make-folder', async (t) => {
  const reason = (node: string, why: string) => `rule "r" (#1): make-folder on ${node}: ${why}`;
  t.strictSame(plan({ action: 'make-folder', on: ['A', 'B', 'C'], mode: 0o700 }, [folder(), null, file('x')]).actions, [
    { kind: 'folder', path: PATH, target: 1, mode: 0o700, reason: reason('B', 'missing') },
    { kind: 'remove', path: PATH, target: 2, reason: reason('C', 'a file stands where a folder is wanted') },
    { kind: 'folder', path: PATH, target: 2, mode: 0o700, reason: reason('C', 'a file stands where a folder is wanted') },
  ], 'a folder already there stays; a file is removed first');
  t.strictSame(plan({ action: 'make-folder', on: 'A' }, [null]).actions,
    [{ kind: 'folder', path: PATH, target: 0, mode: 0o755, reason: reason('A', 'missing') }], 'the default mode');
  t.strictSame(plan({ action: 'make-folder', on: 'A' }, [folder({ mode: 0o700 })]).actions, [], 'another mode is left as it is');
});

t.test('delete and nothing', async (t) => {
  const reason = (node: string, type: string) => `rule "r" (#1): delete on ${node}: a ${type} is there`;
  t.strictSame(plan({ action: 'delete', on: ['A', 'B', 'C'] }, [file('x'), null, link('t')]).actions, [
    { kind: 'remove', path: PATH, target: 0, reason: reason('A', 'file'), afterWrites: true },
    { kind: 'remove', path: PATH, target: 2, reason: reason('C', 'symlink'), afterWrites: true },
  ]);
  t.strictSame(plan({ action: 'delete', on: 'B' }, [file('x'), folder()]).actions,
    [{ kind: 'remove', path: PATH, target: 1, reason: reason('B', 'folder'), afterWrites: true }]);
  t.strictSame(plan({ action: 'delete', on: 'B' }, [file('x'), null]).actions, [], 'nothing to delete');
  t.strictSame(plan({ action: 'nothing' }, [file('x'), null, folder()]).actions, []);
});

t.test('parse errors name where the problem is', async (t) => {
  const ok = { when: { exists: 'A' }, then: { action: 'nothing' } };
  const rule = (when: unknown, then: unknown = ok.then) => ({ rules: [{ when, then }] });
  const then = (action: unknown) => ({ rules: [{ when: ok.when, then: action }] });
  const known = 'exists, missing, type, content, newer, older, bigger, smaller, path, all, any, not';
  const badDate = (date: string) => [rule({ newer: 'A', than: { date } }),
    `rules[0].when.than.date: "${date}" is not an ISO 8601 date and time with a zone, like 2026-01-01T00:00:00Z`] as const;
  const cases: Array<readonly [unknown, string]> = [
    [null, 'rules file: expected an object, got null'],
    [[ok], 'rules file: expected an object, got an array'],
    ['rules', 'rules file: expected an object, got "rules"'],
    [{ rule: [ok] }, 'rules file: unknown key "rule" (known: rules, overrides)'],
    [{}, 'rules file: no rules and no overrides: nothing would ever be done'],
    [{ rules: [], overrides: [] }, 'rules file: no rules and no overrides: nothing would ever be done'],
    [{ rules: ok }, 'rules: expected an array, got an object'],
    [{ overrides: 'x' }, 'overrides: expected an array, got "x"'],
    [{ rules: [5] }, 'rules[0]: expected an object, got 5'],
    [{ rules: [ok, ok, { when: { all: [{ exists: 'A' }, { newr: 'A', than: 'B' }] }, then: ok.then }] },
      `rules[2].when.all[1]: unknown condition "newr" (known: ${known})`],
    [{ rules: [{ ...ok, nmae: 'x' }] }, 'rules[0]: unknown key "nmae" (known: name, when, then)'],
    [{ rules: [{ when: ok.when }] }, 'rules[0]: missing "then"'],
    [{ rules: [{ then: ok.then }] }, 'rules[0]: missing "when"'],
    [{ rules: [{ ...ok, name: true }] }, 'rules[0].name: expected a string, got true'],
    [rule({}), `rules[0].when: empty condition (known: ${known})`],
    [rule([{ exists: 'A' }]), 'rules[0].when: expected an object, got an array'],
    [rule({ exists: 'A', missing: 'B' }), 'rules[0].when: one condition per object, found "exists" and "missing": combine them with "all" or "any"'],
    [rule({ exists: 'D' }), 'rules[0].when.exists: unknown node "D" (known: A, B, C)'],
    [rule({ missing: 5 }), 'rules[0].when.missing: expected a string, got 5'],
    [rule({ type: 'file', on: 'A', node: 'B' }), 'rules[0].when: unknown key "node" (known: type, on)'],
    [rule({ type: 'file' }), 'rules[0].when: missing "on"'],
    [rule({ type: 'dir', on: 'A' }), 'rules[0].when.type: unknown type "dir" (known: file, folder, symlink)'],
    [rule({ content: 'same', nodes: ['A', 'B'] }), 'rules[0].when.content: unknown comparison "same" (known: equal, different)'],
    [rule({ content: 'equal', nodes: ['A'] }), 'rules[0].when.nodes: expected two or more nodes'],
    [rule({ content: 'equal', nodes: 'A' }), 'rules[0].when.nodes: expected an array, got "A"'],
    [rule({ content: 'equal', nodes: [] }), 'rules[0].when.nodes: expected at least one item'],
    [rule({ content: 'equal', nodes: ['A', 'B', 'A'] }), 'rules[0].when.nodes[2]: node "A" is listed twice'],
    [rule({ content: 'equal' }), 'rules[0].when: missing "nodes"'],
    [rule({ newer: 'A' }), 'rules[0].when: missing "than"'],
    [rule({ older: 'X', than: 'B' }), 'rules[0].when.older: unknown node "X" (known: A, B, C)'],
    [rule({ newer: 'A', than: 'X' }), 'rules[0].when.than: unknown node "X" (known: A, B, C)'],
    [rule({ newer: 'A', than: 5 }), 'rules[0].when.than: expected an object, got 5'],
    [rule({ newer: 'A', than: { dat: '2026-01-01T00:00:00Z' } }), 'rules[0].when.than: unknown key "dat" (known: date)'],
    [rule({ newer: 'A', than: {} }), 'rules[0].when.than: missing "date"'],
    [rule({ newer: 'A', than: { date: 20260101 } }), 'rules[0].when.than.date: expected a string, got 20260101'],
    badDate('2026-01-01T00:00:00'), badDate('2026-01-01'), badDate('2026-02-30T00:00:00Z'), badDate('2025-02-29T00:00:00Z'),
    badDate('2026-13-01T00:00:00Z'), badDate('2026-00-10T00:00:00Z'), badDate('2026-01-00T00:00:00Z'),
    badDate('2026-01-01T24:00:00Z'), badDate('2026-01-01T00:60:00Z'), badDate('2026-01-01T00:00:60Z'),
    badDate('2026-01-01T00:00:00+24:00'), badDate('2026-01-01T00:00:00+01:60'), badDate('2026-01-01 00:00:00Z'),
    [rule({ bigger: 'A', than: { bytes: -1 } }), 'rules[0].when.than.bytes: expected a whole number of bytes, 0 or more, got -1'],
    [rule({ smaller: 'A', than: { bytes: 1.5 } }), 'rules[0].when.than.bytes: expected a whole number of bytes, 0 or more, got 1.5'],
    [rule({ smaller: 'A', than: { bytes: '10' } }), 'rules[0].when.than.bytes: expected a whole number of bytes, 0 or more, got "10"'],
    [rule({ bigger: 'A', than: { size: 10 } }), 'rules[0].when.than: unknown key "size" (known: bytes)'],
    [rule({ all: [] }), 'rules[0].when.all: expected at least one item'],
    [rule({ any: { exists: 'A' } }), 'rules[0].when.any: expected an array, got an object'],
    [rule({ any: [{ exists: 'A' }, { not: 'x' }] }), 'rules[0].when.any[1].not: expected an object, got "x"'],
    [rule({ path: '' }), 'rules[0].when.path: empty path pattern'],
    [rule({ path: 7 }), 'rules[0].when.path: expected a string, got 7'],
    [rule({ path: 'docs/' }), 'rules[0].when.path: "docs/" ends with "/": drop it (and add a "type": "folder" condition for folders only)'],
    [rule({ path: 'data/[z-a]' }), 'rules[0].when.path: invalid glob "data/[z-a]"'],
    [then(null), 'rules[0].then: expected an object, got null'],
    [then({ from: 'A' }), 'rules[0].then: missing "action"'],
    [then({ action: 'move', from: 'A', to: 'B' }),
      'rules[0].then.action: unknown action "move" (known: copy, copy-content, copy-metadata, make-folder, delete, nothing)'],
    [then({ action: 'copy', from: 'A', to: 'A' }), 'rules[0].then.to: "A" is the source ("from") and cannot be a target too'],
    [then({ action: 'copy-content', from: 'B', to: ['C', 'B'] }), 'rules[0].then.to: "B" is the source ("from") and cannot be a target too'],
    [then({ action: 'copy', from: 'A', to: [] }), 'rules[0].then.to: expected at least one item'],
    [then({ action: 'copy', from: 'A', to: ['B', 'D'] }), 'rules[0].then.to[1]: unknown node "D" (known: A, B, C)'],
    [then({ action: 'copy', from: 'A', to: ['B', 'B'] }), 'rules[0].then.to[1]: node "B" is listed twice'],
    [then({ action: 'copy', from: 'A' }), 'rules[0].then: missing "to"'],
    [then({ action: 'copy-metadata', to: 'B' }), 'rules[0].then: missing "from"'],
    [then({ action: 'copy', from: 'A', to: 'B', on: 'C' }), 'rules[0].then: unknown key "on" (known: action, from, to)'],
    [then({ action: 'make-folder', on: 'A', mode: 0o10000 }), 'rules[0].then.mode: expected permission bits from 0 to 4095 (0o7777), got 4096'],
    [then({ action: 'make-folder', on: 'A', mode: '755' }), 'rules[0].then.mode: expected permission bits from 0 to 4095 (0o7777), got "755"'],
    [then({ action: 'make-folder', on: 'A', mode: -1 }), 'rules[0].then.mode: expected permission bits from 0 to 4095 (0o7777), got -1'],
    [then({ action: 'make-folder' }), 'rules[0].then: missing "on"'],
    [then({ action: 'delete', on: 'A', mode: 0 }), 'rules[0].then: unknown key "mode" (known: action, on)'],
    [then({ action: 'delete', on: ['A', 3] }), 'rules[0].then.on[1]: expected a string, got 3'],
    [then({ action: 'nothing', from: 'A' }), 'rules[0].then: unknown key "from" (known: action)'],
    [{ overrides: [{ then: ok.then }] }, 'overrides[0]: missing "path"'],
    [{ overrides: [{ path: 5, then: ok.then }] }, 'overrides[0].path: expected a string, got 5'],
    [{ overrides: [{ path: 'x', then: ok.then, when: ok.when }] }, 'overrides[0]: unknown key "when" (known: path, then)'],
    [{ overrides: [{ path: 'x' }] }, 'overrides[0]: missing "then"'],
    [{ overrides: [{ path: '[b-a]', then: ok.then }] }, 'overrides[0].path: invalid glob "[b-a]"'],
    [{ overrides: [{ path: 'x', then: { action: 'delete', on: 'Q' } }] }, 'overrides[0].then.on: unknown node "Q" (known: A, B, C)'],
  ];
  for (const [value, message] of cases) {
    t.strictSame(parseError(value), { code: 'DELTANODE_ERR_INVALID_ARGUMENT', message }, message);
  }
  t.equal(parseError({ rules: [{ when: { newer: 'A', than: { date: '2024-02-29T23:59:59.999999999+14:00' } }, then: ok.then }] }), 'parsed',
    'a leap day, nine fraction digits, a far zone');
  t.equal(parseError(then({ action: 'make-folder', on: 'A', mode: 0 })), 'parsed', 'mode 0');
  t.equal(parseError({ overrides: [{ path: 'x', then: { action: 'copy', from: 'C', to: 'others' } }] }), 'parsed');
});
