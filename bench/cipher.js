#!/usr/bin/env node
// Cipher benchmark for the encrypted link's bulk frames: libsodium (its WASM build), node:crypto
// and the addon's AeadKey (node's own OpenSSL, key schedule kept), each on one stream in this one
// thread, encrypt and decrypt timed apart. Implementations take turns within every run, so machine
// noise hits them alike; the table shows medians, and the same goes to JSON (bench/results/).
//
//   node bench/cipher.js [--runs N] [--mib MiB per run] [--sizes KiB,KiB,...] [--json FILE] [--quick]
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { parseArgs } from 'node:util';
import nodeGypBuild from 'node-gyp-build';
import { median, pad, projectRoot, writeResults } from './common.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    mib: { type: 'string', default: '512' },
    sizes: { type: 'string', default: '64,256,1024' },
    json: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const MiB = 1 << 20;
const runs = values.quick ? 1 : Number(values.runs);
const bytesPerRun = (values.quick ? 32 : Number(values.mib)) * MiB;
const frameSizes = values.sizes.split(',').map((kib) => Number(kib) * 1024);
const log = (text) => process.stderr.write(`${text}\n`);

// The addon straight from build/ (or a prebuild): the bench needs no compiled TypeScript.
const addon = nodeGypBuild(projectRoot);
// libsodium's ESM entry point is broken in 0.7; its CommonJS build loads (as in src/transport/sodium.ts).
const sodium = createRequire(import.meta.url)('libsodium-wrappers-sumo');
await sodium.ready;

// A frame header's worth of associated data, as the link layer authenticates with each frame.
const aad = randomBytes(16);

// Each implementation: `encrypt(nonce)` seals the frame's plaintext; `decrypt()` opens one sealed
// frame. Both return their output so nothing is optimised away.
function nodeCipher(name) {
  return (plaintext, key) => {
    const seal = (nonce) => {
      const cipher = createCipheriv(name, key, nonce, { authTagLength: 16 });
      cipher.setAAD(aad);
      // Ciphertext and tag stay apart (a writer can send both): no concatenation is charged.
      const body = cipher.update(plaintext);
      cipher.final();
      return { body, tag: cipher.getAuthTag() };
    };
    const nonce = randomBytes(12);
    const sealed = seal(nonce);
    return {
      nonceBytes: 12,
      encrypt: seal,
      decrypt: () => {
        const decipher = createDecipheriv(name, key, nonce, { authTagLength: 16 });
        decipher.setAAD(aad);
        decipher.setAuthTag(sealed.tag);
        const out = decipher.update(sealed.body);
        decipher.final();
        return out;
      },
    };
  };
}

function sodiumCipher(prefix, nonceBytes) {
  const encrypt = sodium[`${prefix}_encrypt`];
  const decrypt = sodium[`${prefix}_decrypt`];
  return (plaintext, key) => {
    const nonce = randomBytes(nonceBytes);
    const sealed = encrypt(plaintext, aad, null, nonce, key);
    return {
      nonceBytes,
      encrypt: (frameNonce) => encrypt(plaintext, aad, null, frameNonce, key),
      decrypt: () => decrypt(null, sealed, aad, nonce, key),
    };
  };
}

function nativeGcm(into) {
  return (plaintext, keyBytes) => {
    const key = new addon.AeadKey(keyBytes);
    const nonce = randomBytes(12);
    const sealed = key.seal(nonce, aad, plaintext);
    const out = Buffer.allocUnsafe(plaintext.length + 16);
    return {
      nonceBytes: 12,
      encrypt: into ? (frameNonce) => key.seal(frameNonce, aad, plaintext, out) : (frameNonce) => key.seal(frameNonce, aad, plaintext),
      // Opening always makes a new buffer: the plaintext is released only once its tag is verified.
      decrypt: into ? null : () => key.open(nonce, aad, sealed),
      dispose: () => key.dispose(),
    };
  };
}

const implementations = [
  { cipher: 'chacha20-poly1305', impl: 'libsodium-wrappers-sumo (WASM)', make: sodiumCipher('crypto_aead_chacha20poly1305_ietf', 12) },
  { cipher: 'xchacha20-poly1305', impl: 'libsodium-wrappers-sumo (WASM)', make: sodiumCipher('crypto_aead_xchacha20poly1305_ietf', 24) },
  { cipher: 'chacha20-poly1305', impl: 'node:crypto', make: nodeCipher('chacha20-poly1305') },
  { cipher: 'aes-256-gcm', impl: 'node:crypto', make: nodeCipher('aes-256-gcm') },
  { cipher: 'aes-256-gcm', impl: 'native AeadKey', make: nativeGcm(false) },
  { cipher: 'aes-256-gcm', impl: 'native AeadKey, seal into one buffer', make: nativeGcm(true) },
];

// One timed pass over `bytes` worth of frames; returns GB/s (10^9 bytes per second).
function pass(step, frameBytes, bytes, nonce) {
  const frames = Math.ceil(bytes / frameBytes);
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) {
    // A fresh nonce per frame, as a real sender would use (a counter, here in the first 4 bytes).
    if (nonce) nonce.writeUInt32LE(i, 0);
    const output = step(nonce);
    sink += typeof output === 'number' ? output : 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (sink === 0) throw new Error('no output');
  return (frames * frameBytes) / seconds / 1e9;
}

