// The terminal progress bar, and the fsync path of atomic outputs.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { formatBytes, progressReporter } from '../src/cli/progress.js';
import { patchFile, signatureFile, deltaFile } from '../src/index.js';

t.test('progress bar draws on a terminal and stays silent elsewhere', async (t) => {
  const written: string[] = [];
  const terminal = { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
  const bar = progressReporter('signature', terminal);
  bar.onProgress!({ bytesDone: 512 * 1024, bytesTotal: 1024 * 1024 });
  bar.onProgress!({ bytesDone: 3000, bytesTotal: null });
  bar.done();
  t.match(written[0], /signature \[#{15}\.{15}\] 50% 512\.0 KiB\/1\.0 MiB/);
  t.match(written[1], /signature 2\.9 KiB/);
  t.equal(written.at(-1), '\r\x1b[K', 'the line is cleared at the end');
  const pipe = progressReporter('x', { isTTY: false } as unknown as NodeJS.WriteStream);
  t.equal(pipe.onProgress, undefined);
  pipe.done();
  t.equal(formatBytes(0), '0 B');
  t.equal(formatBytes(5 * 2 ** 40), '5.0 TiB');
});

t.test('fsync and overwrite options', async (t) => {
  const dir = t.testdir({ basis: 'some basis content'.repeat(100), target: 'some other content'.repeat(100) });
  const file = (name: string): string => path.join(dir, name);
  await signatureFile(file('basis'), file('sig'), { fsync: true });
  await deltaFile(file('sig'), file('target'), file('delta'), { fsync: true });
  await patchFile(file('basis'), file('delta'), file('out'), { fsync: true });
  t.equal(await fs.readFile(file('out'), 'utf8'), 'some other content'.repeat(100));
  await fs.writeFile(file('old-sig'), 'previous');
  await signatureFile(file('basis'), file('old-sig'), { overwrite: true });
  t.not(await fs.readFile(file('old-sig'), 'utf8'), 'previous', 'overwritten in place');
  await t.rejects(signatureFile(file('basis'), file('old-sig')), { code: 'DELTANODE_ERR_OUTPUT_EXISTS' });
  await t.rejects(signatureFile(file('basis'), path.join(dir, 'no-such-dir', 'sig')), { code: 'DELTANODE_ERR_IO' });
});
