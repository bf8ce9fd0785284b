// deltanode inventory | compare: tables, JSON documents, exit statuses.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { hash } from '../src/index.js';
import { cliPath, deltanode } from './fixtures/helpers.js';

t.test('inventory lists entries with digests; --json is one document', async (t) => {
  const dir = t.testdir({ data: { 'a.txt': 'alpha', sub: { b: 'bravo' } }, state: {} });
  const state = path.join(dir, 'state');
  const table = await deltanode(['inventory', '--state', state, path.join(dir, 'data')]);
  t.equal(table.code, 0, table.stderr.toString());
  const text = table.stdout.toString();
  t.match(text, /file\s+5\s+[0-9a-f]{16}\s+data\/a\.txt/);
  t.match(text, /4 entries, 2 files, 10 B, 0 errors, 0 skipped/);
  execFileSync('mkfifo', [path.join(dir, 'data', 'pipe')]);
  const withPipe = await deltanode(['inventory', '--hash', 'none', '--state', state, path.join(dir, 'data')]);
  t.match(withPipe.stderr.toString(), /skipped data\/pipe \(special file\)/);
  t.match(withPipe.stdout.toString(), /4 entries, 2 files, 10 B, 0 errors, 1 skipped/);
  await fs.rm(path.join(dir, 'data', 'pipe'));
  const json = await deltanode(['inventory', '--json', '--hash', 'full', '--state', state, path.join(dir, 'data')]);
  t.equal(json.code, 0);
  const document = JSON.parse(json.stdout.toString()) as { entries: Array<{ path: string; digest?: string }>; summary: { files: number } };
  t.same(document.entries.map((e) => e.path), ['data', 'data/a.txt', 'data/sub', 'data/sub/b']);
  t.equal(document.entries[1]!.digest, hash('blake3', Buffer.from('alpha')).toString('hex'));
  t.equal(document.summary.files, 2);
  t.equal((await deltanode(['inventory'])).code, 2, 'no source is a usage error');
  t.equal((await deltanode(['inventory', '--hash', 'sometimes', dir])).code, 2);
});

t.test('compare exits 0 for identical trees and 1 otherwise', async (t) => {
  const dir = t.testdir({ a: { f: '1', g: { h: '2' } }, b: { f: '1', g: { h: '2' } },
    c: { f: 'changed', g: { h: '2' }, extra: 'e', moved: '1' }, state: {} });
  const state = path.join(dir, 'state');
  const same = await deltanode(['compare', '--state', state, path.join(dir, 'a'), path.join(dir, 'b')]);
  t.equal(same.code, 0, same.stderr.toString());
  t.match(same.stdout.toString(), /4 paths: identical 4/);
  const differ = await deltanode(['compare', '--state', state, path.join(dir, 'a'), path.join(dir, 'b'), path.join(dir, 'c')]);
  t.equal(differ.code, 1);
  const lines = differ.stdout.toString();
  t.match(lines, /different\s+\[node1 node2\] \[node3\]\s+f\n/);
  t.match(lines, /missing\s+\[node3\] -\(node1 node2\)\s+extra\n/);
  t.match(lines, /same content  f \[node1 node2\] = moved \[node3\]  \(1 B: move or duplicate\)\n/,
    "node3 has node1's f under another name");
  const json = await deltanode(['compare', '--json', '--state', state, `x=${path.join(dir, 'a')},${path.join(dir, 'b')}`,
    `y=${path.join(dir, 'c')},${path.join(dir, 'b')}`]);
  t.equal(json.code, 1);
  const document = JSON.parse(json.stdout.toString()) as { nodes: string[]; rows: Array<{ path: string; status: string }>; summary: { rows: number } };
  t.same(document.nodes, ['x', 'y']);
  t.same(document.rows.map((row) => [row.path, row.status]), [
    ['a', 'missing'], ['a/f', 'missing'], ['a/g', 'missing'], ['a/g/h', 'missing'],
    ['b', 'identical'], ['b/f', 'identical'], ['b/g', 'identical'], ['b/g/h', 'identical'],
    ['c', 'missing'], ['c/extra', 'missing'], ['c/f', 'missing'], ['c/g', 'missing'], ['c/g/h', 'missing'], ['c/moved', 'missing'],
  ], 'nodes of several folders use the folder names as aliases');
  const single = await deltanode(['compare', '--state', state, `x=${path.join(dir, 'a')}`, `y=${path.join(dir, 'b')}`]);
  t.equal(single.code, 0, 'a named node of one folder compares by content like a plain folder');
  const renamed = await deltanode(['compare', '--state', state, path.join(dir, 'b'), path.join(dir, 'c')]);
  t.match(renamed.stdout.toString(), /same content  f \[node1\] = moved \[node2\]  \(1 B: move or duplicate\)/);
  t.equal((await deltanode(['compare', path.join(dir, 'a')])).code, 2, 'one node is a usage error');
  t.equal((await deltanode(['compare', '--bogus', path.join(dir, 'a'), path.join(dir, 'b')])).code, 2);
  t.equal((await deltanode(['compare', 'x=', path.join(dir, 'b')])).code, 2, 'a node without folders');
});

t.test('silent corruption is counted and warned about; a closed reader ends the command quietly', async (t) => {
  const dir = t.testdir({ data: { 'a.txt': 'alpha' }, state: {} });
  const state = path.join(dir, 'state');
  const file = path.join(dir, 'data', 'a.txt');
  await fs.utimes(file, 1_700_000_000, 1_700_000_000);
  t.equal((await deltanode(['inventory', '--state', state, path.join(dir, 'data')])).code, 0);
  await fs.writeFile(file, 'ALPHA');
  await fs.utimes(file, 1_700_000_000, 1_700_000_000);
  const table = await deltanode(['inventory', '--hash', 'full', '--state', state, path.join(dir, 'data')]);
  t.match(table.stdout.toString(), /warning: 1 files have other content than recorded/);
  const json = await deltanode(['inventory', '--json', '--hash', 'full', '--state', state, path.join(dir, 'data')]);
  t.equal((JSON.parse(json.stdout.toString()) as { summary: { silentCorruption: number } }).summary.silentCorruption, 0,
    'the cache learnt the new content on the run before');

  // Enough rows to fill a pipe: the reader (head) goes away while the command still writes.
  const many = path.join(dir, 'many');
  await fs.mkdir(many);
  for (let i = 0; i < 3000; i++) await fs.writeFile(path.join(many, `file-with-a-long-name-${i}`), String(i));
  const script = `"${process.execPath}" "${cliPath}" compare --json --state "${state}" "${many}" "${path.join(dir, 'data')}" | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`;
  const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  t.equal(result.stdout.trim(), '141', 'the status of a process ended by SIGPIPE');
  t.equal(result.stderr, '', 'no stack trace');
});