// Before timing: every implementation round-trips, the addon's AES-GCM matches node:crypto's and
// libsodium's ChaCha20-Poly1305 matches node:crypto's, so the bench never times a broken path.
function check(frameBytes) {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const plaintext = randomBytes(Math.min(frameBytes, 4096));
  const gcm = createCipheriv('aes-256-gcm', key, nonce);
  gcm.setAAD(aad);
  const expected = Buffer.concat([gcm.update(plaintext), gcm.final(), gcm.getAuthTag()]);
  const native = new addon.AeadKey(key);
  if (!native.seal(nonce, aad, plaintext).equals(expected)) throw new Error('native AES-GCM differs from node:crypto');
  if (!native.open(nonce, aad, expected).equals(plaintext)) throw new Error('native AES-GCM does not round-trip');
  native.dispose();
  const chacha = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  chacha.setAAD(aad);
  const chachaExpected = Buffer.concat([chacha.update(plaintext), chacha.final(), chacha.getAuthTag()]);
  const fromSodium = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key);
  if (!chachaExpected.equals(fromSodium)) throw new Error('libsodium ChaCha20-Poly1305 differs from node:crypto');
  for (const { cipher, impl, make } of implementations) {
    const frame = randomBytes(frameBytes);
    const instance = make(frame, key);
    const opened = instance.decrypt?.();
    if (opened && !Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength).equals(frame)) {
      throw new Error(`${cipher} (${impl}) does not round-trip`);
    }
    instance.dispose?.();
  }
}

log(`cipher bench: ${runs} runs of ${bytesPerRun / MiB} MiB per implementation, direction and frame size; ` +
  `one stream, one thread`);
const rows = [];
for (const frameBytes of frameSizes) {
  check(frameBytes);
  const plaintext = randomBytes(frameBytes);
  const key = randomBytes(32);
  const entries = implementations.map((implementation) => ({
    ...implementation,
    instance: implementation.make(plaintext, key),
    encrypt: [],
    decrypt: [],
  }));
  // Warm-up: JIT, WASM tiering and first-touch of the buffers stay out of the timed runs.
  for (const entry of entries) {
    pass(entry.instance.encrypt, frameBytes, Math.min(bytesPerRun, 32 * MiB), Buffer.alloc(entry.instance.nonceBytes));
    if (entry.instance.decrypt) pass(entry.instance.decrypt, frameBytes, Math.min(bytesPerRun, 32 * MiB), null);
  }
  for (let run = 0; run < runs; run++) {
    log(`  ${frameBytes / 1024} KiB frames, run ${run + 1}/${runs}`);
    for (const entry of entries) {
      entry.encrypt.push(pass(entry.instance.encrypt, frameBytes, bytesPerRun, Buffer.alloc(entry.instance.nonceBytes)));
      if (entry.instance.decrypt) entry.decrypt.push(pass(entry.instance.decrypt, frameBytes, bytesPerRun, null));
    }
  }
  for (const entry of entries) {
    entry.instance.dispose?.();
    rows.push({
      cipher: entry.cipher,
      impl: entry.impl,
      frameBytes,
      encryptGBps: median(entry.encrypt),
      decryptGBps: entry.decrypt.length ? median(entry.decrypt) : null,
      encryptRunsGBps: entry.encrypt,
      decryptRunsGBps: entry.decrypt,
    });
  }
}

const sizeName = (bytes) => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);
const gbps = (value) => (value === null ? '-' : value.toFixed(2));
const lines = [
  `median of ${runs} runs of ${bytesPerRun / MiB} MiB, GB/s = 10^9 bytes/s, ${os.cpus().length} cores, ` +
    `${os.cpus()[0]?.model ?? ''}, node ${process.version}, OpenSSL ${process.versions.openssl}, ` +
    `libsodium ${sodium.sodium_version_string()}`,
  `${pad('cipher', 20)}${pad('impl', 38)}${pad('frame', 10)}${pad('encrypt GB/s', 14)}decrypt GB/s`,
];
for (const r of rows) {
  lines.push(`${pad(r.cipher, 20)}${pad(r.impl, 38)}${pad(sizeName(r.frameBytes), 10)}${pad(gbps(r.encryptGBps), 14)}${gbps(r.decryptGBps)}`);
}
console.log(lines.join('\n'));

const jsonPath = writeResults('cipher', values.json, {
  date: new Date().toISOString(),
  runs,
  bytesPerRun,
  aadBytes: aad.length,
  unit: 'GB/s (10^9 bytes per second), median of the runs',
  machine: { cores: os.cpus().length, model: os.cpus()[0]?.model ?? null, loadavg: os.loadavg() },
  versions: { node: process.version, openssl: process.versions.openssl, libsodium: sodium.sodium_version_string() },
  rows,
});
console.log(`json: ${jsonPath}`);
