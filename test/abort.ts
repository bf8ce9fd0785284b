// Cancellation: an aborted job rejects with AbortedError, stops early and leaves no output.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import {
  AbortedError, createPatchStream, createSignatureStream, deltaBuffer, deltaFile, patchFile, signatureBuffer,
  signatureFile,
} from '../src/index.js';
import { seededBytes } from './fixtures/helpers.js';
import { JobControl } from '../src/engine/control.js';

t.test('an aborted file job rejects and leaves nothing behind', async (t) => {
  const dir = t.testdir();
  const big = path.join(dir, 'big');
  const handle = await fs.open(big, 'w');
  await handle.truncate(8 * 2 ** 30); // sparse: reading it is CPU work, not disk
  await handle.close();
  const controller = new AbortController();
  let progressCalls = 0;
  const started = Date.now();
  const job = signatureFile(big, path.join(dir, 'big.sig'), {
    signal: controller.signal,
    progressInterval: 10,
    onProgress: (progress) => {
      progressCalls++;
      t.equal(progress.bytesTotal, 8 * 2 ** 30);
      if (progress.bytesDone > 0) controller.abort();
    },
  });
  await t.rejects(job, AbortedError);
  t.ok(Date.now() - started < 5000, 'stopped long before reading 8 GiB');
  t.ok(progressCalls >= 1, 'progress was reported');
  t.same((await fs.readdir(dir)).sort(), ['big'], 'no signature or temporary file left');
});

t.test('no progress is reported before a job has read its first byte', async (t) => {
  const reports: Array<{ bytesDone: number; bytesTotal: number | null; finished: boolean }> = [];
  let finished = false;
  const control = new JobControl({ progressInterval: 1, onProgress: (p) => reports.push({ ...p, finished }) });
  // A job that starts slowly: nothing read, no size stated, for several progress intervals.
  await control.run(async () => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    finished = true;
  });
  t.same(reports, [{ bytesDone: 0, bytesTotal: null, finished: true }], 'one report, at the end');
});

t.test('an already aborted signal rejects at once', async (t) => {
  const dir = t.testdir({ basis: 'abc', sig: '' });
  const signal = AbortSignal.abort();
  await t.rejects(signatureFile(path.join(dir, 'basis'), path.join(dir, 'out.sig'), { signal }), AbortedError);
  await t.rejects(deltaFile(path.join(dir, 'sig'), path.join(dir, 'basis'), path.join(dir, 'd'), { signal }), AbortedError);
  await t.rejects(patchFile(path.join(dir, 'basis'), path.join(dir, 'sig'), path.join(dir, 'p'), { signal }), AbortedError);
  t.same((await fs.readdir(dir)).sort(), ['basis', 'sig']);
});

t.test('aborting a stream destroys it with AbortedError', async (t) => {
  const controller = new AbortController();
  const source = new Readable({
    read() {
      this.push(seededBytes(1, 65536));
    },
  });
  const stream = createSignatureStream({ signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await t.rejects(pipeline(source, stream, new Writable({ write: (_c, _e, cb) => cb() })), AbortedError);
  await t.rejects(pipeline(Readable.from([Buffer.from('x')]), createSignatureStream({ signal: AbortSignal.abort() }),
    new Writable({ write: (_c, _e, cb) => cb() })), AbortedError);
});

t.test('a patch stream refuses data after the end of the delta', async (t) => {
  const basis = seededBytes(3, 10000);
  const delta = await deltaBuffer(await signatureBuffer(basis), basis);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await t.rejects(pipeline(Readable.from([delta, Buffer.from('more')]), createPatchStream(basis), sink),
    { code: /DELTANODE_ERR_(CORRUPT_DELTA|INVALID_ARGUMENT)/ });
});

t.test('a patch stream whose delta ends before the writer does still finishes', async (t) => {
  const basis = seededBytes(4, 5000);
  const delta = await deltaBuffer(await signatureBuffer(basis), basis);
  const patcher = createPatchStream(basis);
  const output: Buffer[] = [];
  patcher.on('data', (chunk: Buffer) => output.push(chunk));
  patcher.write(delta);
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the whole delta be applied first
  await new Promise<void>((resolve, reject) => {
    patcher.on('error', reject);
    patcher.end(() => resolve());
  });
  t.ok(Buffer.concat(output).equals(basis));
});
