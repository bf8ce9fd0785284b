#!/usr/bin/env node
// The quick-start job: two "sites" hold copies of a dataset that drifted apart (site B has an old
// version of a large file, lacks some files and has one of its own). deltanode compares them,
// mirrors site A onto site B (a delta for the large file, whole content for the small ones) and
// proves the copies identical.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'deltanode.js');
const dir = mkdtempSync(path.join(tmpdir(), 'deltanode-demo-'));
const siteA = path.join(dir, 'site-a');
const siteB = path.join(dir, 'site-b');
const state = path.join(dir, 'state');

function run(title, ...args) {
  console.log(`\n$ deltanode ${args.join(' ').replaceAll(dir, '$DEMO')}   # ${title}`);
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  process.stdout.write(result.stdout.replaceAll(dir, '$DEMO'));
  process.stderr.write(result.stderr);
  return result.status;
}

try {
  // Site A: a 64 MiB file and 300 small ones in 3 folders. Site B: the same, drifted.
  const large = randomBytes(64 << 20);
  for (const site of [siteA, siteB]) {
    for (let f = 0; f < 3; f++) mkdirSync(path.join(site, 'records', `batch-${f}`), { recursive: true });
  }
  writeFileSync(path.join(siteB, 'volume.img'), large);
  for (let i = 0; i < 20; i++) randomBytes(200).copy(large, Math.floor((i + 0.5) * large.length / 20));
  writeFileSync(path.join(siteA, 'volume.img'), large);
  for (let i = 0; i < 300; i++) {
    const record = path.join('records', `batch-${i % 3}`, `record-${i}.json`);
    const content = JSON.stringify({ id: i, payload: randomBytes(600).toString('base64') });
    writeFileSync(path.join(siteA, record), content);
    if (i % 50 !== 0) writeFileSync(path.join(siteB, record), content);  // every fiftieth is missing at B
  }
  writeFileSync(path.join(siteB, 'records', 'stale-export.csv'), 'only at site B\n');
  console.log(`site A holds the current dataset, site B a drifted copy (in ${dir}, shown as $DEMO)`);

  run('how do the copies differ?', 'compare', '--state', state, `A=${siteA}`, `B=${siteB}`);
  const synced = run('make B a mirror of A (removing what A lacks)', 'sync', '--from', 'A', '--delete', '--state', state,
    `A=${siteA}`, `B=${siteB}`);
  const verified = run('prove it: re-read both sides and compare digests', 'verify', '--state', state, `A=${siteA}`, `B=${siteB}`);
  console.log(verified === 0 && synced === 0 ? '\nsite A and site B are identical.' : '\nthe sites still differ.');
  console.log('(what the sync replaced or removed is kept in site-b/.deltanode/trash)');
  process.exitCode = verified === 0 && synced === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
