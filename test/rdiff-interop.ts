// The real rdiff (librsync 2.3) is the oracle for the librsync format: byte-identical signatures,
// and deltas applied across both ways.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { deltanode, editCases, hasRdiff, random, run } from './fixtures/helpers.js';

if (!hasRdiff) {
  t.fail('rdiff is not installed (apt-get install -y rdiff): the interop suite cannot run');
} else {
  t.test('randomised cases against rdiff', async (t) => {
    const dir = t.testdir();
    const rnd = random(2024);
    const blockChoices = ['0', '0', '64', '256', '1000', '2048', '7'];
    const sumChoices = ['0', '-1', '8', '16'];
    const hashChoices = ['blake2', 'md4'];
    const rollChoices = ['rabinkarp', 'rollsum'];
    let checked = 0;
    for (let round = 0; round < 6; round++) {
      const size = [0, 1, 300, 65536, 65537, 250000][round]!;
      for (const { name, basis, target } of editCases(100 + round, size)) {
        if (rnd(3) !== 0 && size > 1000) continue;
        const options = ['-b', blockChoices[rnd(blockChoices.length)]!, '-S', sumChoices[rnd(sumChoices.length)]!,
          '-H', hashChoices[rnd(2)]!, '-R', rollChoices[rnd(2)]!];
        const label = `${name} size ${size} ${options.join(' ')}`;
        const basisPath = path.join(dir, 'basis');
        const newPath = path.join(dir, 'new');
        await fs.writeFile(basisPath, basis);
        await fs.writeFile(newPath, target);
        for (const file of ['ours.sig', 'theirs.sig', 'ours.delta', 'theirs.delta', 'a.out', 'b.out']) {
          await fs.rm(path.join(dir, file), { force: true });
        }
        const ours = await deltanode(['signature', '--format', 'librsync', ...options, basisPath, path.join(dir, 'ours.sig')]);
        const theirs = await run('rdiff', ['signature', ...options, basisPath, path.join(dir, 'theirs.sig')]);
        t.equal(ours.code, 0, `our signature ran: ${label} ${ours.stderr}`);
        t.equal(theirs.code, 0, `rdiff signature ran: ${label} ${theirs.stderr}`);
        const same = (await fs.readFile(path.join(dir, 'ours.sig'))).equals(await fs.readFile(path.join(dir, 'theirs.sig')));
        t.ok(same, `signature byte-identical: ${label}`);
        // Our delta, rdiff's patch.
        t.equal((await deltanode(['delta', path.join(dir, 'theirs.sig'), newPath, path.join(dir, 'ours.delta')])).code, 0);
        t.equal((await run('rdiff', ['patch', basisPath, path.join(dir, 'ours.delta'), path.join(dir, 'a.out')])).code, 0);
        t.ok((await fs.readFile(path.join(dir, 'a.out'))).equals(target), `rdiff patches our delta: ${label}`);
        // rdiff's delta, our patch.
        t.equal((await run('rdiff', ['delta', path.join(dir, 'ours.sig'), newPath, path.join(dir, 'theirs.delta')])).code, 0);
        t.equal((await deltanode(['patch', basisPath, path.join(dir, 'theirs.delta'), path.join(dir, 'b.out')])).code, 0);
        t.ok((await fs.readFile(path.join(dir, 'b.out'))).equals(target), `we patch rdiff's delta: ${label}`);
        const ourSize = (await fs.stat(path.join(dir, 'ours.delta'))).size;
        const theirSize = (await fs.stat(path.join(dir, 'theirs.delta'))).size;
        t.ok(ourSize <= theirSize + 16, `delta size ${ourSize} vs rdiff ${theirSize}: ${label}`);
        checked++;
      }
    }
    t.ok(checked >= 20, `${checked} cases checked`);
  });

  t.test('signature from stdin matches rdiff reading stdin (unknown size defaults)', async (t) => {
    const data = editCases(7, 100000)[4]!.basis;
    for (const args of [[], ['-S', '-1'], ['-H', 'md4']]) {
      const ours = await deltanode(['signature', '--format', 'librsync', ...args], { input: data });
      const theirs = await run('rdiff', ['signature', ...args, '-', '-'], { input: data });
      t.equal(ours.code, 0, ours.stderr);
      t.ok(ours.stdout.equals(theirs.stdout), `stdin signature ${args.join(' ')} identical`);
    }
  });

  t.test('the worked example of the format notes', async (t) => {
    const dir = t.testdir();
    const basis = editCases(3, 100000)[4]!.basis;
    const target = Buffer.concat([basis.subarray(0, 50000), Buffer.from('12345'), basis.subarray(50000)]);
    await fs.writeFile(path.join(dir, 'basis'), basis);
    await fs.writeFile(path.join(dir, 'new'), target);
    await deltanode(['signature', '--format', 'librsync', path.join(dir, 'basis'), path.join(dir, 'sig')]);
    t.equal((await fs.stat(path.join(dir, 'sig'))).size, 14088);
    await deltanode(['delta', path.join(dir, 'sig'), path.join(dir, 'new'), path.join(dir, 'delta')]);
    const delta = await fs.readFile(path.join(dir, 'delta'));
    // COPY(0, 49920) LITERAL(261) COPY(50176, 49824) END, as rdiff writes it.
    t.same([...delta.subarray(0, 8)], [0x72, 0x73, 0x02, 0x36, 0x46, 0x00, 0xc3, 0x00]);
    t.equal(delta[8], 0x42, 'literal with a 2-byte length');
    t.equal(delta.readUInt16BE(9), 261);
    t.equal(delta.length, 4 + 4 + 3 + 261 + 5 + 1);
  });
}
