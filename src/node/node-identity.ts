// A node's lasting identity: a random id created once in its state folder, so state that is kept
// per node (the last synced state of a pair of nodes, say) survives renames of the node and of
// its folders. Created with an exclusive link, so two processes starting at once agree on one id.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StateCorruptError } from '../errors.js';

export interface NodeIdentity {
  /** 32 hex digits (128 random bits). */
  id: string;
  name: string;
}

const ID_FILE = 'node-id';
const ID_PATTERN = /^[0-9a-f]{32}$/;

export function loadOrCreateNodeId(stateFolder: string): Promise<string> {
  const file = path.join(stateFolder, ID_FILE);
  // A new id would silently make this a different node to everyone who knew it.
  return loadOrCreateOnce(file, () => `${randomBytes(16).toString('hex')}\n`, (text) => ID_PATTERN.test(text),
    `${file} does not hold a node id (32 hex digits); restore it or remove it to start as a new node`);
}

/**
 * The trimmed text of `file`, created with `create()` if there is none. Exclusive: two processes
 * creating it at once both end up with the one that was linked first. Text that fails `valid` is
 * a StateCorruptError with `corrupt` as its message.
 */
export async function loadOrCreateOnce(file: string, create: () => string, valid: (text: string) => boolean, corrupt: string,
  mode = 0o644): Promise<string> {
  for (;;) {
    try {
      const text = (await fs.readFile(file, 'utf8')).trim();
      if (valid(text)) return text;
      throw new StateCorruptError(corrupt);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.deltanode-tmp`;
    await fs.writeFile(temporary, create(), { flag: 'wx', mode });
    try {
      await fs.link(temporary, file);  // fails if another process made one first: then read theirs
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }
}
