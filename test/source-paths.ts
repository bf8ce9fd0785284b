// Places on disk for inventory paths: a folder swapped for a link between the check and the
// operation must not redirect the operation.
import t, { type Test } from 'tap';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { UnsafePathError } from '../src/errors.js';
import { SourcePaths } from '../src/node/source-paths.js';

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function setUp(t: Test) {
  const dir = t.testdir({ data: { sub: { old: 'old' } }, outside: {} });
  const root = path.join(dir, 'data');
  return { root, outside: path.join(dir, 'outside'), paths: new SourcePaths([{ alias: 'data', path: root, readOnly: false }]) };
}

t.test('a folder held before it is swapped for a link keeps the operation in the folder', async (t) => {
  const { root, outside, paths } = setUp(t);
  const place = await paths.hold('data/sub/new', 'write');
  try {
    await fs.rename(path.join(root, 'sub'), path.join(root, 'sub.moved'));
    await fs.symlink(outside, path.join(root, 'sub'));
    await (await fs.open(place.diskPath, CREATE)).close();
  } finally {
    await place.release();
  }
  t.same(await fs.readdir(outside), [], 'nothing went through the link');
  t.same((await fs.readdir(path.join(root, 'sub.moved'))).sort(), ['new', 'old'], 'the file is in the folder that was held');
  await t.rejects(paths.hold('data/sub/new', 'write'), UnsafePathError, 'the link is refused from then on');
});

t.test('a folder missing when held, then put back as a link, redirects nothing', async (t) => {
  const { root, outside, paths } = setUp(t);
  await fs.rename(path.join(root, 'sub'), path.join(root, 'sub.moved'));
  const place = await paths.hold('data/sub/deeper/new', 'write');
  try {
    await fs.symlink(outside, path.join(root, 'sub'));
    await fs.mkdir(path.join(outside, 'deeper'));
    await t.rejects(fs.open(place.diskPath, CREATE), { code: 'ENOENT' }, 'a file is not created');
    await t.rejects(fs.mkdir(place.diskPath), { code: 'ENOENT' }, 'a folder is not made');
    await t.rejects(fs.lstat(place.diskPath), { code: 'ENOENT' }, 'nothing is found there');
    await t.rejects(fs.open(place.folderPath, constants.O_RDONLY | constants.O_DIRECTORY), { code: 'ENOENT' }, 'the folder is not found either');
  } finally {
    await place.release();
  }
  t.same(await fs.readdir(outside), ['deeper'], 'nothing was added through the link');
  t.same(await fs.readdir(path.join(outside, 'deeper')), []);
});

t.test('a folder that exists is used through its handle; a missing entry in it can be made', async (t) => {
  const { root, paths } = setUp(t);
  const place = await paths.hold('data/sub/new', 'write');
  try {
    t.match(place.folderPath, /^\/proc\/self\/fd\/\d+$/);
    t.equal(place.shownPath, path.join(root, 'sub', 'new'));
    await fs.writeFile(place.diskPath, 'new');
  } finally {
    await place.release();
  }
  t.equal(await fs.readFile(path.join(root, 'sub', 'new'), 'utf8'), 'new');
});

t.test('a source root that went away fails as node:fs would, with its path', async (t) => {
  const { root, paths } = setUp(t);
  const first = await paths.hold('data/sub/old', 'read');
  await first.release();
  await first.release();  // a second release closes nothing
  await fs.rename(root, `${root}.gone`);
  await t.rejects(paths.hold('data/sub/old', 'read'), { code: 'ENOENT', syscall: 'open', path: root });
});
