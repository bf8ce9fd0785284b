// Joining a hosted session: connect to the first address of the join code that answers, run the
// handshake (the host must be the one the code names), then serve this member's node until the
// host ends the session. The node's own rules (read-only sources, safe paths) hold whatever the
// host asks.
import { TransportError } from '../errors.js';
import type { DataNode } from '../node/data-node.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { serveNode } from '../remote/node-server.js';
import { fingerprintText } from '../transport/fingerprint.js';
import { secureLink } from '../transport/handshake.js';
import { loadSodium } from '../transport/sodium.js';
import { connectFirst } from '../transport/tcp.js';
import type { Transport } from '../transport/transport.js';
import { decodeJoinCode, secretFromPassword } from './join-code.js';
import { keysFor, type MemberIdentity } from './member-identity.js';
import type { MemberInfo } from './host.js';
import type { TrustStore } from './trust-store.js';

export interface JoinOptions {
  transport: Transport;
  identity: MemberIdentity;
  /** This member's node: its name is the member's name in the session. */
  node: DataNode;
  trust: TrustStore;
  /** For a join code made in password mode. */
  password?: string;
  pin?: boolean;
  handshakeTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface JoinedSession {
  host: MemberInfo;
  /** Resolves when the host ends the session; rejects when the link fails. */
  done: Promise<void>;
}

export async function joinSession(codeText: string, options: JoinOptions): Promise<JoinedSession> {
  const code = decodeJoinCode(codeText);
  const secret = code.secret ?? (options.password !== undefined ? await secretFromPassword(options.password, code.sessionId) : null);
  if (!secret) throw new TransportError('this join code is for a password session: give the password');
  const link = await connectFirst(options.transport, code.addresses, options.signal ? { signal: options.signal } : {});
  const secure = await secureLink(link, {
    role: 'initiator', sessionId: code.sessionId, secret, keys: keysFor(options.identity, options.node.name), protocolVersion: PROTOCOL_VERSION,
    ...(options.handshakeTimeoutMs !== undefined ? { timeoutMs: options.handshakeTimeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    checkPeer: (peer) => options.trust.check(peer, { expected: code.hostFingerprint, pin: options.pin === true }),
  });
  const server = serveNode(options.node, secure);
  const done = server.done.then(() => {
    const failure = server.failure;
    if (failure) throw failure;
  });
  return { host: { name: secure.peer.name, fingerprint: fingerprintText(await loadSodium(), secure.peer.publicKey) }, done };
}
