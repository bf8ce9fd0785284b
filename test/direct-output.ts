// A patch into a descriptor opened with O_DIRECT: whole aligned buffers past the page cache, the
// last partial block the buffered way, and the same bytes as ever.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { deltaBuffer, patchFile, signatureBuffer } from '../src/index.js';
import { seededBytes } from './fixtures/helpers.js';

const MiB = 1 << 20;

// Pages of `file` in the page cache (util-linux fincore), or null where that cannot be told.
function cachedPages(file: string): number | null {
  const result = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'PAGES', file], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : null;
}

t.test('every size comes out whole, and the bulk of a large one skips the page cache', async (t) => {
  const dir = t.testdir();
  const basisPath = path.join(dir, 'basis');
  const basis = seededBytes(1, 9 * MiB);
  await fs.writeFile(basisPath, basis);
  const signature = await signatureBuffer(basis);
  for (const size of [0, 100, 4096, MiB, MiB + 1, 9 * MiB + 4097, 24 * MiB]) {
    // Half copied from the basis, half new: both the copy and the literal paths write.
    const target = Buffer.concat([basis.subarray(0, Math.min(size >> 1, basis.length)), seededBytes(size, size)]).subarray(0, size);
    const delta = await deltaBuffer(signature, target);
    const deltaPath = path.join(dir, 'delta');
    await fs.writeFile(deltaPath, delta);
    const outputPath = path.join(dir, `out-${size}`);
    const output = await fs.open(outputPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, 0o600);
    try {
      await patchFile(basisPath, deltaPath, { fd: output.fd });
    } finally {
      await output.close();
    }
    const pages = size >= 8 * MiB ? cachedPages(outputPath) : null;
    const written = await fs.readFile(outputPath);
    t.ok(written.equals(target), `${size} bytes`);
    if (pages !== null) t.ok(pages <= 8, `${size} bytes: ${pages} pages of the output were left in the page cache`);
  }
});
