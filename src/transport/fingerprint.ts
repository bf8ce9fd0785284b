// A member's fingerprint: what two people compare by reading it aloud. Eight groups of five
// digits (each from five bytes of a BLAKE2b of the public key, about 133 bits in all): digits
// read the same in every language and have no look-alikes.
import type { SodiumApi } from './sodium.js';

const DIGEST_BYTES = 40;
/** The fingerprint bytes a join code carries (160 bits). */
export const FINGERPRINT_BYTES = 20;

export function fingerprintDigest(sodium: SodiumApi, publicKey: Uint8Array): Uint8Array {
  return sodium.crypto_generichash(DIGEST_BYTES, Buffer.concat([Buffer.from('deltanode fingerprint'), publicKey]));
}

/** "12345 67890 ..." for a public key. */
export function fingerprintText(sodium: SodiumApi, publicKey: Uint8Array): string {
  const digest = fingerprintDigest(sodium, publicKey);
  const groups: string[] = [];
  for (let offset = 0; offset < DIGEST_BYTES; offset += 5) {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + digest[offset + i]!;
    groups.push(String(value % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}

/** A fingerprint as someone typed it: the digits only, or null when it is not one. */
export function normaliseFingerprint(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  if (!/^\d{40}$/.test(digits)) return null;
  return digits.replace(/(\d{5})(?=\d)/g, '$1 ');
}
