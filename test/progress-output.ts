// The terminal progress bar, and the fsync path of atomic outputs.
import t from 'tap';
import { spawnSync } from 'node:child_process';
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

// rdiff writes into /dev/null or a named pipe; replacing them with a renamed regular file (what an
// atomic output does to a file) broke /dev/null for the whole machine.
t.test('a FIFO output, or a link to one, is written through and stays a FIFO', async (t) => {
  const dir = t.testdir({ basis: 'fifo basis content '.repeat(500) });
  const file = (name: string): string => path.join(dir, name);
  const made = spawnSync('mkfifo', [file('pipe')]);
  if (made.status !== 0) {
    t.pass('mkfifo is not available here: nothing to check');
    return;
  }
  await fs.symlink(file('pipe'), file('link'));
  // librsync's layout is the same streamed or seekable (the native one puts its summary in a trailer
  // when it cannot rewrite the header), so the bytes can be compared.
  const format = 'librsync';
  await signatureFile(file('basis'), file('direct.sig'), { format });
  for (const name of ['pipe', 'link']) {
    const reading = fs.readFile(file('pipe'));  // opens the FIFO's reading end, so the writer can open
    await t.rejects(signatureFile(file('basis'), file(name), { format }), { code: 'DELTANODE_ERR_OUTPUT_EXISTS' },
      'an existing FIFO is refused without overwrite, like any output');
    await signatureFile(file('basis'), file(name), { format, overwrite: true });
    const received = await reading;
    t.same(received, await fs.readFile(file('direct.sig')), `${name}: the reader got the signature`);
    t.ok((await fs.lstat(file('pipe'))).isFIFO(), `${name}: still a FIFO`);
  }
  t.ok((await fs.lstat(file('link'))).isSymbolicLink(), 'the link is still a link');
  t.same((await fs.readdir(dir)).sort(), ['basis', 'direct.sig', 'link', 'pipe'], 'no temporary file left behind');
});
