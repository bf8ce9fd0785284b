// deltanode join [options] CODE NODE: join a hosted session with one node and serve it until the
// host ends the session. The node's rules hold whatever the host asks: --read-only makes every
// source refuse writes.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { LocalDataNode } from '../node/local-node.js';
import { joinSession } from '../session/join.js';
import { memberOptions, memberSetup } from './member-options.js';
import { parseNodeArgument, stateFolderFor } from './node-commands.js';
import { parseCommandLine, UsageError } from './usage.js';

const options = {
  ...memberOptions,
  'read-only': { type: 'boolean' },
  name: { type: 'string' },
} as const;

const say = (text: string) => process.stderr.write(`deltanode: ${text}\n`);

export async function runJoinCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  if (positionals.length !== 2) throw new UsageError('join takes a join CODE and one NODE (a folder or name=path[,path...])');
  const [code, nodeText] = positionals as [string, string];
  const parsed = parseNodeArgument(nodeText, 0);
  // A plain folder is named after this machine, so the host's nodes and ours do not collide.
  const spec = { ...parsed, name: values.name ?? (nodeText.includes('=') ? parsed.name : os.hostname()) };
  const sources = spec.sources.map((source) => (values['read-only'] ? { ...source, readOnly: true } : source));
  const setup = await memberSetup(values);
  // A new member may start with nothing: its folders are made, as a local sync makes its target's.
  if (!values['read-only']) await Promise.all(sources.map((source) => fs.mkdir(source.path, { recursive: true })));
  const node = new LocalDataNode({ name: spec.name, sources, stateFolder: stateFolderFor(spec, values.state) });
  try {
    const joined = await joinSession(code, { transport: setup.transport, identity: setup.identity, node, trust: setup.trust,
      pin: values.pin === true, ...(setup.password !== undefined ? { password: setup.password } : {}) });
    say(`joined the session of ${joined.host.name} (fingerprint ${joined.host.fingerprint}) as ${spec.name}, ` +
      `fingerprint ${setup.identity.fingerprint}${values['read-only'] ? ', read-only' : ''}`);
    await joined.done;
    say('the host ended the session');
    return 0;
  } finally {
    await node.close();
  }
}
