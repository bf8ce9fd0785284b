// The handshake that turns any Link into a SecureLink. Both ends know the session id and secret
// (from the join code, or stretched from a password); each has a long-term Ed25519 identity.
//
//   initiator -> responder  hello: versions, session id, ephemeral X25519 key eI
//   responder -> initiator  hello: versions, eR, identity R sealed under a handshake key
//   initiator -> responder  identity I sealed under the other handshake key
//   responder -> initiator  accepted (or refused), the first record under the traffic keys
//
// h1 hashes the session id and both ephemeral keys; the handshake keys are a BLAKE2b of h1 and
// the X25519 result keyed with the secret, so a wrong secret fails the first sealed message and a
// passive listener (without the X25519 result) cannot test guesses of a password. Each identity
// signs h1, its role and its name: a man in the middle has other ephemeral keys on each side, so
// signatures do not carry over, even for someone who knows the secret. The traffic keys hash
// both identities in as well and, coming from ephemeral keys, are forgotten with the link
// (forward secrecy).
import { decode, encode } from '@msgpack/msgpack';
import { AbortedError, DeltanodeError, HandshakeError, IdentityError, TimeoutError, VersionError } from '../errors.js';
import { AeadKey } from '../engine/aead.js';
import { loadSodium, type SodiumApi } from './sodium.js';
import { SecureLink } from './secure-link.js';
import type { Link } from './transport.js';

/** The version of the handshake and of the record layer it sets up. */
export const WIRE_VERSION = 1;

export const SESSION_ID_BYTES = 16;
export const MIN_SECRET_BYTES = 16;
const KEY_BYTES = 32;

export interface MemberKeys {
  /** What the peer calls this member: its node's name. */
  name: string;
  /** Ed25519 keys (libsodium's 64-byte secret key form). */
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface PeerIdentity {
  name: string;
  publicKey: Uint8Array;
}

export interface HandshakeOptions {
  role: 'initiator' | 'responder';
  sessionId: Uint8Array;
  secret: Uint8Array;
  keys: MemberKeys;
  /** The version of the protocol spoken over the link: both ends must speak the same. */
  protocolVersion: number;
  /** Decides whether to trust the peer; throws (an IdentityError) to refuse it. */
  checkPeer: (peer: PeerIdentity) => Promise<void> | void;
  /** The whole handshake must finish within this (default 15 s). */
  timeoutMs?: number;
  /** Records per key before a rekey (default 2^20; lower only to exercise rekeying). */
  rekeyRecords?: number;
  signal?: AbortSignal;
}

const HELLO = 'deltanode-hello';
const IDENTITY = 'deltanode-identity';
const REFUSED = 'deltanode-refused';
const MAX_NAME = 256;

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const concat = (...parts: Uint8Array[]) => Buffer.concat(parts);

function decodeClear(frame: Uint8Array): unknown[] {
  let value: unknown;
  try {
    value = decode(frame, { maxStrLength: 4096, maxBinLength: 4096, maxArrayLength: 16, maxMapLength: 0 });
  } catch (cause) {
    throw new HandshakeError('a handshake message is not valid MessagePack', { cause });
  }
  if (!Array.isArray(value) || value.length === 0) throw new HandshakeError('a handshake message is not a list');
  return value as unknown[];
}

function bytes(value: unknown, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) throw new HandshakeError(`${what} is not ${length} bytes`);
  return value;
}

// Errors the peer told us of, or that we already told it: not sent (again).
const told = new WeakSet<object>();

// A refusal names its reason with one of three codes; anything else from the peer is a handshake failure.
function refusal(message: unknown[]): DeltanodeError {
  const error = refusalError(message);
  told.add(error);
  return error;
}

function refusalError(message: unknown[]): DeltanodeError {
  const [, code, text] = message;
  const reason = `the peer refused the session: ${typeof text === 'string' ? text.slice(0, 1024) : 'no reason given'}`;
  if (code === 'DELTANODE_ERR_VERSION') return new VersionError(reason);
  if (code === 'DELTANODE_ERR_IDENTITY') return new IdentityError(reason);
  return new HandshakeError(reason);
}

function versionsMatch(wire: unknown, protocol: unknown, ours: number): string | null {
  if (wire === WIRE_VERSION && protocol === ours) return null;
  return `this deltanode speaks wire version ${WIRE_VERSION} and protocol ${ours}, the peer ${String(wire)} and ${String(protocol)}: ` +
    'update the older deltanode';
}

class Transcript {
  constructor(readonly sodium: SodiumApi, readonly secret: Uint8Array) {}

  hash(...parts: Uint8Array[]): Uint8Array {
    return this.sodium.crypto_generichash(32, concat(...parts));
  }

