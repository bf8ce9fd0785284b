// Signatures and deltas of open files, read by the engine itself: the same bytes as the stream
// engines give for the same input, over steps of any number, and typed failures.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortedError, BadSignatureError, createDeltaStream, createSignatureStream, deltaOfFile, patchBuffer, signatureOfFile,
  type SignatureOptions,
} from '../src/index.js';
import { seededBytes } from './fixtures/helpers.js';

async function collect(source: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

function pieces(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

// A copy of `basis` with a few bytes changed, one inserted near the start, and a cut near the end.
function edited(basis: Buffer): Buffer {
  if (basis.length < 100) return Buffer.concat([Buffer.from('x'), basis]);
  const copy = Buffer.from(basis);
  for (let i = 1; i <= 5; i++) copy[Math.floor((copy.length * i) / 6)]! ^= 0xff;
  return Buffer.concat([copy.subarray(0, 10), Buffer.from('inserted'), copy.subarray(10, copy.length - 50)]);
}

async function withFile<T>(file: string, use: (handle: fs.FileHandle) => Promise<T>): Promise<T> {
  const handle = await fs.open(file, 'r');
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

// 70 MiB spans three steps of the file engines (32 MiB each) and many of their 4 MiB pieces.
const sizes = [0, 1, 4095, (5 << 20) + 17, (70 << 20) + 3];
const variants: SignatureOptions[] = [{ digest: 'blake3' }, { format: 'librsync' }, { format: 'native', blockLength: 700 }];

t.test('the same signature and delta as the stream engines, and a delta that patches', async (t) => {
  const dir = t.testdir();
  for (const size of sizes) {
    const basis = seededBytes(size + 1, size);
    const target = edited(basis);
    await fs.writeFile(path.join(dir, 'basis'), basis);
    await fs.writeFile(path.join(dir, 'target'), target);
    for (const options of variants) {
      const label = `${size} B ${JSON.stringify(options)}`;
      const signature = await withFile(path.join(dir, 'basis'), (handle) => collect(signatureOfFile(handle, options)));
      const streamed = await collect(Readable.from(pieces(basis, 1 << 20)).pipe(createSignatureStream({ ...options, sizeHint: size })));
      t.ok(signature.equals(streamed), `signature, ${label}`);
      const delta = await withFile(path.join(dir, 'target'), (handle) => collect(deltaOfFile(signature, handle)));
      const streamedDelta = await collect(Readable.from(pieces(target, 1 << 20)).pipe(createDeltaStream(signature)));
      t.ok(delta.equals(streamedDelta), `delta, ${label}`);
      t.ok((await patchBuffer(basis, delta)).equals(target), `patch, ${label}`);
    }
  }
});

t.test('the handle stays open, is read from its position and keeps it', async (t) => {
  const file = path.join(t.testdir(), 'basis');
  const basis = seededBytes(3, 100_000);
  await fs.writeFile(file, basis);
  await withFile(file, async (handle) => {
    await handle.read(Buffer.alloc(10), 0, 10, null);  // a caller that read the first bytes itself
    const first = await collect(signatureOfFile(handle));
    const second = await collect(signatureOfFile(handle));
    t.ok(first.equals(second), 'a second signature through the same handle, from the same place');
    const delta = await collect(deltaOfFile(first, handle));
    t.ok((await patchBuffer(basis.subarray(10), delta)).equals(basis.subarray(10)), 'the bytes after the position');
  });
});

t.test('failures are typed', async (t) => {
  const file = path.join(t.testdir(), 'basis');
  await fs.writeFile(file, seededBytes(4, (40 << 20) + 1));
  await withFile(file, async (handle) => {
    await t.rejects(collect(deltaOfFile(Buffer.from('not a signature'), handle)), BadSignatureError);
    const early = new AbortController();
    early.abort();
    await t.rejects(collect(signatureOfFile(handle, { signal: early.signal })), AbortedError, 'aborted before the first step');
    // Aborted after the first step's output: the next step does not start.
    const late = new AbortController();
    const signature = await collect(signatureOfFile(handle));
    let steps = 0;
    await t.rejects((async () => {
      for await (const chunk of deltaOfFile(signature, handle, { signal: late.signal })) {
        steps++;
        if (chunk.length > 0) late.abort();
      }
    })(), AbortedError, 'aborted between steps');
    t.equal(steps, 1, 'one step ran');
    t.throws(() => signatureOfFile(handle, { blockLength: -5 }), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
  });
});
