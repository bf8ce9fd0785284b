// Inventory path rules: the order that makes a sorted walk a sorted stream, collisions, safety.
import t from 'tap';
import { childPath, collisionKey, comparePaths, isSafeInventoryPath, normalizeName } from '../src/node/paths.js';

t.test('a folder is followed by its own entries before its next sibling', async (t) => {
  const paths = ['a-c', 'a/x', 'a', 'a/x/y', 'b', 'a.txt', 'a/z', 'A', 'é', 'e\u0301'.normalize('NFC')];
  const sorted = [...paths].sort(comparePaths);
  t.same(sorted, ['A', 'a', 'a/x', 'a/x/y', 'a/z', 'a-c', 'a.txt', 'b', 'é', 'é']);
  t.equal(comparePaths('x', 'x'), 0);
  t.ok(comparePaths('x', 'x/y') < 0 && comparePaths('x/y', 'x') > 0, 'a prefix comes first');
  t.ok(comparePaths('x/y', 'x-y') < 0 && comparePaths('x-y', 'x/y') > 0, "'/' sorts lowest");
  t.equal(childPath('', 'data'), 'data');
  t.equal(childPath('data', 'a b'), 'data/a b');
});

t.test('names are recorded in NFC; case and normalisation collisions share a key', async (t) => {
  const decomposed = 'Cafe\u0301';
  t.equal(normalizeName(decomposed), 'Caf\u00e9');
  t.equal(collisionKey('docs/README'), collisionKey('docs/Readme'));
  t.equal(collisionKey(`x/${decomposed}`), collisionKey('x/caf\u00e9'));
  t.not(collisionKey('a'), collisionKey('b'));
});

t.test('paths from elsewhere must be plain relative paths', async (t) => {
  for (const good of ['a', 'a/b', 'alias/dir/file.txt', '..a', 'a..', 'a/.b']) t.ok(isSafeInventoryPath(good), good);
  for (const bad of ['', '/a', 'a/', 'a//b', '.', '..', 'a/../b', 'a/./b', 'a\0b', 'a\\b', 'Cafe\u0301']) {
    t.notOk(isSafeInventoryPath(bad), JSON.stringify(bad));
  }
});
