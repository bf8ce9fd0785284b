// The published package works: pack it, install the tarball into an empty project (which
// compiles the addon from source, as a user without a prebuild would), and use API and command.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { projectRoot, run } from './fixtures/helpers.js';

t.test('npm pack, install into a new project, import and run', { timeout: 900000 }, async (t) => {
  const dir = t.testdir({
    'package.json': JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }),
    'use.mjs': `
      import { signatureBuffer, deltaBuffer, patchBuffer, CorruptDeltaError } from 'deltanode';
      const basis = Buffer.alloc(100000, 7);
      const target = Buffer.concat([basis, Buffer.from('more')]);
      const out = await patchBuffer(basis, await deltaBuffer(await signatureBuffer(basis), target));
      console.log(out.equals(target) && typeof CorruptDeltaError === 'function' ? 'round trip ok' : 'round trip FAILED');
    `,
  });
  // dist/ is already built by `npm ci`; packing without scripts keeps it untouched for other suites.
  const pack = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: projectRoot });
  t.equal(pack.code, 0, pack.stderr);
  const tarball = path.join(dir, pack.stdout.toString().trim().split('\n').at(-1)!);
  const listing = await run('tar', ['-tzf', tarball]);
  const files = listing.stdout.toString();
  for (const expected of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/binding.gyp',
    'package/native/delta.cc', 'package/native/binding/addon.cc', 'package/bin/deltanode.js', 'package/typings/addon.d.ts']) {
    t.match(files, expected, `tarball has ${expected}`);
  }
  t.notMatch(files, /package\/test\//, 'tests are not shipped');
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir });
  t.equal(install.code, 0, install.stderr);
  const use = await run(process.execPath, ['use.mjs'], { cwd: dir });
  t.equal(use.stdout.toString().trim(), 'round trip ok', use.stderr);
  const version = await run(path.join(dir, 'node_modules', '.bin', 'deltanode'), ['--version'], { cwd: dir });
  t.match(version.stdout.toString(), /^deltanode \d/);
  await fs.rm(path.join(dir, 'node_modules'), { recursive: true, force: true });
});
