// What host and join share: where the member's identity and pins live, the TCP transport's
// timeouts, and a password read from the environment (never from the command line, where other
// users of the machine can read it).
import { promises as fs } from 'node:fs';
import { loadOrCreateIdentity, type MemberIdentity } from '../session/member-identity.js';
import { TrustStore } from '../session/trust-store.js';
import { TcpTransport } from '../transport/tcp.js';
import { defaultStateBase } from './node-commands.js';
import { UsageError } from './usage.js';

export const memberOptions = {
  state: { type: 'string' },
  'password-env': { type: 'string' },
  pin: { type: 'boolean' },
  'idle-timeout': { type: 'string' },
  'connect-timeout': { type: 'string' },
} as const;

export interface MemberSetup {
  identity: MemberIdentity;
  trust: TrustStore;
  transport: TcpTransport;
  password: string | undefined;
}

function seconds(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${option} takes a number of seconds`);
  return Math.round(value * 1000);
}

export async function memberSetup(values: { state?: string | undefined; 'password-env'?: string | undefined; 'idle-timeout'?: string | undefined;
  'connect-timeout'?: string | undefined }): Promise<MemberSetup> {
  let password: string | undefined;
  const variable = values['password-env'];
  if (variable !== undefined) {
    password = process.env[variable];
    if (password === undefined || password === '') throw new UsageError(`--password-env ${variable}: the variable is not set`);
  }
  const idleTimeoutMs = seconds(values['idle-timeout'], 'idle-timeout');
  const connectTimeoutMs = seconds(values['connect-timeout'], 'connect-timeout');
  const folder = values.state ?? defaultStateBase();
  const transport = new TcpTransport({ ...(idleTimeoutMs !== undefined ? { idleTimeoutMs, keepaliveMs: Math.max(50, Math.floor(idleTimeoutMs / 4)) } : {}),
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}) });
  return { identity: await loadOrCreateIdentity(folder), trust: await TrustStore.open(folder), transport, password };
}

/** Writes a join code for scripts, readable by its owner only (it holds the secret). */
export async function writeCodeFile(file: string, code: string): Promise<void> {
  // Whole or not at all: a script that sees the file sees the code (written aside, then renamed).
  const temporary = `${file}.${process.pid}.deltanode-tmp`;
  await fs.rm(temporary, { force: true });
  await fs.writeFile(temporary, `${code}\n`, { mode: 0o600, flag: 'wx' });
  await fs.rename(temporary, file);
}
