// Usage errors (exit status 2), argument parsing and the help text of the deltanode command.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** Options and positionals of a command; anything unknown or malformed is a usage error. */
export function parseCommandLine<T extends Options>(args: readonly string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Writes to stdout, waiting when it is full. */
export const writeOut = (text: string) =>
  new Promise<void>((resolve) => (process.stdout.write(text) ? resolve() : process.stdout.once('drain', resolve)));

export const HELP = `Usage: deltanode <command> [options] [arguments]

Delta commands (rdiff-compatible arguments; "-" or an omitted file means stdin/stdout):
  deltanode signature [-b N] [-S N] [-H xxh3|blake2|md4] [-R rabinkarp|rollsum]
                      [--format native|librsync] [--digest xxh3|blake3] BASIS [SIG]
  deltanode delta SIG NEWFILE [DELTA]
  deltanode patch BASIS DELTA [NEWFILE]

Node commands (a NODE is a folder, or name=path[,path...] for several sources):
  deltanode inventory [--hash quick|full|none] [--json] [--state DIR] SOURCE...
  deltanode compare [--hash quick|full|none] [--json] [--state DIR] NODE NODE [NODE...]
      compare exits 0 when every node holds the same tree, 1 otherwise
  deltanode sync [--mode mirror|two-way|rules] [--from NODE] [--delete] [--rules FILE]
                 [--dry-run] [--json] [--state DIR] [--hash quick|full] [--no-trash] NODE NODE [NODE...]
      makes every other node identical to --from (default: the first NODE); what it replaces
      or removes goes to .deltanode/trash in the target folder; exits 0 when verified identical
  deltanode verify [--hash full|quick] [--json] [--state DIR] NODE NODE [NODE...]
      compare after reading everything again (--hash full unless told otherwise)

Sessions between machines (one encrypted, authenticated TCP link per member):
  deltanode host [--listen ADDR:PORT] [--advertise ADDR:PORT,...] [--members N] [--wait S]
                 [--code-file FILE] [--password-env VAR] [--accept-new | --accept FINGERPRINT...]
                 [--pin] [--state DIR] [--idle-timeout S] [--connect-timeout S]
                 compare|sync|verify [that command's options] [NODE...]
      prints a join code, waits for N members (default 1), then runs the command over its own
      NODEs and the members' nodes (--from may name a member); members exit when it ends
  deltanode join [--read-only] [--name NAME] [--password-env VAR] [--pin] [--state DIR]
                 [--idle-timeout S] CODE NODE
      serves NODE to the host of CODE until the session ends; --read-only refuses every write
  deltanode identity [--state DIR]        this member's fingerprint, to compare out of band
  deltanode trust list | add NAME FINGERPRINT | remove NAME [--state DIR]
      members trusted without --accept; a pinned name that shows another key is refused

Options:
  -b, --block-size=N   block length, 0 (default) for the recommended size
  -S, --sum-size=N     strong sum bytes, 0 (default) for the maximum, -1 for the minimum safe
  -H, --hash=ALG       strong hash: xxh3 (native default), blake2 (librsync default), md4
  -R, --rollsum=ALG    weak rolling sum: rabinkarp (default) or rollsum
      --format=F       native (default) or librsync (rdiff 2.3's files, byte-identical)
      --digest=ALG     whole-file digest of native signatures and their deltas:
                       xxh3 (default, XXH3-128) or blake3
  -f, --force          overwrite an existing output file
  -s, --statistics     print sizes, time and throughput to stderr
  -I, -O N             accepted for rdiff compatibility; buffer sizes are chosen internally
  -h, --help           this text;  -V, --version  the version

Exit status: 0 success, 1 failure, 2 usage or input error.`;
