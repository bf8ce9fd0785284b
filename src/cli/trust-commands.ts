// deltanode identity | trust list | trust add NAME FINGERPRINT | trust remove NAME: this member's
// fingerprint, and the members it trusts without asking.
import { loadOrCreateIdentity } from '../session/member-identity.js';
import { TrustStore } from '../session/trust-store.js';
import { defaultStateBase } from './node-commands.js';
import { parseCommandLine, UsageError, writeOut } from './usage.js';

const options = { state: { type: 'string' } } as const;

export async function runIdentityCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  if (positionals.length > 0) throw new UsageError('identity takes no arguments');
  const identity = await loadOrCreateIdentity(values.state ?? defaultStateBase());
  await writeOut(`${identity.fingerprint}\n`);
  return 0;
}

export async function runTrustCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  const [action, name, ...fingerprint] = positionals;
  const trust = await TrustStore.open(values.state ?? defaultStateBase());
  switch (action) {
    case 'list':
      await writeOut(trust.list().map((member) => `${member.name}  ${member.fingerprint}  pinned ${member.pinnedAt}\n`).join(''));
      return 0;
    case 'add':
      if (!name || fingerprint.length === 0) throw new UsageError('trust add takes a NAME and its FINGERPRINT');
      try {
        await trust.pin(name, fingerprint.join(' '));
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      return 0;
    case 'remove':
      if (!name) throw new UsageError('trust remove takes a NAME');
      if (!(await trust.unpin(name))) throw new UsageError(`${name} is not pinned`);
      return 0;
    default:
      throw new UsageError('trust takes list, add NAME FINGERPRINT or remove NAME');
  }
}
