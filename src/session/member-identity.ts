// A member's long-term Ed25519 identity: a seed created once in its state folder (readable by its
// owner only), from which the keys and the fingerprint follow.
import path from 'node:path';
import { loadOrCreateOnce } from '../node/node-identity.js';
import { fingerprintText } from '../transport/fingerprint.js';
import type { MemberKeys } from '../transport/handshake.js';
import { loadSodium } from '../transport/sodium.js';

const IDENTITY_FILE = 'identity-ed25519';
const HEADER = 'deltanode identity v1';
const PATTERN = new RegExp(`^${HEADER}\\n[0-9a-f]{64}$`);

export interface MemberIdentity {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  /** Eight groups of five digits, to compare out of band. */
  fingerprint: string;
}

export async function loadOrCreateIdentity(stateFolder: string): Promise<MemberIdentity> {
  const sodium = await loadSodium();
  const file = path.join(stateFolder, IDENTITY_FILE);
  const text = await loadOrCreateOnce(file, () => `${HEADER}\n${Buffer.from(sodium.randombytes_buf(32)).toString('hex')}\n`,
    (content) => PATTERN.test(content),
    `${file} does not hold a deltanode identity; restore it (members that pinned this one refuse a new key) or remove it`, 0o600);
  const seed = Buffer.from(text.slice(HEADER.length + 1), 'hex');
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
  sodium.memzero(seed);
  return { publicKey, secretKey: privateKey, fingerprint: fingerprintText(sodium, publicKey) };
}

/** The keys a handshake presents under `name`. */
export const keysFor = (identity: MemberIdentity, name: string): MemberKeys =>
  ({ name, publicKey: identity.publicKey, secretKey: identity.secretKey });
