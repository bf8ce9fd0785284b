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

export const TEMPORARY_SUFFIX = '.deltanode-tmp';
const NAME_MAX = 255;

/** `name` cut to at most `bytes` UTF-8 bytes, at a character boundary. */
function fitName(name: string, bytes: number): string {
  if (Buffer.byteLength(name) <= bytes) return name;
  let out = '';
  let length = 0;
  for (const char of name) {
    length += Buffer.byteLength(char);
    if (length > bytes) break;
    out += char;
  }
  return out;
}

/** `.<name>.<tag>.deltanode-tmp`, the name shortened where the whole would not fit a file name. */
export function hiddenNameFor(name: string, tag: string): string {
  const extra = 2 + tag.length + TEMPORARY_SUFFIX.length;
  return `.${fitName(name, NAME_MAX - extra)}.${tag}${TEMPORARY_SUFFIX}`;
}

/**
 * A hidden temporary name beside `target`, in the pattern inventories never list. It carries
 * the writer's process id, so a later run can tell a file left by a killed process from one
 * being written now.
 */
export function temporaryPathFor(target: string): string {
  const tag = `${process.pid.toString(16)}-${randomBytes(6).toString('hex')}`;
  return path.join(path.dirname(target), hiddenNameFor(path.basename(target), tag));
}

/** What is at `file`: nothing, an entry a finished output replaces, or a device or FIFO to write to. */
async function existingKind(file: string): Promise<'none' | 'replaceable' | 'special'> {
  try {
    // stat, not lstat: a link to /dev/null is written through like /dev/null itself.
    const found = await fs.stat(file);
    return found.isFile() || found.isDirectory() ? 'replaceable' : 'special';
  } catch {
    return (await fs.lstat(file).then(() => true, () => false)) ? 'replaceable' : 'none';
  }
}

/**
 * Runs `write` against a temporary path and publishes it as `output` only if it succeeds; on any
 * failure (or abort) the temporary file is removed and the target is untouched.
 */
export async function withAtomicOutput<T>(output: FileOutput, options: OutputOptions,
  write: (ref: string | number) => Promise<T>): Promise<T> {
  if (typeof output !== 'string') return write(output.fd);
  const kind = await existingKind(output);
  if (!options.overwrite && kind !== 'none') {
    throw new OutputExistsError(`${output} already exists (pass overwrite / --force to replace it)`);
  }
  // A device or a FIFO (/dev/null, a named pipe) is written to, like rdiff does, never replaced
  // by a renamed regular file.
  if (kind === 'special') return writeThrough(output, write);
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

async function writeThrough<T>(output: string, write: (ref: number) => Promise<T>): Promise<T> {
  let handle;
  try {
    handle = await fs.open(output, 'w');
  } catch (cause) {
    throw new IoError(`cannot open ${output} for writing`, { path: output }, { cause });
  }
  try {
    return await write(handle.fd);
  } finally {
    await handle.close();
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
