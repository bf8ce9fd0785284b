#!/usr/bin/env node
// The quick-start job: make a 64 MiB "dataset" file, change it in a few places, then send only the
// difference with the deltanode command and prove the result identical by digest.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'deltanode.js');
const dir = mkdtempSync(path.join(tmpdir(), 'deltanode-demo-'));
const file = (name) => path.join(dir, name);
function run(...args) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  process.stdout.write(`   ${result.stderr}`);
  if (result.status !== 0) throw new Error(`deltanode ${args[0]} failed with status ${result.status}`);
}
const digest = (name) => createHash('sha256').update(readFileSync(file(name))).digest('hex');

try {
  const old = randomBytes(64 << 20);
  const edited = Buffer.from(old);
  for (let i = 0; i < 10; i++) randomBytes(100).copy(edited, Math.floor(Math.random() * (edited.length - 100)));
  const updated = Buffer.concat([edited.subarray(0, 1000), Buffer.from('a new header line\n'), edited.subarray(1000)]);
  writeFileSync(file('site-b.bin'), old);
  writeFileSync(file('site-a.bin'), updated);

  console.log(`site A holds the new version, site B an old one (${dir})`);
  console.log('1. site B signs its copy:');
  run('signature', '-s', file('site-b.bin'), file('b.sig'));
  console.log('2. site A computes the delta against that signature:');
  run('delta', '-s', file('b.sig'), file('site-a.bin'), file('a-to-b.delta'));
  console.log('3. site B patches its copy (the native format verifies the result by digest):');
  run('patch', '-s', file('site-b.bin'), file('a-to-b.delta'), file('site-b.new'));

  const sent = statSync(file('b.sig')).size + statSync(file('a-to-b.delta')).size;
  console.log(`\nbytes exchanged: ${sent} of ${updated.length} (${(100 * sent / updated.length).toFixed(2)}%)`);
  const same = digest('site-a.bin') === digest('site-b.new');
  console.log(`site A and site B identical: ${same ? 'yes' : 'NO'} (sha256 ${digest('site-b.new').slice(0, 16)}...)`);
  process.exitCode = same ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
