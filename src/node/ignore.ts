// Ignore rules in gitignore syntax, matched against paths relative to the folder that holds the
// rules. As in git: the last matching rule wins, `!` re-includes, a trailing '/' matches folders
// only, a rule with a '/' before its end is anchored, and nothing inside an ignored folder can be
// re-included (the walk never enters it).
import { InvalidArgumentError } from '../errors.js';

interface Rule {
  pattern: RegExp;
  negated: boolean;
  foldersOnly: boolean;
  source: string;
}

// Translates one glob to a regular expression source over a '/'-separated relative path.
export function globToRegExp(glob: string, anchored: boolean): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const before = i === 0 || glob[i - 1] === '/';
        const after = i + 2 === glob.length || glob[i + 2] === '/';
        if (before && after) {
          if (i + 2 === glob.length) {
            out += '.*';  // "x/**": everything inside
          } else {
            out += '(?:.*/)?';  // "**/x" or "x/**/y": zero or more folders
            i++;  // the '/' after "**"
          }
          i++;
          continue;
        }
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\').replace(/^\^?\]/, (m) => m.replace(']', '\\]'))}]`;
      i = close;
    } else if (c === '\\' && i + 1 < glob.length) {
      out += glob[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return anchored ? `^${out}$` : `^(?:.*/)?${out}$`;
}

function parseRule(line: string): Rule | null {
  let text = line.replace(/(?<!\\)\s+$/, '');
  if (text === '' || text.startsWith('#')) return null;
  let negated = false;
  if (text.startsWith('!')) {
    negated = true;
    text = text.slice(1);
  } else if (text.startsWith('\\!') || text.startsWith('\\#')) {
    text = text.slice(1);
  }
  let foldersOnly = false;
  if (text.endsWith('/') && !text.endsWith('\\/')) {
    foldersOnly = true;
    text = text.slice(0, -1);
  }
  const anchored = text.includes('/');
  if (text.startsWith('/')) text = text.slice(1);
  if (text === '') return null;
  try {
    return { pattern: new RegExp(globToRegExp(text, anchored), 'u'), negated, foldersOnly, source: line };
  } catch {
    throw new InvalidArgumentError(`invalid ignore rule: ${line}`);
  }
}

export class IgnoreRules {
  readonly #rules: Rule[];

  constructor(lines: Iterable<string>) {
    this.#rules = [];
    for (const line of lines) {
      const rule = parseRule(line);
      if (rule) this.#rules.push(rule);
    }
  }

  static parse(text: string): IgnoreRules {
    return new IgnoreRules(text.split(/\r?\n/));
  }

  get size(): number {
    return this.#rules.length;
  }

  /** Whether `path` (relative, '/'-separated) is ignored; the walk asks for a folder before entering it. */
  ignores(path: string, isFolder: boolean): boolean {
    let ignored = false;
    for (const rule of this.#rules) {
      if (rule.negated !== ignored) continue;  // only a rule that would flip the answer matters
      if (rule.foldersOnly && !isFolder) continue;
      if (rule.pattern.test(path)) ignored = !rule.negated;
    }
    return ignored;
  }
}
