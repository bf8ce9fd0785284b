// hashFile: digests equal the in-memory hashes on every path (empty, one read, two threads), a
// file changed while it is read is flagged, and failures are typed.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AbortedError, hash, hashFile, InvalidArgumentError, IoError } from '../src/index.js';
import { seededBytes } from './fixtures/helpers.js';

t.test('digests equal the in-memory hashes', async (t) => {
  const dir = t.testdir();
  // 0 bytes, one small read, several 1 MiB reads, and the two-thread BLAKE3 path (>= 16 MiB,
  // 8 MiB pieces read in 1 MiB parts by both threads: an odd tail, whole pieces, a short last part).
  for (const size of [0, 1, 1000, 3 * 2 ** 20 + 17, 21 * 2 ** 20 + 12345, 16 * 2 ** 20, 25 * 2 ** 20 - 1]) {
    const data = seededBytes(size + 7, size);
    const file = path.join(dir, `f${size}`);
    await fs.writeFile(file, data);
    const blake3 = await hashFile(file);
    t.ok(blake3.digest.equals(hash('blake3', data)), `BLAKE3 of ${size} bytes`);
    t.equal(blake3.length, size);
    t.equal(blake3.changed, false);
    t.equal(blake3.before.size, size);
    t.equal(typeof blake3.before.mtimeNs, 'bigint');
    const xxh3 = await hashFile(file, { digest: 'xxh3' });
    t.ok(xxh3.digest.equals(hash('xxh3-128', data)), `XXH3-128 of ${size} bytes`);
    t.equal(xxh3.digest.length, 16);
  }
  const handle = await fs.open(path.join(dir, 'f1000'));
  try {
    const viaDescriptor = await hashFile({ fd: handle.fd });
    t.ok(viaDescriptor.digest.equals(hash('blake3', seededBytes(1007, 1000))), 'an open descriptor works too');
  } finally {
    await handle.close();
  }
});

t.test('a file modified while it is read is reported as changed', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'growing');
  const handle = await fs.open(file, 'w');
  await handle.truncate(512 * 2 ** 20);  // sparse: long enough to act while it is read
  await handle.close();
  let touched = false;
  const result = await hashFile(file, {
    progressInterval: 1,
    onProgress: ({ bytesDone }) => {
      if (bytesDone > 0 && !touched) {
        touched = true;
        void fs.appendFile(file, 'more');
      }
    },
  });
  t.ok(touched, 'the file was modified during the read');
  t.equal(result.changed, true, 'flagged as changed');
  t.not(result.after.size, result.before.size);
});

t.test('failures are typed', async (t) => {
  const dir = t.testdir();
  await t.rejects(hashFile(path.join(dir, 'missing')), IoError);
  await t.rejects(hashFile(dir), { code: 'DELTANODE_ERR_IO', message: /directory/i });
  await t.rejects(hashFile(dir, { digest: 'sha1' as never }), InvalidArgumentError);
  const file = path.join(dir, 'sparse');
  const handle = await fs.open(file, 'w');
  await handle.truncate(4 * 2 ** 30);
  await handle.close();
  const controller = new AbortController();
  const job = hashFile(file, {
    signal: controller.signal,
    progressInterval: 1,
    onProgress: ({ bytesDone }) => {
      if (bytesDone > 0) controller.abort();
    },
  });
  await t.rejects(job, AbortedError);
});
