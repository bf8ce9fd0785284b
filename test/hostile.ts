// Damaged or crafted signatures and deltas: a typed error, and no output file left behind.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  BadSignatureError, BasisMismatchError, CorruptDeltaError, deltaBuffer, deltaFile, DeltanodeError,
  DigestMismatchError, patchBuffer, patchFile, signatureBuffer,
} from '../src/index.js';
import { random, seededBytes } from './fixtures/helpers.js';

const basis = seededBytes(1, 20000);
const target = Buffer.concat([basis.subarray(0, 9000), seededBytes(2, 300), basis.subarray(9500)]);

function rsDelta(...body: number[]): Buffer {
  return Buffer.from([0x72, 0x73, 0x02, 0x36, ...body]);
}

async function expectPatchFailure(t: Test, dir: string, delta: Buffer, code: string, label: string,
  basisData: Buffer = basis): Promise<void> {
  const basisPath = path.join(dir, 'basis');
  const deltaPath = path.join(dir, 'delta');
  const outPath = path.join(dir, 'out');
  await fs.writeFile(basisPath, basisData);
  await fs.writeFile(deltaPath, delta);
  await t.rejects(patchFile(basisPath, deltaPath, outPath), { code }, `${label}: file`);
  t.same((await fs.readdir(dir)).sort(), ['basis', 'delta'], `${label}: no output left`);
  await t.rejects(patchBuffer(basisData, delta), { code }, `${label}: buffer`);
}

