// Signatures and deltas of open files, read by the engine itself, and patches the engine writes
// into a file itself: the same bytes as the stream engines give for the same input, over steps
// of any number, and typed failures.
import t from 'tap';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortedError, BadSignatureError, CorruptDeltaError, createDeltaStream, createSignatureStream, deltaBuffer, deltaOfFile,
  DigestMismatchError, hash, InvalidArgumentError, IoError, patchBuffer, patchIntoFile, signatureBuffer, signatureOfFile,
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

// The new file patched into `output` from `delta` fed in pieces of `piece` bytes.
async function patchedInto(dir: string, basis: Buffer, delta: Buffer, piece: number, flags = 'wx'): Promise<{ bytes: Buffer; written: number }> {
  const basisPath = path.join(dir, 'patch-basis');
  const outputPath = path.join(dir, 'patch-output');
  await fs.writeFile(basisPath, basis);
  await fs.rm(outputPath, { force: true });
  const output = await fs.open(outputPath, flags, 0o600);
  try {
    const written = await withFile(basisPath, (handle) => patchIntoFile(handle, Readable.from(pieces(delta, piece)), output, { sync: true }));
    return { bytes: await fs.readFile(outputPath), written };
  } finally {
    await output.close();
  }
}

t.test('a patch written into a file by the engine: the new file whatever the pieces of the delta', async (t) => {
  const dir = t.testdir();
  for (const size of [0, 1, 4095, (5 << 20) + 17, (70 << 20) + 3]) {
    const basis = seededBytes(size + 7, size);
    const target = edited(basis);
    for (const options of [{}, { format: 'librsync' }] as SignatureOptions[]) {
      const delta = await deltaBuffer(await signatureBuffer(basis, options), target);
      for (const piece of size < 5000 ? [1, 7, 1 << 20] : [1000, 1 << 20, 16 << 20]) {
        const { bytes, written } = await patchedInto(dir, basis, delta, piece);
        t.ok(bytes.equals(target), `${size} B ${JSON.stringify(options)}, pieces of ${piece}`);
        t.equal(written, target.length, 'reports the bytes written');
      }
    }
  }
});

t.test('a patch written by the engine leaves runs of zeros as holes, and writes past the page cache with O_DIRECT', async (t) => {
  const dir = t.testdir();
  const basis = seededBytes(11, 8 << 20);
  const target = Buffer.concat([basis.subarray(0, 1 << 20), Buffer.alloc(16 << 20), basis.subarray(1 << 20), Buffer.alloc(3 << 20)]);
  const delta = await deltaBuffer(await signatureBuffer(basis), target);
  const { bytes } = await patchedInto(dir, basis, delta, 1 << 20);
  t.ok(bytes.equals(target), 'the same bytes');
  const stat = await fs.stat(path.join(dir, 'patch-output'));
  t.equal(stat.size, target.length, 'the trailing hole counts in the size');
  t.ok(stat.blocks * 512 <= (9 << 20), `${stat.blocks * 512} bytes allocated for ${target.length}`);
  const direct = await patchedInto(dir, basis, delta, 1 << 20, 'wx' as const);
  t.ok(direct.bytes.equals(target));
  const outputPath = path.join(dir, 'direct-output');
  const output = await fs.open(outputPath, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_DIRECT, 0o600);
  try {
    await withFile(path.join(dir, 'patch-basis'), (handle) => patchIntoFile(handle, Readable.from([delta]), output));
  } finally {
    await output.close();
  }
  t.ok((await fs.readFile(outputPath)).equals(target), 'through O_DIRECT');
});

