// Signature -> delta -> patch must reproduce the new file exactly, through every API face.
import t from 'tap';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  createDeltaStream, createPatchStream, createSignatureStream, deltaBuffer, deltaFile, hash, patchBuffer, patchFile,
  signatureBuffer, signatureFile, type SignatureOptions,
} from '../src/index.js';
import { editCases } from './fixtures/helpers.js';

const variants: SignatureOptions[] = [
  {},
  { format: 'librsync' },
  { format: 'librsync', strongHash: 'md4', weakHash: 'rollsum' },
  { format: 'native', strongHash: 'blake2', weakHash: 'rollsum', strongLength: 8 },
  { format: 'native', blockLength: 1 },
  { format: 'native', blockLength: 64, strongLength: -1 },
  { format: 'librsync', blockLength: 4096, strongLength: -1 },
  { format: 'librsync', blockLength: 7, strongHash: 'md4', strongLength: 3 },
];

t.test('buffers: every edit shape, format, block and strong length', async (t) => {
  for (const options of variants) {
    const size = options.blockLength === 1 ? 3000 : 40000;
    for (const { name, basis, target } of editCases(11, size)) {
      const signature = await signatureBuffer(basis, options);
      const delta = await deltaBuffer(signature, target);
      const result = await patchBuffer(basis, delta);
      t.ok(result.equals(target), `${name} ${JSON.stringify(options)}`);
    }
  }
});

t.test('block-multiple and off-by-one sizes', async (t) => {
  for (const blockLength of [256, 1000]) {
    for (const size of [blockLength - 1, blockLength, blockLength + 1, 3 * blockLength, 3 * blockLength + 1]) {
      for (const { name, basis, target } of editCases(size, size)) {
        for (const format of ['native', 'librsync'] as const) {
          const signature = await signatureBuffer(basis, { format, blockLength });
          const result = await patchBuffer(basis, await deltaBuffer(signature, target));
          if (!result.equals(target)) t.fail(`${name} size ${size} block ${blockLength} ${format}`);
        }
      }
    }
  }
  t.pass('all sizes round-trip');
});

t.test('a small edit gives a small delta', async (t) => {
  const [, , , , , insertion] = editCases(5, 200000);
  for (const format of ['native', 'librsync'] as const) {
    const signature = await signatureBuffer(insertion!.basis, { format });
    const delta = await deltaBuffer(signature, insertion!.target);
    t.ok(delta.length < 2000, `${format} delta of a 17-byte insertion is ${delta.length} bytes`);
  }
});

t.test('streams with pipeline and backpressure', async (t) => {
  const dir = t.testdir();
  const cases = editCases(21, 300000).filter((c) => ['insertion', 'moved ranges', 'empty basis', 'to empty'].includes(c.name));
  for (const format of ['native', 'librsync'] as const) {
    for (const { name, basis, target } of cases) {
      const basisPath = path.join(dir, 'basis');
      await fs.writeFile(basisPath, basis);
      const signatureParts: Buffer[] = [];
      const signer = createSignatureStream({ format, sizeHint: basis.length });
      await pipeline(Readable.from(chunks(basis, 7777)), signer, async function* (source) {
        for await (const chunk of source) signatureParts.push(chunk as Buffer);
      });
      const signature = Buffer.concat(signatureParts);
      t.same(signer.params.format, format);
      const deltaParts: Buffer[] = [];
      await pipeline(Readable.from(chunks(target, 5000)), createDeltaStream(signature), async function* (source) {
        for await (const chunk of source) deltaParts.push(chunk as Buffer);
      });
      const delta = Buffer.concat(deltaParts);
      // Patch into a file through a slow consumer with tiny output steps: backpressure must hold.
      const handle = await fs.open(basisPath, 'r');
      const outPath = path.join(dir, 'out');
      try {
        await pipeline(Readable.from(chunks(delta, 3)), createPatchStream(handle, { outputChunkSize: 4096 }),
          createWriteStream(outPath, { highWaterMark: 1024 }));
      } finally {
        await handle.close();
      }
      t.ok((await fs.readFile(outPath)).equals(target), `${format} ${name}`);
    }
  }
});