  // Two 32-byte keys, one per direction, from h and the X25519 result, keyed with the secret.
  keys(label: string, h: Uint8Array, shared: Uint8Array): [Uint8Array, Uint8Array] {
    const both = this.sodium.crypto_generichash(64, concat(utf8(`deltanode/${WIRE_VERSION} ${label}`), h, shared), this.secret);
    return [both.slice(0, KEY_BYTES), both.slice(KEY_BYTES)];
  }

  signed(role: 'initiator' | 'responder', h1: Uint8Array, keys: PeerIdentity): Uint8Array {
    return this.hash(utf8(`deltanode/${WIRE_VERSION} ${role}`), h1, keys.publicKey, utf8(keys.name));
  }
}

const ZERO_NONCE = new Uint8Array(AeadKey.NONCE_BYTES);

function seal(key: Uint8Array, aad: Uint8Array, value: unknown): Uint8Array {
  const aead = new AeadKey(key);
  try {
    return aead.seal(ZERO_NONCE, aad, encode(value));
  } finally {
    aead.dispose();
  }
}

function openIdentity(sodium: SodiumApi, key: Uint8Array, aad: Uint8Array, sealed: unknown): PeerIdentity & { signature: Uint8Array } {
  if (!(sealed instanceof Uint8Array)) throw new HandshakeError('a handshake identity is not binary');
  const aead = new AeadKey(key);
  let plain: Uint8Array;
  try {
    plain = aead.open(ZERO_NONCE, aad, sealed);
  } catch (cause) {
    throw new HandshakeError('the peer does not know this session\'s secret (a wrong secret or password), or the handshake was tampered with', { cause });
  } finally {
    aead.dispose();
  }
  const [name, publicKey, signature] = decodeClear(plain);
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) throw new HandshakeError('the peer\'s name is not a short string');
  return { name, publicKey: bytes(publicKey, sodium.crypto_sign_PUBLICKEYBYTES, 'an identity key'),
    signature: bytes(signature, sodium.crypto_sign_BYTES, 'an identity signature') };
}

/** Runs the handshake over `link` and returns the encrypted link; on any failure the link is closed. */
export async function secureLink(link: Link, options: HandshakeOptions): Promise<SecureLink> {
  if (options.sessionId.length !== SESSION_ID_BYTES) throw new HandshakeError(`a session id is ${SESSION_ID_BYTES} bytes`);
  if (options.secret.length < MIN_SECRET_BYTES || options.secret.length > 64) throw new HandshakeError('a session secret is 16 to 64 bytes');
  const sodium = await loadSodium();
  const frames = link.frames()[Symbol.asyncIterator]();
  const timeoutMs = options.timeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`the handshake took longer than ${timeoutMs} ms`)), timeoutMs);
    onAbort = () => reject(new AbortedError());
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const next = async (): Promise<unknown[]> => {
    const { value, done } = await Promise.race([frames.next(), limit]);
    if (done) throw new HandshakeError('the peer closed the link during the handshake');
    return decodeClear(value);
  };
  const refuse = async (error: DeltanodeError) => {
    told.add(error);
    await link.send(encode([REFUSED, error.code, error.message])).catch(() => undefined);
    return error;
  };
  try {
    const run = options.role === 'initiator' ? initiate(sodium, link, next, refuse, options) : respond(sodium, link, next, refuse, options);
    const [send, receive, peer] = await Promise.race([run, limit]);
    const secure = new SecureLink(link, frames, { sendKey: send, receiveKey: receive, peer, sodium,
      ...(options.rekeyRecords !== undefined ? { rekeyRecords: options.rekeyRecords } : {}) });
    if (options.role === 'initiator') {
      await Promise.race([secure.expectAccepted(), limit]);
      return secure;
    }
    try {
      await Promise.race([options.checkPeer(peer), limit]);
    } catch (error) {
      // Refused under the traffic keys, so the member learns why and nobody else does.
      const reason = error instanceof DeltanodeError ? error : new IdentityError(String((error as Error)?.message ?? error));
      await secure.refuse(reason);
      throw reason;
    }
    await secure.accept();
    return secure;
  } catch (error) {
    // The peer learns why (a wrong secret, say) rather than seeing the link drop.
    if (error instanceof DeltanodeError && !told.has(error) && error.code !== 'DELTANODE_ERR_TIMEOUT') await refuse(error);
    await link.close(error instanceof Error ? error : undefined).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}

type Next = () => Promise<unknown[]>;
type Refuse = (error: DeltanodeError) => Promise<DeltanodeError>;
// send key, receive key, the peer
type Established = [Uint8Array, Uint8Array, PeerIdentity];

async function checked(peer: PeerIdentity, options: HandshakeOptions, refuse: Refuse): Promise<void> {
  try {
    await options.checkPeer(peer);
  } catch (error) {
    throw await refuse(error instanceof DeltanodeError ? error : new IdentityError(String((error as Error)?.message ?? error)));
  }
}

