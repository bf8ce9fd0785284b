// The hidden files a node's writes leave beside their targets: temporary files (one writer's,
// named with its process id) and the two partial-content slots of a large file (named by the
// digest of the content they are becoming, so a rerun finds them). Temporary files of processes
// that are gone are removed at the next inventory; partial slots are kept for a resume until the
// file is written or they are a week old.
import { hiddenNameFor, TEMPORARY_SUFFIX } from '../engine/output.js';

export { TEMPORARY_SUFFIX };

const TEMPORARY_TAG = /\.([0-9a-f]{1,8})-[0-9a-f]{12}\.deltanode-tmp$/;
const PARTIAL_TAG = /\.[0-9a-f]{16}-[ab]\.deltanode-tmp$/;
/** A temporary file older than this is stale even if a process with its id runs (ids are reused). */
const TEMPORARY_MAX_AGE_MS = 86_400_000;
const PARTIAL_MAX_AGE_MS = 7 * 86_400_000;

/** The two slots a large write alternates between: the one holding the most is the next resume's basis. */
export function partialNamesFor(name: string, digest: Buffer): [string, string] {
  const tag = digest.subarray(0, 8).toString('hex');
  return [hiddenNameFor(name, `${tag}-a`), hiddenNameFor(name, `${tag}-b`)];
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a hidden file found in a source is left over by an interrupted run (and may go). */
export function isStaleTemporary(name: string, mtimeMs: number, now = Date.now()): boolean {
  if (PARTIAL_TAG.test(name)) return now - mtimeMs > PARTIAL_MAX_AGE_MS;
  const match = TEMPORARY_TAG.exec(name);
  if (!match) return false;
  const pid = Number.parseInt(match[1]!, 16);
  return now - mtimeMs > TEMPORARY_MAX_AGE_MS || (pid !== process.pid && !processRuns(pid));
}
