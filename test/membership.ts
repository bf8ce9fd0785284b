// Identities, fingerprints, pins and join codes: what decides who may join a session.
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeJoinCode, encodeJoinCode, secretFromPassword } from '../src/session/join-code.js';
import { loadOrCreateIdentity } from '../src/session/member-identity.js';
import { TrustStore } from '../src/session/trust-store.js';
import { FINGERPRINT_BYTES, fingerprintDigest, fingerprintText, normaliseFingerprint } from '../src/transport/fingerprint.js';
import { loadSodium } from '../src/transport/sodium.js';

t.test('an identity is created once, kept private, and read back the same', async (t) => {
  const dir = t.testdir();
  const [first, second] = await Promise.all([loadOrCreateIdentity(dir), loadOrCreateIdentity(dir)]);
  t.same(Buffer.from(first.publicKey), Buffer.from(second.publicKey), 'two processes starting at once agree on one key');
  t.match(first.fingerprint, /^(\d{5} ){7}\d{5}$/, 'eight groups of five digits');
  const file = path.join(dir, 'identity-ed25519');
  t.equal((await fs.stat(file)).mode & 0o777, 0o600, 'readable by its owner only');
  t.same((await fs.readdir(dir)).sort(), ['identity-ed25519'], 'no temporary left');
  const again = await loadOrCreateIdentity(dir);
  t.equal(again.fingerprint, first.fingerprint);
  await fs.writeFile(file, 'deltanode identity v1\nnot hex\n');
  await t.rejects(loadOrCreateIdentity(dir), { code: 'DELTANODE_ERR_STATE_CORRUPT' }, 'a damaged identity is never replaced silently');
});

t.test('fingerprints: stable, distinct, typed back in any spacing', async (t) => {
  const sodium = await loadSodium();
  const a = sodium.crypto_sign_keypair().publicKey;
  const b = sodium.crypto_sign_keypair().publicKey;
  t.equal(fingerprintText(sodium, a), fingerprintText(sodium, Uint8Array.from(a)));
  t.not(fingerprintText(sodium, a), fingerprintText(sodium, b));
  const text = fingerprintText(sodium, a);
  t.equal(normaliseFingerprint(text.replace(/ /g, '')), text);
  t.equal(normaliseFingerprint(text.replace(/ /g, '-')), text);
  t.equal(normaliseFingerprint('12345'), null);
  t.equal(normaliseFingerprint(`${text}9`), null);
  t.equal(fingerprintDigest(sodium, a).length, 40);
});

