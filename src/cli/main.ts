// The deltanode command: dispatch, and the mapping of failures to exit statuses.
import { readFileSync } from 'node:fs';
import { DeltanodeError } from '../errors.js';
import { HELP, UsageError } from './usage.js';

// Each command loads only its own modules: `signature` need not wait for the session, the
// transports and libsodium to be read and compiled (about 80 ms of every run).
const engineCommands = () => import('./engine-commands.js');
const nodeCommands = () => import('./node-commands.js');
const trustCommands = () => import('./trust-commands.js');

const INPUT_ERRORS = new Set([
  'DELTANODE_ERR_INVALID_ARGUMENT', 'DELTANODE_ERR_BAD_SIGNATURE', 'DELTANODE_ERR_CORRUPT_DELTA',
  'DELTANODE_ERR_BASIS_MISMATCH', 'DELTANODE_ERR_OUTPUT_EXISTS',
]);

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

// A reader that went away (`deltanode compare a b | head`) ends the command quietly, with the
// status a shell gives a process killed by SIGPIPE: the result was not seen, so it is no success.
function exitOnClosedOutput(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(128 + 13);
  throw error;
}

const COMMANDS = new Set(['signature', 'delta', 'patch', 'inventory', 'compare', 'verify', 'sync', 'host', 'join', 'identity', 'trust']);

// `deltanode sync --help` asks for help, not a sync (arguments after `--` are operands).
const asksForHelp = (args: readonly string[]) => {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '-h' || arg === '--help');
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!process.stdout.listeners('error').includes(exitOnClosedOutput)) process.stdout.on('error', exitOnClosedOutput);
  if (command !== undefined && COMMANDS.has(command) && asksForHelp(rest)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'signature':
      case 'delta':
      case 'patch':
        return await (await engineCommands()).runEngineCommand(command, rest);
      case 'inventory':
      case 'compare':
        return await (await nodeCommands()).runNodeCommand(command, rest);
      case 'verify':
        // A comparison that re-reads everything unless told otherwise: proof, not the cache's word.
        return await (await nodeCommands()).runNodeCommand('compare', ['--hash', 'full', ...rest]);
      case 'sync':
        return await (await import('./sync-command.js')).runSyncCommand(rest);
      case 'host':
        return await (await import('./host-command.js')).runHostCommand(rest);
      case 'join':
        return await (await import('./join-command.js')).runJoinCommand(rest);
      case 'identity':
        return await (await trustCommands()).runIdentityCommand(rest);
      case 'trust':
        return await (await trustCommands()).runTrustCommand(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      case '-V':
      case '--version':
        process.stdout.write(`deltanode ${version()}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`deltanode: ${error.message}\nTry 'deltanode --help'.\n`);
    return 2;
  }
  if (error instanceof DeltanodeError) {
    process.stderr.write(`deltanode: ${error.message} (${error.code})\n`);
    if (INPUT_ERRORS.has(error.code)) return 2;
    // A missing or unreadable input is the caller's input error too.
    if (error.code === 'DELTANODE_ERR_IO' && /\bopen\b.*(No such file|Permission denied|Is a directory)/.test(error.message)) return 2;
    return 1;
  }
  process.stderr.write(`deltanode: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  return 1;
}