t.test('crafted librsync deltas', async (t) => {
  const dir = t.testdir();
  const cases: Array<[string, Buffer, string]> = [
    ['copy past the basis', rsDelta(0x4a, 0x4e, 0x20, 0x00, 0x10, 0x00), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['copy offset past the basis', rsDelta(0x49, 0xff, 0xff, 0x01, 0x00), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['huge 8-byte copy', rsDelta(0x54, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0),
      'DELTANODE_ERR_CORRUPT_DELTA'],
    ['zero-length copy', rsDelta(0x45, 0, 0, 0), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['huge literal', rsDelta(0x44, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['literal past the end', rsDelta(0x10, 1, 2, 3), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['zero-length literal', rsDelta(0x41, 0, 0), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['reserved opcode', rsDelta(0x55, 0), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['reserved opcode 0xff', rsDelta(0xff), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['missing END', rsDelta(0x02, 0x61, 0x62), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['trailing garbage', rsDelta(0x01, 0x61, 0x00, 0x00), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['empty file', Buffer.alloc(0), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['bad magic', Buffer.from('hello world'), 'DELTANODE_ERR_CORRUPT_DELTA'],
    ['a signature given as delta', Buffer.from([0x72, 0x73, 0x01, 0x47, 0, 0, 1, 0, 0, 0, 0, 32]), 'DELTANODE_ERR_CORRUPT_DELTA'],
  ];
  for (const [label, delta, code] of cases) await expectPatchFailure(t, dir, delta, code, label);
});

t.test('every truncation and many bit flips of real deltas', async (t) => {
  const dir = t.testdir();
  for (const format of ['native', 'librsync'] as const) {
    const delta = await deltaBuffer(await signatureBuffer(basis, { format, blockLength: 512 }), target);
    for (let cut = 0; cut < delta.length; cut += Math.max(1, Math.floor(delta.length / 60))) {
      await t.rejects(patchBuffer(basis, delta.subarray(0, cut)), CorruptDeltaError, `${format} cut at ${cut}`);
    }
    await expectPatchFailure(t, dir, delta.subarray(0, delta.length - 1), 'DELTANODE_ERR_CORRUPT_DELTA', `${format} minus one byte`);
    const rnd = random(99);
    for (let i = 0; i < 300; i++) {
      const flipped = Buffer.from(delta);
      const at = rnd(flipped.length);
      flipped[at] = flipped[at]! ^ (1 << rnd(8));
      try {
        const out = await patchBuffer(basis, flipped);
        // Native deltas verify their output: what they accept must be right.
        if (format === 'native' && !out.equals(target)) t.fail(`native flip at ${at} produced a wrong file`);
      } catch (error) {
        if (!(error instanceof DeltanodeError)) t.fail(`untyped error ${String(error)}`);
      }
    }
  }
  t.pass('flips give typed errors or, for native deltas, the right file');
});

t.test('a native delta refuses the wrong basis', async (t) => {
  const dir = t.testdir();
  const delta = await deltaBuffer(await signatureBuffer(basis), target);
  const edited = Buffer.from(basis);
  edited[100] = edited[100]! ^ 1;
  await expectPatchFailure(t, dir, delta, 'DELTANODE_ERR_DIGEST_MISMATCH', 'same length, other content', edited);
  await expectPatchFailure(t, dir, delta, 'DELTANODE_ERR_BASIS_MISMATCH', 'other length', basis.subarray(1));
  await t.rejects(patchBuffer(edited, delta), DigestMismatchError);
  await t.rejects(patchBuffer(basis.subarray(1), delta), BasisMismatchError);
  // Either digest is checked: BLAKE3 deltas refuse the wrong basis too, and a delta that claims
  // the other algorithm than the one its trailer was made with fails.
  const blake3Delta = await deltaBuffer(await signatureBuffer(basis, { digest: 'blake3' }), target);
  t.equal(blake3Delta[10], 1, 'digest id 1 (BLAKE3) in the delta header');
  t.equal(delta[10], 2, 'digest id 2 (XXH3-128) in the delta header');
  t.ok((await patchBuffer(basis, blake3Delta)).equals(target));
  await t.rejects(patchBuffer(edited, blake3Delta), DigestMismatchError);
  const relabelled = Buffer.from(delta);
  relabelled[10] = 1;
  await t.rejects(patchBuffer(basis, relabelled), DigestMismatchError, 'wrong digest algorithm');
  relabelled[10] = 3;
  await t.rejects(patchBuffer(basis, relabelled), { code: 'DELTANODE_ERR_CORRUPT_DELTA', message: /digest id/ });
});

t.test('damaged signatures', async (t) => {
  const dir = t.testdir();
  for (const format of ['native', 'librsync'] as const) {
    const signature = await signatureBuffer(basis, { format, blockLength: 1000 });
    const header = format === 'native' ? 64 : 12;
    for (const cut of [0, 3, header - 1, header + 1, header + 7]) {
      await t.rejects(deltaBuffer(signature.subarray(0, cut), target), BadSignatureError, `${format} cut at ${cut}`);
    }
    if (format === 'native') {
      await t.rejects(deltaBuffer(signature.subarray(0, signature.length - 1), target), BadSignatureError, 'native short by one');
      const badVersion = Buffer.from(signature);
      badVersion[4] = 9;
      await t.rejects(deltaBuffer(badVersion, target), { code: 'DELTANODE_ERR_BAD_SIGNATURE', message: /version 9/ });
      const badDigest = Buffer.from(signature);
      badDigest[13] = 3;
      await t.rejects(deltaBuffer(badDigest, target), { code: 'DELTANODE_ERR_BAD_SIGNATURE', message: /digest id/ });
    }
    const zeroBlock = Buffer.from(signature);
    if (format === 'librsync') zeroBlock.writeUInt32BE(0, 4);
    else zeroBlock.writeUInt32LE(0, 16);
    await t.rejects(deltaBuffer(zeroBlock, target), BadSignatureError, `${format} zero block length`);
    const sigPath = path.join(dir, `${format}.sig`);
    const newPath = path.join(dir, 'new');
    await fs.writeFile(sigPath, signature.subarray(0, header - 2));
    await fs.writeFile(newPath, target);
    await t.rejects(deltaFile(sigPath, newPath, path.join(dir, 'delta')), BadSignatureError);
    t.notOk((await fs.readdir(dir)).some((name) => name.startsWith('delta') || name.includes('tmp')), 'no delta written');
  }
  await t.rejects(deltaBuffer(Buffer.from([0x72, 0x73, 0x02, 0x36, 0]), target), { message: /delta, not a signature/ });
});

t.test('the same file given as delta twice is not a crash', async (t) => {
  const signature = await signatureBuffer(basis);
  await t.rejects(patchBuffer(basis, signature), CorruptDeltaError);
});

t.test('a basis written to while it is patched fails the patch and leaves no output', async (t) => {
  const dir = t.testdir();
  const basisPath = path.join(dir, 'basis');
  const fifo = path.join(dir, 'delta.fifo');
  const output = path.join(dir, 'out');
  await fs.writeFile(basisPath, basis);
  // librsync deltas carry no digest: only this check would notice.
  const delta = await deltaBuffer(await signatureBuffer(basis, { format: 'librsync' }), basis);
  execFileSync('mkfifo', [fifo]);
  const job = patchFile(basisPath, fifo, output);
  job.catch(() => undefined);
  const writer = await fs.open(fifo, 'w');
  await writer.write(delta.subarray(0, 16));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await fs.utimes(basisPath, new Date(), new Date());  // ctime moves, as with any write
  await writer.write(delta.subarray(16));
  await writer.close();
  await t.rejects(job, { code: 'DELTANODE_ERR_IO', message: /changed while it was being patched/ });
  t.same((await fs.readdir(dir)).sort(), ['basis', 'delta.fifo'], 'no output, no temporary file');
});
