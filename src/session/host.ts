// Hosting a session between processes or machines: listen, print a join code, admit members
// whose handshake and identity pass, and hand the session their nodes. The listener closes once
// the members are in (or on close), so nothing is left running afterwards.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { DeltanodeError, IdentityError, InvalidArgumentError, ProtocolError, TimeoutError } from '../errors.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { RemoteDataNode } from '../remote/remote-node.js';
import { FINGERPRINT_BYTES, fingerprintDigest, fingerprintText } from '../transport/fingerprint.js';
import { secureLink, SESSION_ID_BYTES } from '../transport/handshake.js';
import { loadSodium } from '../transport/sodium.js';
import type { Link, Listener, Transport } from '../transport/transport.js';
import { encodeJoinCode, SECRET_BYTES, secretFromPassword } from './join-code.js';
import { keysFor, type MemberIdentity } from './member-identity.js';
import type { AcceptPolicy, TrustStore } from './trust-store.js';

export interface MemberInfo {
  name: string;
  fingerprint: string;
}

export interface HostOptions {
  transport: Transport;
  /** host:port to listen on (port 0: any free port). */
  listen: string;
  /** Addresses for the join code; by default the listening address, or every interface's when it listens on all. */
  advertise?: string[];
  identity: MemberIdentity;
  /** The host's member name (its first node's). */
  name: string;
  /** Names already in the session (the host's own nodes): a member may not take one. */
  takenNames: readonly string[];
  trust: TrustStore;
  accept?: AcceptPolicy;
  pin?: boolean;
  /** Password mode: the join code carries no secret; members type the password. */
  password?: string;
  handshakeTimeoutMs?: number;
  onMember?: (member: MemberInfo) => void;
  /** A connection that did not become a member (wrong secret, refused identity...): the host keeps waiting. */
  onRefused?: (error: DeltanodeError) => void;
}

export class HostedSession {
  readonly joinCode: string;
  readonly fingerprint: string;
  readonly #options: HostOptions;
  readonly #listener: Listener;
  readonly #members: RemoteDataNode[] = [];
  readonly #pending = new Set<Link>();
  #wake: (() => void) | null = null;
  #listening = true;

  private constructor(options: HostOptions, listener: Listener, joinCode: string, fingerprint: string) {
    this.#options = options;
    this.#listener = listener;
    this.joinCode = joinCode;
    this.fingerprint = fingerprint;
  }

  static async open(options: HostOptions): Promise<HostedSession> {
    const sodium = await loadSodium();
    const sessionId = randomBytes(SESSION_ID_BYTES);
    const secret = options.password !== undefined ? await secretFromPassword(options.password, sessionId) : randomBytes(SECRET_BYTES);
    let session: HostedSession | null = null;
    const listener = await options.transport.listen(options.listen, (link) => {
      if (session) void session.#admit(link, sessionId, secret);
      else void link.close();  // none can come before the session exists (connections arrive on a later turn)
    });
    const addresses = options.advertise ?? advertised(listener.address);
    const joinCode = encodeJoinCode({ sessionId, secret: options.password !== undefined ? null : secret, addresses,
      hostFingerprint: fingerprintDigest(sodium, options.identity.publicKey).subarray(0, FINGERPRINT_BYTES) });
    session = new HostedSession(options, listener, joinCode, fingerprintText(sodium, options.identity.publicKey));
    return session;
  }

  get address(): string {
    return this.#listener.address;
  }

  async #admit(link: Link, sessionId: Uint8Array, secret: Uint8Array): Promise<void> {
    if (!this.#listening) return void link.close().catch(() => undefined);
    this.#pending.add(link);
    const options = this.#options;
    try {
      const secure = await secureLink(link, {
        role: 'responder', sessionId, secret, keys: keysFor(options.identity, options.name), protocolVersion: PROTOCOL_VERSION,
        ...(options.handshakeTimeoutMs !== undefined ? { timeoutMs: options.handshakeTimeoutMs } : {}),
        checkPeer: async (peer) => {
          const taken = [...options.takenNames, ...this.#members.map((member) => member.name)];
          if (taken.includes(peer.name)) throw new IdentityError(`a node named ${peer.name} is already in the session: join under another name`);
          if (!this.#listening) throw new IdentityError('the session has all its members');
          await options.trust.check(peer, { ...(options.accept !== undefined ? { accept: options.accept } : {}), pin: options.pin === true });
        },
      });
      const node = await RemoteDataNode.connect(secure);
      if (node.name !== secure.peer.name) {
        await node.close();
        throw new ProtocolError(`the member identified as ${secure.peer.name} serves a node named ${node.name}`);
      }
      this.#members.push(node);
      options.onMember?.({ name: node.name, fingerprint: fingerprintText(await loadSodium(), secure.peer.publicKey) });
      this.#wake?.();
    } catch (error) {
      options.onRefused?.(error instanceof DeltanodeError ? error : new ProtocolError(String(error)));
    } finally {
      this.#pending.delete(link);
    }
  }

  /** Waits until `count` members are in, then stops listening. */
  async waitForMembers(count: number, timeoutMs = 600_000, signal?: AbortSignal): Promise<RemoteDataNode[]> {
    if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError('a session waits for one member or more');
    const deadline = Date.now() + timeoutMs;
    while (this.#members.length < count) {
      signal?.throwIfAborted();
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`${this.#members.length} of ${count} members joined within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
    await this.#stopListening();
    return this.#members.slice(0, count);
  }

  async #stopListening(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    await this.#listener.close();
    await Promise.all([...this.#pending].map((link) => link.close().catch(() => undefined)));
  }

  /** Ends the session: members see a clean close and exit. */
  async close(): Promise<void> {
    await this.#stopListening();
    await Promise.all(this.#members.map((member) => member.close()));
  }
}

// What members can reach: the address listened on, or, for a wildcard, every interface's.
function advertised(address: string): string[] {
  const split = address.lastIndexOf(':');
  const host = address.slice(0, split).replace(/^\[|\]$/g, '');
  const port = address.slice(split + 1);
  if (host !== '0.0.0.0' && host !== '::') return [address];
  const found: string[] = [];
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal || (host === '0.0.0.0' && entry.family !== 'IPv4') || entry.address.startsWith('fe80')) continue;
      found.push(entry.family === 'IPv6' ? `[${entry.address}]:${port}` : `${entry.address}:${port}`);
    }
  }
  found.push(host === '::' ? `[::1]:${port}` : `127.0.0.1:${port}`);
  return found.slice(0, 16);
}
