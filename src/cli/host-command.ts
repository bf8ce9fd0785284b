// deltanode host [options] compare|sync|verify [its options] [NODE...]: listen, print a join code,
// wait for the members, then run the command over the local nodes and the members' nodes, as
// the local command would. The members exit when it ends.
import type { DataNode } from '../node/data-node.js';
import { HostedSession } from '../session/host.js';
import { memberOptions, memberSetup, writeCodeFile } from './member-options.js';
import { type MemberNodes, runNodeCommand } from './node-commands.js';
import { runSyncCommand } from './sync-command.js';
import { parseCommandLine, UsageError } from './usage.js';

const COMMANDS = new Set(['compare', 'sync', 'verify']);

const options = {
  ...memberOptions,
  listen: { type: 'string' },
  advertise: { type: 'string' },
  members: { type: 'string' },
  wait: { type: 'string' },
  'code-file': { type: 'string' },
  'accept-new': { type: 'boolean' },
  accept: { type: 'string', multiple: true },
  name: { type: 'string' },
} as const;

const say = (text: string) => process.stderr.write(`deltanode: ${text}\n`);

export async function runHostCommand(args: readonly string[]): Promise<number> {
  const at = args.findIndex((arg) => COMMANDS.has(arg));
  if (at < 0) throw new UsageError('host needs a command to run: compare, sync or verify');
  const { values, positionals } = parseCommandLine(args.slice(0, at), options);
  if (positionals.length > 0) throw new UsageError(`host: unexpected ${positionals[0]} before the command`);
  const command = args[at]!;
  let commandArgs = args.slice(at + 1);
  if (values.state !== undefined && !commandArgs.some((arg) => arg === '--state' || arg.startsWith('--state='))) {
    commandArgs = ['--state', values.state, ...commandArgs];
  }
  const count = Number(values.members ?? '1');
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError('--members takes a count from 1 to 64');
  const waitSeconds = Number(values.wait ?? '600');
  if (!Number.isFinite(waitSeconds) || waitSeconds <= 0) throw new UsageError('--wait takes a number of seconds');
  if (values['accept-new'] && values.accept) throw new UsageError('--accept-new accepts every member; --accept names some: choose one');
  const setup = await memberSetup(values);
  let session: HostedSession | null = null;
  const members: MemberNodes = {
    count,
    join: async (localNames) => {
      const name = values.name ?? localNames[0] ?? 'host';
      session = await HostedSession.open({
        transport: setup.transport, listen: values.listen ?? '0.0.0.0:0', identity: setup.identity, name, takenNames: localNames,
        trust: setup.trust, pin: values.pin === true,
        ...(values.advertise !== undefined ? { advertise: values.advertise.split(',').filter(Boolean) } : {}),
        ...(values['accept-new'] ? { accept: true } : values.accept ? { accept: values.accept } : {}),
        ...(setup.password !== undefined ? { password: setup.password } : {}),
        onMember: (member) => say(`${member.name} joined (fingerprint ${member.fingerprint})`),
        onRefused: (error) => say(`a connection was refused: ${error.message} (${error.code})`),
      });
      say(`hosting as ${name}, fingerprint ${session.fingerprint}`);
      say(`join code: ${session.joinCode}`);
      if (setup.password !== undefined) say('members join with this code and the session password');
      if (values['code-file'] !== undefined) await writeCodeFile(values['code-file'], session.joinCode);
      say(`waiting for ${count} member${count > 1 ? 's' : ''} on ${session.address} (up to ${waitSeconds} s)`);
      try {
        return await session.waitForMembers(count, waitSeconds * 1000) as DataNode[];
      } catch (error) {
        await session.close();
        throw error;
      }
    },
  };
  try {
    if (command === 'sync') return await runSyncCommand(commandArgs, members);
    return await runNodeCommand('compare', command === 'verify' ? ['--hash', 'full', ...commandArgs] : commandArgs, members);
  } finally {
    await (session as HostedSession | null)?.close();
  }
}