async function initiate(sodium: SodiumApi, link: Link, next: Next, refuse: Refuse, options: HandshakeOptions): Promise<Established> {
  const transcript = new Transcript(sodium, options.secret);
  const ephemeral = sodium.crypto_box_keypair();
  await link.send(encode([HELLO, WIRE_VERSION, options.protocolVersion, options.sessionId, ephemeral.publicKey]));
  const hello = await next();
  if (hello[0] === REFUSED) throw refusal(hello);
  if (hello[0] !== HELLO || hello.length !== 5) throw new HandshakeError('the peer did not answer with a hello');
  const mismatch = versionsMatch(hello[1], hello[2], options.protocolVersion);
  if (mismatch) throw new VersionError(mismatch);
  const peerEphemeral = bytes(hello[3], sodium.crypto_box_PUBLICKEYBYTES, 'an ephemeral key');
  const shared = agree(sodium, ephemeral.privateKey, peerEphemeral);
  const h1 = transcript.hash(utf8(`deltanode/${WIRE_VERSION}`), options.sessionId, ephemeral.publicKey, peerEphemeral);
  const [responderKey, initiatorKey] = transcript.keys('handshake', h1, shared);
  const responder = openIdentity(sodium, responderKey, h1, hello[4]);
  if (!sodium.crypto_sign_verify_detached(responder.signature, transcript.signed('responder', h1, responder), responder.publicKey)) {
    throw new HandshakeError('the host\'s identity signature does not verify');
  }
  const peer = { name: responder.name, publicKey: responder.publicKey };
  await checked(peer, options, refuse);
  const signature = sodium.crypto_sign_detached(transcript.signed('initiator', h1, options.keys), options.keys.secretKey);
  await link.send(encode([IDENTITY, seal(initiatorKey, h1, [options.keys.name, options.keys.publicKey, signature])]));
  const [toInitiator, toResponder] = transcript.keys('traffic', transcript.hash(h1, responder.publicKey, options.keys.publicKey), shared);
  sodium.memzero(shared);
  return [toResponder, toInitiator, peer];
}

async function respond(sodium: SodiumApi, link: Link, next: Next, refuse: Refuse, options: HandshakeOptions): Promise<Established> {
  const transcript = new Transcript(sodium, options.secret);
  const hello = await next();
  if (hello[0] !== HELLO || hello.length !== 5) throw await refuse(new HandshakeError('the first message is not a deltanode hello'));
  const mismatch = versionsMatch(hello[1], hello[2], options.protocolVersion);
  if (mismatch) throw await refuse(new VersionError(mismatch));
  const sessionId = bytes(hello[3], SESSION_ID_BYTES, 'a session id');
  if (!sodium.memcmp(sessionId, options.sessionId)) {
    throw await refuse(new HandshakeError('no such session here: the join code is old or mistyped'));
  }
  const peerEphemeral = bytes(hello[4], sodium.crypto_box_PUBLICKEYBYTES, 'an ephemeral key');
  const ephemeral = sodium.crypto_box_keypair();
  const shared = agree(sodium, ephemeral.privateKey, peerEphemeral);
  const h1 = transcript.hash(utf8(`deltanode/${WIRE_VERSION}`), sessionId, peerEphemeral, ephemeral.publicKey);
  const [responderKey, initiatorKey] = transcript.keys('handshake', h1, shared);
  const signature = sodium.crypto_sign_detached(transcript.signed('responder', h1, options.keys), options.keys.secretKey);
  await link.send(encode([HELLO, WIRE_VERSION, options.protocolVersion, ephemeral.publicKey,
    seal(responderKey, h1, [options.keys.name, options.keys.publicKey, signature])]));
  const answer = await next();
  if (answer[0] === REFUSED) throw refusal(answer);
  if (answer[0] !== IDENTITY || answer.length !== 2) throw new HandshakeError('the member did not send its identity');
  const initiator = openIdentity(sodium, initiatorKey, h1, answer[1]);
  if (!sodium.crypto_sign_verify_detached(initiator.signature, transcript.signed('initiator', h1, initiator), initiator.publicKey)) {
    throw new HandshakeError('the member\'s identity signature does not verify');
  }
  const peer = { name: initiator.name, publicKey: initiator.publicKey };
  const [toInitiator, toResponder] = transcript.keys('traffic', transcript.hash(h1, options.keys.publicKey, initiator.publicKey), shared);
  sodium.memzero(shared);
  return [toInitiator, toResponder, peer];
}

function agree(sodium: SodiumApi, privateKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_scalarmult(privateKey, peerPublic);
  } catch (cause) {
    // libsodium refuses keys of small order (an all-zero result): no key could be agreed.
    throw new HandshakeError('the peer\'s ephemeral key is not usable', { cause });
  }
}
