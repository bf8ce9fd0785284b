// The plan check on hand-made actions: each kind of contradiction is found, and the sequences the
// planners do make (a removal making room, a version read before it is overwritten) pass.
import t from 'tap';
import type { DataNode } from '../src/node/data-node.js';
import type { InventoryEntry } from '../src/node/entries.js';
import type { Action, WriteAction } from '../src/session/plan.js';
import { PlanChecker } from '../src/session/plan-check.js';

const node = (name: string, readOnly = false) => ({ name, sources: [{ alias: 'data', path: '', readOnly }] }) as unknown as DataNode;
const nodes = [node('A'), node('B'), node('R', true)];
const entry: InventoryEntry = { path: 'data/f', diskPath: '', type: 'file', size: 1, mtimeNs: 0n, mode: 0o644, inode: 0n, device: 0n,
  digest: Buffer.alloc(32) };
const write = (path: string, from: number, target: number, extra: Partial<WriteAction> = {}): Action =>
  ({ kind: 'write', path, from, target, method: 'whole', entry, reason: `write ${path}`, ...extra });
const remove = (path: string, target: number, afterWrites = false): Action =>
  ({ kind: 'remove', path, target, reason: `remove ${path}`, ...(afterWrites ? { afterWrites: true as const } : {}) });

function problems(rows: Action[][]): string | null {
  const checker = new PlanChecker(nodes);
  for (const row of rows) checker.check(row);
  try {
    checker.finish();
    return null;
  } catch (error) {
    t.equal((error as { code?: string }).code, 'DELTANODE_ERR_PLAN_CONFLICT');
    return (error as Error).message;
  }
}

t.test('sequences the planners make pass', async (t) => {
  t.equal(problems([[remove('data/d', 1), write('data/d', 0, 1)]]), null, 'a removal makes room for a write');
  t.equal(problems([[write('data/x.conflict', 1, 1, { method: 'local', localFrom: 'data/x' }), write('data/x.conflict', 1, 0, { sourcePath: 'data/x' }),
    write('data/x', 0, 1)]]), null, 'a version read before it is overwritten');
  t.equal(problems([[remove('data/old', 1, true)], [write('data/new', 0, 1, { method: 'local', localFrom: 'data/old' })]]), null,
    'a deletion at the end leaves its content to local copies');
  t.equal(problems([[write('data/f', 0, 1)], [write('data/f', 0, 1)]]), null, 'rows are checked apart: one path per row');
});

t.test('contradictions are refused, each named', async (t) => {
  t.match(problems([[write('data/f', 0, 2)]]), /write data\/f on R: source data is read-only there/);
  t.match(problems([[remove('data/f', 2, true)]]), /remove data\/f on R: source data is read-only/);
  t.match(problems([[write('data/f', 0, 1), write('data/f', 1, 1)]]), /data\/f on B is given two outcomes/);
  t.match(problems([[write('data/f', 1, 0), write('data/g', 0, 1, { sourcePath: 'data/f' })]]), /data\/f on A is read after another action changed it/);
  t.match(problems([[remove('data/d', 0)], [write('data/d/inner', 0, 1)]]), /data\/d\/inner on A is read after data\/d is removed there/);
  t.match(problems([[remove('data/d', 1)], [write('data/x', 0, 1, { method: 'local', localFrom: 'data/d/y' })]]), /data\/d\/y on B is read after data\/d is removed/);
  const many = Array.from({ length: 14 }, (_, i) => [write(`data/f${i}`, 0, 2)]);
  t.match(problems(many), /in 14 place\(s\)[\s\S]*and 4 more/);
});