t.test('a patch written by the engine fails with a typed error on a bad delta, an abort or a changed basis', async (t) => {
  const dir = t.testdir();
  const basis = seededBytes(21, 3 << 20);
  const target = edited(basis);
  const delta = await deltaBuffer(await signatureBuffer(basis), target);
  const flipped = Buffer.from(delta);
  flipped[flipped.length - 1]! ^= 1;
  await t.rejects(patchedInto(dir, basis, flipped, 1 << 20), DigestMismatchError, 'a digest that does not match');
  await t.rejects(patchedInto(dir, basis, delta.subarray(0, delta.length - 10), 1 << 20), CorruptDeltaError, 'a truncated delta');
  await t.rejects(patchedInto(dir, basis, Buffer.concat([delta, Buffer.from('more')]), 1 << 20), CorruptDeltaError, 'bytes after the end');
  await t.rejects(patchedInto(dir, basis, Buffer.concat([delta, Buffer.from('more')]), delta.length), CorruptDeltaError, 'a chunk after the end');
  await t.rejects(patchedInto(dir, basis, Buffer.from('not a delta at all'), 4), CorruptDeltaError, 'not a delta');

  const basisPath = path.join(dir, 'patch-basis');
  const run = async (chunks: AsyncIterable<Buffer> | Iterable<Buffer>, signal?: AbortSignal) => {
    const output = await fs.open(path.join(dir, `out-${Math.random()}`), 'wx');
    try {
      return await withFile(basisPath, (handle) => patchIntoFile(handle, chunks, output, signal ? { signal } : {}));
    } finally {
      await output.close();
    }
  };
  let returned = 0;
  // Yields the delta in four pieces, calling `between` after the first; counts a return() from the
  // patch. (In one piece, as 64 KiB pieces of this small delta were, the patch could finish and
  // check its basis before `between` had run: a race the test lost on a loaded machine.)
  const feed = (between: () => Promise<void> | void) => ({
    [Symbol.asyncIterator]() {
      const parts = pieces(delta, Math.ceil(delta.length / 4));
      let at = 0;
      return {
        async next(): Promise<IteratorResult<Buffer>> {
          if (at === 1) await between();
          return at < parts.length ? { done: false, value: parts[at++]! } : { done: true, value: undefined };
        },
        async return(): Promise<IteratorResult<Buffer>> {
          returned++;
          return { done: true, value: undefined };
        },
      };
    },
  });
  const controller = new AbortController();
  await t.rejects(run(feed(() => controller.abort()), controller.signal), AbortedError, 'aborted between chunks');
  t.equal(returned, 1, 'the delta source is let go');
  await t.rejects(run(feed(() => fs.appendFile(basisPath, 'x'))), IoError, 'the basis changed meanwhile');
  await fs.writeFile(basisPath, basis);
  const failure = new Error('the link went down');
  await t.rejects(run(feed(() => {
    throw failure;
  })), failure, "the source's own error, unchanged");
  const early = new AbortController();
  early.abort();
  await t.rejects(run(Readable.from([delta]), early.signal), AbortedError, 'aborted before the first step');
  t.equal(await run(pieces(delta, 1000)), target.length, 'chunks from a plain iterable');
  const folder = await fs.open(dir, 'r');
  try {
    const output = await fs.open(path.join(dir, 'out-of-a-folder'), 'wx');
    try {
      await t.rejects(patchIntoFile(folder, [delta], output), IoError, 'a folder as the basis');
    } finally {
      await output.close();
    }
  } finally {
    await folder.close();
  }
});

t.test('a known digest is written instead of computed, and a patch holds the content to it', async (t) => {
  const dir = t.testdir();
  const basis = seededBytes(31, (6 << 20) + 5);
  const target = edited(basis);
  await fs.writeFile(path.join(dir, 'basis'), basis);
  await fs.writeFile(path.join(dir, 'target'), target);
  const claimed = Buffer.alloc(32, 7);
  const signature = await withFile(path.join(dir, 'basis'), (handle) => collect(signatureOfFile(handle, { digest: 'blake3', knownDigest: claimed })));
  t.ok(signature.subarray(-40, -8).equals(claimed), "the signature's trailer carries the digest given");
  const sign = (options: object) => withFile(path.join(dir, 'basis'), (handle) => collect(signatureOfFile(handle, { digest: 'blake3', ...options })));
  t.ok((await sign({})).subarray(-40, -8).equals(hash('blake3', basis)), 'without one, the digest computed');
  const truthful = await withFile(path.join(dir, 'target'), (handle) => collect(deltaOfFile(signature, handle, { knownDigest: hash('blake3', target) })));
  t.ok((await patchBuffer(basis, truthful)).equals(target), 'a true digest patches');
  const lying = await withFile(path.join(dir, 'target'), (handle) => collect(deltaOfFile(signature, handle, { knownDigest: claimed })));
  t.ok(lying.subarray(-32).equals(claimed), "the delta's trailer carries the digest given");
  await t.rejects(patchBuffer(basis, lying), DigestMismatchError, 'content that is not what the digest says fails at the patch');
  await withFile(path.join(dir, 'target'), async (handle) => {
    t.throws(() => deltaOfFile(signature, handle, { knownDigest: Buffer.alloc(5) }), InvalidArgumentError);
    t.throws(() => signatureOfFile(handle, { knownDigest: 'not a buffer' as unknown as Buffer }), InvalidArgumentError);
  });
});