t.test('pins: a pinned name with another key is refused; unpinned members need an accept', async (t) => {
  const sodium = await loadSodium();
  const dir = t.testdir();
  const alice = { name: 'alice', publicKey: sodium.crypto_sign_keypair().publicKey };
  const mallory = { name: 'alice', publicKey: sodium.crypto_sign_keypair().publicKey };
  const trust = await TrustStore.open(dir);
  await t.rejects(trust.check(alice), { code: 'DELTANODE_ERR_IDENTITY', message: /not pinned.*--accept/ }, 'unpinned and not accepted');
  await t.resolves(trust.check(alice, { accept: true }));
  await t.resolves(trust.check(alice, { accept: [fingerprintText(sodium, alice.publicKey).replace(/ /g, '')] }), 'by fingerprint');
  await t.rejects(trust.check(alice, { accept: [fingerprintText(sodium, mallory.publicKey)] }), { code: 'DELTANODE_ERR_IDENTITY' });
  const asked: string[] = [];
  await t.rejects(trust.check(alice, { accept: (peer, fingerprint) => {
    asked.push(`${peer.name} ${fingerprint}`);
    return false;
  } }), { code: 'DELTANODE_ERR_IDENTITY' });
  t.same(asked, [`alice ${fingerprintText(sodium, alice.publicKey)}`], 'the callback sees the name and fingerprint');
  t.same(trust.list(), [], 'nothing pinned without pin');
  await trust.check(alice, { accept: true, pin: true });
  t.equal(trust.list()[0]?.fingerprint, fingerprintText(sodium, alice.publicKey));

  const reopened = await TrustStore.open(dir);
  await t.resolves(reopened.check(alice), 'a pinned member needs no accept');
  await t.rejects(reopened.check(mallory, { accept: true }), { code: 'DELTANODE_ERR_IDENTITY', message: /not the one pinned/ },
    'a changed key for a pinned name is refused even with accept');
  t.equal((await fs.stat(path.join(dir, 'trusted-members.json'))).mode & 0o777, 0o600);
  t.equal(await reopened.unpin('alice'), true);
  t.equal(await reopened.unpin('alice'), false);
  await t.rejects(reopened.pin('bob', '123'), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
  await t.rejects(reopened.pin('', fingerprintText(sodium, alice.publicKey)), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });

  const expected = fingerprintDigest(sodium, alice.publicKey).subarray(0, FINGERPRINT_BYTES);
  await t.resolves(reopened.check(alice, { expected }), 'the host the join code names');
  await t.rejects(reopened.check({ name: 'host', publicKey: mallory.publicKey }, { expected, accept: true }),
    { code: 'DELTANODE_ERR_IDENTITY', message: /not the one the join code names/ });

  await fs.writeFile(path.join(dir, 'trusted-members.json'), '{"version":1,"members":[{"name":"x"}]}');
  await t.rejects(TrustStore.open(dir), { code: 'DELTANODE_ERR_STATE_CORRUPT' });
  await fs.writeFile(path.join(dir, 'trusted-members.json'), 'nope');
  await t.rejects(TrustStore.open(dir), { code: 'DELTANODE_ERR_STATE_CORRUPT' });
});

t.test('join codes carry the session and survive retyping; mistakes are caught', async (t) => {
  const code = { sessionId: new Uint8Array(16).fill(1), secret: new Uint8Array(24).fill(2), hostFingerprint: new Uint8Array(20).fill(3),
    addresses: ['192.168.1.20:7100', '[fe80::1]:7100', '127.0.0.1:7100'] };
  const text = encodeJoinCode(code);
  t.match(text, /^dn1-[a-z2-7]+$/);
  t.same(decodeJoinCode(text), code);
  t.same(decodeJoinCode(` ${text.toUpperCase().replace(/(.{8})/g, '$1 ')} `), code, 'case and spacing do not matter');
  const password = { ...code, secret: null };
  t.same(decodeJoinCode(encodeJoinCode(password)), password, 'password mode carries no secret');
  t.ok(encodeJoinCode(password).length < text.length);
  const typo = text.slice(0, 20) + (text[20] === 'a' ? 'b' : 'a') + text.slice(21);
  t.throws(() => decodeJoinCode(typo), { code: 'DELTANODE_ERR_INVALID_ARGUMENT', message: /checksum/ });
  t.throws(() => decodeJoinCode(text.slice(0, 40)), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
  t.throws(() => decodeJoinCode('hello'), { code: 'DELTANODE_ERR_INVALID_ARGUMENT', message: /starts with dn1-/ });
  t.throws(() => decodeJoinCode('dn1-0189'), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
  t.throws(() => decodeJoinCode(encodeJoinCode({ ...code, addresses: [] })), { code: 'DELTANODE_ERR_INVALID_ARGUMENT', message: /no addresses/ });
});

t.test('a password becomes the same secret for the same session only', async (t) => {
  const id = new Uint8Array(16).fill(4);
  const a = await secretFromPassword('correct horse battery', id);
  t.equal(a.length, 32);
  t.same(Buffer.from(await secretFromPassword('correct horse battery', id)), Buffer.from(a));
  t.notSame(Buffer.from(await secretFromPassword('correct horse battery', new Uint8Array(16).fill(5))), Buffer.from(a));
  await t.rejects(secretFromPassword('short', id), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
});
