// The native folder walk: every way it can end, and a descriptor that names the folder it opened.
import t from 'tap';
import { constants as osConstants } from 'node:os';
import { promises as fs, fstatSync } from 'node:fs';
import path from 'node:path';
import { closeFolder, openFolderChain } from '../src/engine/folder-chain.js';

const { ENOENT, ELOOP, ENOTDIR } = osConstants.errno;

t.test('folders opened one by one, links never followed', async (t) => {
  const dir = t.testdir({ root: { a: { b: { file: 'x' } } }, elsewhere: { b: {} } });
  const root = path.join(dir, 'root');
  await fs.symlink(path.join(dir, 'elsewhere'), path.join(root, 'link'));

  const opened = await openFolderChain(root, ['a', 'b']);
  t.ok(opened.ok, 'a plain path opens');
  if (opened.ok) {
    t.ok(fstatSync(opened.fd).isDirectory());
    t.equal(fstatSync(opened.fd).ino, (await fs.stat(path.join(root, 'a', 'b'))).ino, 'the descriptor is of root/a/b');
    closeFolder(opened.fd);
    t.throws(() => fstatSync(opened.fd), { code: 'EBADF' }, 'closed');
  }
  const top = await openFolderChain(root, []);
  t.ok(top.ok, 'no parts: the root itself');
  if (top.ok) closeFolder(top.fd);

  t.same(await openFolderChain(path.join(dir, 'missing'), ['a']), { ok: false, errno: ENOENT, failed: -1 }, 'a missing root');
  t.same(await openFolderChain(root, ['a', 'nope', 'c']), { ok: false, errno: ENOENT, failed: 1 }, 'a missing folder on the way');
  const link = await openFolderChain(root, ['link', 'b']);
  // Linux reports a link opened as a folder without following it as ENOTDIR (ELOOP elsewhere).
  t.match(link, { ok: false, failed: 0 }, 'a link on the way is not followed');
  t.ok(!link.ok && [ELOOP, ENOTDIR].includes(link.errno), 'ELOOP or ENOTDIR');
  t.same(await openFolderChain(root, ['a', 'b', 'file']), { ok: false, errno: ENOTDIR, failed: 2 }, 'a file on the way');
});
