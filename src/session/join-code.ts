// The join code a host prints and members type or paste: session id, secret (absent in password
// mode, where both ends stretch the password instead), the host's fingerprint and the addresses
// it listens on. Base32 (no case, no punctuation to lose in a chat) with a checksum, so a
// mistyped code is told apart from a wrong secret.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import { FINGERPRINT_BYTES } from '../transport/fingerprint.js';
import { SESSION_ID_BYTES } from '../transport/handshake.js';
import { loadSodium } from '../transport/sodium.js';

export const SECRET_BYTES = 24;
const CODE_VERSION = 1;
const PREFIX = 'dn1-';
const CHECKSUM_BYTES = 4;
const PASSWORD_MODE = 1;
const MAX_ADDRESSES = 16;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export interface JoinCode {
  sessionId: Uint8Array;
  /** null in password mode. */
  secret: Uint8Array | null;
  hostFingerprint: Uint8Array;
  /** host:port candidates, in the order to try. */
  addresses: string[];
}

export function encodeJoinCode(code: JoinCode): string {
  const parts: Buffer[] = [Buffer.of(CODE_VERSION, code.secret ? 0 : PASSWORD_MODE), Buffer.from(code.sessionId)];
  if (code.secret) parts.push(Buffer.from(code.secret));
  parts.push(Buffer.from(code.hostFingerprint), Buffer.of(code.addresses.length));
  for (const address of code.addresses) {
    const text = Buffer.from(address, 'utf8');
    parts.push(Buffer.of(text.length), text);
  }
  const payload = Buffer.concat(parts);
  return PREFIX + base32(Buffer.concat([payload, checksum(payload)]));
}

export function decodeJoinCode(text: string): JoinCode {
  const bad = (why: string) => new InvalidArgumentError(`not a deltanode join code: ${why}`);
  const compact = text.trim().toLowerCase().replace(/[\s-]/g, '');
  if (!compact.startsWith('dn1')) throw bad(`it starts with ${PREFIX}`);
  const raw = fromBase32(compact.slice(3));
  if (!raw || raw.length < CHECKSUM_BYTES + 2) throw bad('it has letters a code does not use, or it is cut short');
  const payload = raw.subarray(0, raw.length - CHECKSUM_BYTES);
  if (!checksum(payload).equals(raw.subarray(raw.length - CHECKSUM_BYTES))) throw bad('its checksum does not match (a mistyped or truncated code)');
  let offset = 0;
  const take = (length: number) => {
    if (offset + length > payload.length) throw bad('it is cut short');
    const part = payload.subarray(offset, offset + length);
    offset += length;
    return Uint8Array.from(part);
  };
  const [version, flags] = take(2);
  if (version !== CODE_VERSION) throw bad(`version ${version} is from a newer deltanode`);
  const sessionId = take(SESSION_ID_BYTES);
  const secret = flags === PASSWORD_MODE ? null : take(SECRET_BYTES);
  const hostFingerprint = take(FINGERPRINT_BYTES);
  const count = take(1)[0]!;
  if (count === 0 || count > MAX_ADDRESSES) throw bad('it lists no addresses');
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(Buffer.from(take(take(1)[0]!)).toString('utf8'));
  if (offset !== payload.length) throw bad('it has bytes after its addresses');
  return { sessionId, secret, hostFingerprint, addresses };
}

/** The session secret of password mode: Argon2id (libsodium's moderate limits: 3 passes, 256 MiB) salted with the session id. */
export async function secretFromPassword(password: string, sessionId: Uint8Array): Promise<Uint8Array> {
  if (password.length < 8) throw new InvalidArgumentError('a session password has at least 8 characters');
  const sodium = await loadSodium();
  return sodium.crypto_pwhash(32, password, sessionId, sodium.crypto_pwhash_OPSLIMIT_MODERATE, sodium.crypto_pwhash_MEMLIMIT_MODERATE,
    sodium.crypto_pwhash_ALG_ARGON2ID13);
}

const checksum = (payload: Uint8Array) => createHash('sha256').update(payload).digest().subarray(0, CHECKSUM_BYTES);

function base32(bytes: Uint8Array): string {
  let text = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) text += ALPHABET[(value << (5 - bits)) & 31];
  return text;
}

function fromBase32(text: string): Buffer | null {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) return null;
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}
