// The deltanode command: rdiff-style arguments, stdin/stdout, exit statuses.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { deltanode } from './fixtures/helpers.js';
import { seededBytes } from './fixtures/helpers.js';

t.test('signature, delta and patch through files and pipes', async (t) => {
  const basis = seededBytes(1, 300000);
  const target = Buffer.concat([basis.subarray(0, 1000), Buffer.from('inserted'), basis.subarray(1000)]);
  const dir = t.testdir();
  const file = (name: string): string => path.join(dir, name);
  await fs.writeFile(file('basis'), basis);
  await fs.writeFile(file('new'), target);
  const sig = await deltanode(['signature', '-s', file('basis'), file('sig')]);
  t.equal(sig.code, 0, sig.stderr);
  t.match(sig.stderr, /signature: native rabinkarp\+xxh3, block \d+, strong 16/);
  t.equal((await deltanode(['delta', file('sig'), file('new'), file('delta')])).code, 0);
  t.equal((await deltanode(['patch', file('basis'), file('delta'), file('out')])).code, 0);
  t.ok((await fs.readFile(file('out'))).equals(target));
  // stdin and stdout, as rdiff allows with "-" or a missing name.
  const piped = await deltanode(['signature', '-', '-'], { input: basis });
  t.equal(piped.code, 0);
  await fs.writeFile(file('sig2'), piped.stdout);
  const delta = await deltanode(['delta', file('sig2'), '-'], { input: target });
  t.equal(delta.code, 0, delta.stderr);
  const patched = await deltanode(['patch', file('basis')], { input: delta.stdout });
  t.equal(patched.code, 0, patched.stderr);
  t.ok(patched.stdout.equals(target), 'patched through pipes');
});

t.test('options and exit statuses', async (t) => {
  const dir = t.testdir({ basis: 'hello world', junk: 'not a delta at all' });
  const file = (name: string): string => path.join(dir, name);
  t.equal((await deltanode(['signature', '-b', '4', '-S', '-1', '-H', 'md4', '-R', 'rollsum', '--format', 'librsync',
    file('basis'), file('s1')])).code, 0);
  const header = (await fs.readFile(file('s1'))).subarray(0, 12);
  t.same([...header], [0x72, 0x73, 0x01, 0x36, 0, 0, 0, 4, 0, 0, 0, 6], 'rollsum+md4 magic, block 4, min strong 6');
  const exists = await deltanode(['signature', file('basis'), file('s1')]);
  t.equal(exists.code, 2, 'refuses to overwrite');
  t.match(exists.stderr, /already exists/);
  t.equal((await deltanode(['signature', '-f', file('basis'), file('s1')])).code, 0, '--force overwrites');
  t.equal((await deltanode(['signature', '--format', 'librsync', '-H', 'xxh3', file('basis'), file('s2')])).code, 2);
  t.equal((await deltanode(['signature', '-H', 'sha1', file('basis'), file('s2')])).code, 2);
  t.equal((await deltanode(['signature', '-b', 'x', file('basis'), file('s2')])).code, 2);
  t.equal((await deltanode(['signature', '-S', '99', file('basis'), file('s2')])).code, 2);
  t.equal((await deltanode(['signature', file('missing'), file('s2')])).code, 2, 'missing input');
  t.equal((await deltanode(['delta', file('junk'), file('basis'), file('d')])).code, 2, 'bad signature');
  t.equal((await deltanode(['patch', file('basis'), file('junk'), file('p')])).code, 2, 'corrupt delta');
  t.equal((await deltanode(['patch', '-', file('junk')])).code, 2, 'basis from stdin refused');
  t.equal((await deltanode(['delta', '-'])).code, 2, 'SIG and NEWFILE both stdin refused');
  t.equal((await deltanode(['bogus'])).code, 2);
  t.equal((await deltanode(['signature', '--nope'])).code, 2);
  t.equal((await deltanode([])).code, 2);
  const help = await deltanode(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout.toString(), /deltanode signature/);
  for (const args of [['sync', '--help'], ['signature', '-h', 'in', 'out'], ['host', 'sync', '--help']]) {
    const asked = await deltanode(args);
    t.equal(asked.code, 0, `${args.join(' ')}: help, not the command`);
    t.match(asked.stdout.toString(), /Usage: deltanode/);
  }
  t.match((await deltanode(['signature', '--', '--help'])).stderr.toString(), /open --help: No such file/, 'after --, --help is a file name (here a missing one)');
  t.equal((await deltanode(['bogus', '--help'])).code, 2, 'an unknown command stays an error');
  t.match((await deltanode(['--version'])).stdout.toString(), /^deltanode \d+\.\d+\.\d+/);
  t.same((await fs.readdir(dir)).filter((n) => n.includes('tmp')), [], 'no temporary files left');
});
