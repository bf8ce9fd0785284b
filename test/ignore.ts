// gitignore semantics that inventories rely on.
import t from 'tap';
import { InvalidArgumentError } from '../src/errors.js';
import { IgnoreRules } from '../src/node/ignore.js';

// Each case: path, is a folder, expected answer.
const check = (equal: (found: boolean, wanted: boolean, message: string) => void, rules: IgnoreRules,
  cases: Array<[string, boolean, boolean]>) => {
  for (const [path, folder, expected] of cases) equal(rules.ignores(path, folder), expected, `${path}${folder ? '/' : ''}`);
};

t.test('names, globs, anchoring, folders only', async (t) => {
  const rules = IgnoreRules.parse(['# comment', '', '*.tmp', 'build/', '/top.txt', 'docs/*.md', 'cache?', 'x[0-9]',
    'deep/**/trash', 'logs/**', '**/secret', 'trailing   '].join('\n'));
  t.equal(rules.size, 10);
  check((found, wanted, message) => t.equal(found, wanted, message), rules, [
    ['a.tmp', false, true], ['dir/b.tmp', false, true], ['a.tmpx', false, false],
    ['build', true, true], ['src/build', true, true], ['build', false, false],
    ['top.txt', false, true], ['sub/top.txt', false, false],
    ['docs/a.md', false, true], ['docs/sub/a.md', false, false], ['other/docs/a.md', false, false],
    ['cache1', false, true], ['cache12', false, false],
    ['x5', false, true], ['xa', false, false],
    ['deep/trash', true, true], ['deep/a/b/trash', false, true], ['deeper/trash', false, false],
    ['logs/a', false, true], ['logs/a/b', false, true], ['logs', true, false],
    ['secret', false, true], ['a/b/secret', true, true],
    ['trailing', false, true],
  ]);
});

t.test('the last matching rule wins; ! re-includes; escapes', async (t) => {
  const rules = IgnoreRules.parse(['*.log', '!keep.log', '\\#hash', '\\!bang', 'a\\*b', '[!a]z'].join('\n'));
  check((found, wanted, message) => t.equal(found, wanted, message), rules, [
    ['x.log', false, true], ['keep.log', false, false], ['dir/keep.log', false, false],
    ['#hash', false, true], ['!bang', false, true], ['a*b', false, true], ['axb', false, false],
    ['bz', false, true], ['az', false, false],
  ]);
  const again = IgnoreRules.parse('!keep.log\n*.log');
  t.equal(again.ignores('keep.log', false), true, 'a later rule overrides an earlier re-include');
});

t.test('a bad rule is a typed error', async (t) => {
  t.throws(() => IgnoreRules.parse('[z-a]'), InvalidArgumentError);
  t.equal(IgnoreRules.parse('/').size, 0, 'a bare slash matches nothing');
  t.equal(IgnoreRules.parse('[abc').ignores('[abc', false), true, 'an unclosed bracket is literal');
});
