// Outputs appear whole or not at all: jobs write a temporary file beside the target and only a
// finished, successful job moves it into place.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IoError, OutputExistsError } from '../errors.js';

/** An output: a path (written atomically) or an open descriptor such as stdout (streamed). */
export type FileOutput = string | { fd: number };
/** An input: a path or an open descriptor such as stdin. */
export type FileInput = string | { fd: number };

export interface OutputOptions {
  /** Replace an existing output file. Default false: refuse, like rdiff without --force. */
  overwrite?: boolean;
  /** fsync the output before it is moved into place. */
  fsync?: boolean;
}

export function toNativeRef(file: FileInput): string | number {
  return typeof file === 'string' ? file : file.fd;
}

/** A hidden temporary name beside `target`, in the pattern inventories never list. */
export function temporaryPathFor(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.deltanode-tmp`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `write` against a temporary path and publishes it as `output` only if it succeeds; on any
 * failure (or abort) the temporary file is removed and the target is untouched.
 */
export async function withAtomicOutput<T>(output: FileOutput, options: OutputOptions,
  write: (ref: string | number) => Promise<T>): Promise<T> {
  if (typeof output !== 'string') return write(output.fd);
  if (!options.overwrite && await exists(output)) {
    throw new OutputExistsError(`${output} already exists (pass overwrite / --force to replace it)`);
  }
  const temporary = temporaryPathFor(output);
  try {
    const result = await write(temporary);
    if (options.overwrite) {
      await fs.rename(temporary, output);
    } else {
      // link() fails if the target appeared meanwhile, so a concurrent writer is never clobbered.
      await fs.link(temporary, output).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw new OutputExistsError(`${output} already exists`);
        throw error;
      });
      await fs.unlink(temporary);
    }
    if (options.fsync) await syncDirectory(path.dirname(output));
    return result;
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/** fsync of a folder, so a rename or link in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch (cause) {
    throw new IoError(`fsync ${dir} failed`, { path: dir }, { cause });
  } finally {
    await handle.close();
  }
}
