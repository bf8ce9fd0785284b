// Offsets and lengths above 4 GiB, on sparse files so the test needs little disk and time.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { deltaFile, patchFile, signatureFile } from '../src/index.js';
import { seededBytes } from './fixtures/helpers.js';

const GiB = 2 ** 30;
const SIZE = 4 * GiB + 123457;

async function writeSparse(file: string, islands: Array<[number, Buffer]>, size: number): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    for (const [offset, data] of islands) await handle.write(data, 0, data.length, offset);
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}

t.test('signature, delta and patch of a file over 4 GiB', async (t) => {
  const dir = t.testdir();
  const basisPath = path.join(dir, 'basis');
  const newPath = path.join(dir, 'new');
  const islands: Array<[number, Buffer]> = [
    [0, seededBytes(1, 100000)],
    [2 * GiB + 17, seededBytes(2, 70000)],
    [4 * GiB - 5000, seededBytes(3, 10000)], // straddles the 32-bit boundary
    [4 * GiB + 50000, seededBytes(4, 60000)],
  ];
  await writeSparse(basisPath, islands, SIZE);
  // The new file changes bytes beyond 4 GiB and grows a tail, so copies need 64-bit offsets.
  await writeSparse(newPath, [...islands, [4 * GiB + 70000, seededBytes(5, 3000)], [SIZE, seededBytes(6, 999)]], SIZE + 999);
  const newDigest = (await signatureFile(newPath, path.join(dir, 'new.sig'))).basis!.digest;

  for (const format of ['native', 'librsync'] as const) {
    const sig = await signatureFile(basisPath, path.join(dir, `${format}.sig`), { format });
    t.ok(sig.blockLength > 0);
    const delta = await deltaFile(path.join(dir, `${format}.sig`), newPath, path.join(dir, `${format}.delta`));
    t.equal(delta.newLength, SIZE + 999);
    const deltaSize = (await fs.stat(path.join(dir, `${format}.delta`))).size;
    t.ok(deltaSize < 200000, `${format} delta is small: ${deltaSize} bytes`);
    const out = path.join(dir, `${format}.out`);
    const patched = await patchFile(basisPath, path.join(dir, `${format}.delta`), out);
    t.equal(patched.outputLength, SIZE + 999);
    const outStat = await fs.stat(out);
    t.equal(outStat.size, SIZE + 999);
    t.ok(outStat.blocks * 512 < 64 * 2 ** 20, 'the patched file stays sparse');
    // A native patch verifies its output digest itself; a librsync delta carries none, so check.
    if (format === 'librsync') {
      const outDigest = (await signatureFile(out, path.join(dir, `${format}.check.sig`))).basis!.digest;
      t.ok(outDigest.equals(newDigest), `${format}: output identical to the new file`);
    }
    await fs.rm(out);
  }
});