t.test('files: signatureFile, deltaFile, patchFile with progress', async (t) => {
  const dir = t.testdir();
  const [, , , , , insertion] = editCases(31, 3 << 20);
  const basisPath = path.join(dir, 'basis');
  const newPath = path.join(dir, 'new');
  await fs.writeFile(basisPath, insertion!.basis);
  await fs.writeFile(newPath, insertion!.target);
  const cases = [
    { name: 'native', format: 'native', digest: 'xxh3' },
    { name: 'native-blake3', format: 'native', digest: 'blake3' },
    { name: 'librsync', format: 'librsync', digest: 'xxh3' },
  ] as const;
  for (const { name, format, digest } of cases) {
    const progress: number[] = [];
    const sig = await signatureFile(basisPath, path.join(dir, `${name}.sig`), {
      format, digest, onProgress: (p) => progress.push(p.bytesDone), progressInterval: 1,
    });
    t.equal(progress.at(-1), insertion!.basis.length, 'final progress reports every byte');
    t.equal(sig.format, format);
    if (format === 'native') {
      t.equal(sig.basis?.length, insertion!.basis.length);
      t.equal(sig.digest, digest);
      t.ok(sig.basis?.digest.equals(hash(digest === 'xxh3' ? 'xxh3-128' : 'blake3', insertion!.basis)),
        `the summary holds the ${digest} digest of the basis`);
    } else {
      t.equal(sig.basis, null, 'librsync signatures carry no summary');
    }
    const delta = await deltaFile(path.join(dir, `${name}.sig`), newPath, path.join(dir, `${name}.delta`));
    t.same(delta, { format, newLength: insertion!.target.length });
    const patched = await patchFile(basisPath, path.join(dir, `${name}.delta`), path.join(dir, `${name}.out`));
    t.same(patched, { format, outputLength: insertion!.target.length });
    t.ok((await fs.readFile(path.join(dir, `${name}.out`))).equals(insertion!.target));
    // The file faces and the stream faces produce the same bytes.
    const streamed = await collect(createReadStream(basisPath).pipe(
      createSignatureStream({ format, sizeHint: insertion!.basis.length })));
    if (format === 'librsync') t.ok(streamed.equals(await fs.readFile(path.join(dir, `${name}.sig`))), 'same signature');
  }
  const leftovers = (await fs.readdir(dir)).filter((name) => name.includes('deltanode-tmp'));
  t.same(leftovers, [], 'no temporary files left');
});

t.test('signatureFile reads in 1 MiB parts on two threads: sizes around parts and 4 MiB pieces', async (t) => {
  const dir = t.testdir();
  const MiB = 1 << 20;
  const data = editCases(43, 11 * MiB + 9)[4]!.basis;
  for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 4 * MiB - 1, 4 * MiB, 4 * MiB + 1, 11 * MiB + 7]) {
    const basis = data.subarray(0, size);
    const basisPath = path.join(dir, `basis-${size}`);
    await fs.writeFile(basisPath, basis);
    for (const options of [{ format: 'native', digest: 'xxh3' }, { format: 'native', digest: 'blake3' }, { format: 'librsync' }] as const) {
      const sigPath = path.join(dir, `${size}-${options.format}-${'digest' in options ? options.digest : ''}.sig`);
      const made = await signatureFile(basisPath, sigPath, options);
      const written = await fs.readFile(sigPath);
      const expected = await signatureBuffer(basis, options);
      const what = `${size} bytes, ${JSON.stringify(options)}`;
      if (options.format === 'librsync') {
        t.ok(written.equals(expected), `${what}: the same bytes as from memory`);
        continue;
      }
      // A native file gets its summary in the 64-byte header; from memory it comes in a 48-byte trailer.
      t.ok(written.subarray(64).equals(expected.subarray(64, expected.length - 48)), `${what}: the same blocks as from memory`);
      t.equal(made.basis?.length, size);
      t.ok(made.basis?.digest.equals(hash(options.digest === 'xxh3' ? 'xxh3-128' : 'blake3', basis)), `${what}: the digest of the whole`);
    }
  }
});

t.test('native signature from a pipe carries its summary in a trailer', async (t) => {
  const data = editCases(41, 50000)[4]!.basis;
  const viaStream = await collect(Readable.from(chunks(data, 999)).pipe(createSignatureStream({ sizeHint: data.length })));
  const viaBuffer = await signatureBuffer(data);
  t.equal(viaStream.subarray(0, 4).toString(), 'DNSG');
  t.ok(viaStream.equals(viaBuffer), 'stream and buffer signatures are identical');
  t.equal(viaStream.subarray(-8, -4).toString(), 'DNST', 'summary trailer at the end');
  t.equal(viaStream.readBigUInt64LE(viaStream.length - 48), BigInt(data.length), 'trailer states the basis length');
  const target = Buffer.concat([data, Buffer.from('tail')]);
  t.ok((await patchBuffer(data, await deltaBuffer(viaStream, target))).equals(target));
});

function* chunks(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
