// A patch into a descriptor opened with O_DIRECT: whole aligned buffers past the page cache, the
// last partial block the buffered way, and the same bytes as ever.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { deltaBuffer, deltaFile, patchFile, signatureBuffer } from '../src/index.js';
import { seededBytes } from './fixtures/helpers.js';

const MiB = 1 << 20;

// Pages of `file` in the page cache (util-linux fincore), or null where that cannot be told: also
// on a file system kept in memory (tmpfs), where every page of a file is a page-cache page.
function cachedPages(file: string): number | null {
  const kind = spawnSync('stat', ['--file-system', '--format', '%T', file], { encoding: 'utf8' });
  if (kind.status !== 0 || ['tmpfs', 'ramfs'].includes(kind.stdout.trim())) return null;
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

// A delta file the job creates goes past the page cache after its first 16 MiB (a large delta is
// mostly new data, and filling fresh page-cache pages was what its time went to); a small one
// stays cached for whoever reads it next. The bytes are the same either way.
t.test('a large delta file is written past the page cache after 16 MiB, a small one is not', async (t) => {
  const dir = t.testdir();
  const basis = seededBytes(7, 4 * MiB);
  const signaturePath = path.join(dir, 'sig');
  await fs.writeFile(signaturePath, await signatureBuffer(basis));
  for (const [name, newData] of [
    ['small', Buffer.concat([basis, seededBytes(8, 100_000)])],
    ['large', Buffer.concat([seededBytes(9, 40 * MiB + 12345), basis])],
  ] as const) {
    const newPath = path.join(dir, `${name}.new`);
    await fs.writeFile(newPath, newData);
    const deltaPath = path.join(dir, `${name}.delta`);
    await deltaFile(signaturePath, newPath, deltaPath);
    const pages = cachedPages(deltaPath);
    // The same job into a descriptor lent to it, which it writes the ordinary way.
    const lentPath = path.join(dir, `${name}.lent`);
    const lent = await fs.open(lentPath, 'wx');
    try {
      await deltaFile(signaturePath, newPath, { fd: lent.fd });
    } finally {
      await lent.close();
    }
    const written = await fs.readFile(deltaPath);
    t.ok(written.equals(await fs.readFile(lentPath)), `${name}: the same bytes as written through the page cache`);
    const basisPath = path.join(dir, 'basis');
    await fs.writeFile(basisPath, basis);
    await patchFile(basisPath, deltaPath, path.join(dir, `${name}.out`));
    t.ok((await fs.readFile(path.join(dir, `${name}.out`))).equals(newData), `${name}: patches back to the new file`);
    if (pages === null) continue;
    const total = Math.ceil(written.length / 4096);
    if (name === 'small') t.equal(pages, total, `small: all ${total} pages cached`);
    else t.ok(pages <= 16 * MiB / 4096 + 8, `large: ${pages} of ${total} pages were left in the page cache`);
  }
});
