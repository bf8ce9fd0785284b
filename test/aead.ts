// AeadKey: byte-for-byte the same as node:crypto's AES-256-GCM, and nothing that was changed on
// the way opens.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import t from 'tap';
import { AeadKey } from '../src/engine/aead.js';
import { nativeAddon } from '../src/engine/native.js';
import { IntegrityError, InvalidArgumentError } from '../src/errors.js';

const MiB = 1 << 20;

function reference(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function referenceOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

t.test('constants', async (t) => {
  t.equal(AeadKey.KEY_BYTES, 32);
  t.equal(AeadKey.NONCE_BYTES, 12);
  t.equal(AeadKey.TAG_BYTES, 16);
});

t.test('seal matches node:crypto and open inverts it, at every size', async (t) => {
  const keyBytes = randomBytes(32);
  const key = new AeadKey(keyBytes);
  t.teardown(() => key.dispose());
  for (const size of [0, 1, 15, 16, 17, 255, 4096 + 3, 64 * 1024, MiB, MiB + 7]) {
    for (const aadSize of [0, 13, 1000]) {
      const nonce = randomBytes(12);
      const aad = randomBytes(aadSize);
      const plaintext = randomBytes(size);
      const sealed = key.seal(nonce, aad, plaintext);
      t.ok(Buffer.isBuffer(sealed));
      t.equal(sealed.length, size + AeadKey.TAG_BYTES, `sealed length, ${size} bytes`);
      t.ok(sealed.equals(reference(keyBytes, nonce, aad, plaintext)), `same as node:crypto, ${size} bytes, aad ${aadSize}`);
      t.ok(referenceOpen(keyBytes, nonce, aad, sealed).equals(plaintext), `node:crypto opens it, ${size} bytes`);
      t.ok(key.open(nonce, aad, sealed).equals(plaintext), `round trip, ${size} bytes, aad ${aadSize}`);
      const inPlace = key.openInPlace(nonce, aad, sealed);
      t.ok(inPlace.equals(plaintext), `in place, ${size} bytes`);
      t.equal(inPlace.buffer, sealed.buffer, 'in place: a view of the sealed bytes, nothing allocated');
    }
  }
});

t.test('in place, a frame that fails authentication is zeroed and refused', async (t) => {
  const key = new AeadKey(randomBytes(32));
  const nonce = randomBytes(12);
  const sealed = key.seal(nonce, Buffer.alloc(0), Buffer.alloc(1000, 7));
  sealed[10]! ^= 1;
  t.throws(() => key.openInPlace(nonce, Buffer.alloc(0), sealed), IntegrityError);
  t.ok(sealed.subarray(0, 1000).equals(Buffer.alloc(1000)), 'no unauthenticated plaintext is left where it was decrypted');
  t.throws(() => key.openInPlace(nonce, Buffer.alloc(0), Buffer.alloc(5)), IntegrityError, 'shorter than a tag');
  t.throws(() => key.openInPlace(Buffer.alloc(3), Buffer.alloc(0), sealed), { code: 'DELTANODE_ERR_INVALID_ARGUMENT' });
});

t.test('a known answer: the all-zero key, nonce and block', async (t) => {
  // The published GCM test vector (McGrew and Viega, test case 14): no dependency on node:crypto.
  const key = new AeadKey(new Uint8Array(32));
  t.teardown(() => key.dispose());
  const sealed = key.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(16));
  t.equal(sealed.toString('hex'), 'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919');
  t.equal(key.seal(new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)).toString('hex'),
    '530f8afbc74536b9a963b4f1c4cb738b', 'empty plaintext: the tag alone (test case 13)');
});

t.test('views into larger buffers are read at their offset', async (t) => {
  const backing = randomBytes(4096);
  const key = new AeadKey(new Uint8Array(backing.buffer, backing.byteOffset + 7, 32));
  t.teardown(() => key.dispose());
  const nonce = backing.subarray(100, 112);
  const aad = new Uint8Array(backing.buffer, backing.byteOffset + 200, 21);
  const plaintext = backing.subarray(1001, 3000);
  const expected = reference(backing.subarray(7, 39), nonce, aad, plaintext);
  const sealed = key.seal(nonce, aad, plaintext);
  t.ok(sealed.equals(expected));
  const copy = new Uint8Array(sealed.length + 5).subarray(5);
  copy.set(sealed);
  t.ok(key.open(nonce, aad, copy).equals(plaintext), 'opens from a view at an offset');
});

t.test('every change to a sealed frame fails authentication', async (t) => {
  const keyBytes = randomBytes(32);
  const key = new AeadKey(keyBytes);
  t.teardown(() => key.dispose());
  const nonce = randomBytes(12);
  const aad = Buffer.from('frame header 42');
  const plaintext = randomBytes(64 * 1024);
  const sealed = key.seal(nonce, aad, plaintext);

  const flipped = (at: number, bit: number): Buffer => {
    const copy = Buffer.from(sealed);
    copy[at] = (copy[at] ?? 0) ^ (1 << bit);
    return copy;
  };
  const refuses = (what: string, open: () => unknown) => {
    t.throws(open, IntegrityError, what);
    try {
      open();
    } catch (error) {
      t.equal((error as IntegrityError).code, 'DELTANODE_ERR_INTEGRITY', `${what}: code`);
    }
  };

  refuses('first ciphertext bit', () => key.open(nonce, aad, flipped(0, 0)));
  refuses('a middle ciphertext bit', () => key.open(nonce, aad, flipped(30000, 5)));
  refuses('last ciphertext bit', () => key.open(nonce, aad, flipped(plaintext.length - 1, 7)));
  refuses('first tag bit', () => key.open(nonce, aad, flipped(plaintext.length, 0)));
  refuses('last tag bit', () => key.open(nonce, aad, flipped(sealed.length - 1, 7)));
  refuses('a different aad', () => key.open(nonce, Buffer.from('frame header 43'), sealed));
  refuses('aad dropped', () => key.open(nonce, new Uint8Array(0), sealed));
  const otherNonce = Buffer.from(nonce);
  otherNonce[11] = (otherNonce[11] ?? 0) ^ 1;
  refuses('a different nonce', () => key.open(otherNonce, aad, sealed));
  const wrongKey = new AeadKey(randomBytes(32));
  t.teardown(() => wrongKey.dispose());
  refuses('a wrong key', () => wrongKey.open(nonce, aad, sealed));
  refuses('last byte cut off', () => key.open(nonce, aad, sealed.subarray(0, sealed.length - 1)));
  refuses('a byte appended', () => key.open(nonce, aad, Buffer.concat([sealed, Buffer.from([0])])));
  refuses('shorter than a tag', () => key.open(nonce, aad, sealed.subarray(0, 15)));
  refuses('empty', () => key.open(nonce, aad, new Uint8Array(0)));
  refuses('the tag alone', () => key.open(nonce, aad, sealed.subarray(plaintext.length)));

  // An empty plaintext is authenticated by its tag alone.
  const empty = key.seal(nonce, aad, new Uint8Array(0));
  t.equal(key.open(nonce, aad, empty).length, 0);
  const badEmpty = Buffer.from(empty);
  badEmpty[0] = (badEmpty[0] ?? 0) ^ 0x80;
  refuses('the tag of an empty plaintext', () => key.open(nonce, aad, badEmpty));

  t.ok(key.open(nonce, aad, sealed).equals(plaintext), 'the key still opens the untouched frame after failures');
  t.ok(reference(keyBytes, nonce, aad, plaintext).equals(key.seal(nonce, aad, plaintext)), 'and still seals correctly');
});

t.test('arguments are checked', async (t) => {
  t.throws(() => new AeadKey(new Uint8Array(31)), InvalidArgumentError);
  t.throws(() => new AeadKey(new Uint8Array(33)), InvalidArgumentError);
  t.throws(() => new AeadKey(new Uint8Array(0)), InvalidArgumentError);
  t.throws(() => new AeadKey('k'.repeat(32) as never), InvalidArgumentError);
  t.throws(() => new AeadKey(new Array<number>(32).fill(0) as never), InvalidArgumentError);

  const key = new AeadKey(randomBytes(32));
  t.teardown(() => key.dispose());
  const nonce = randomBytes(12);
  const aad = new Uint8Array(0);
  const data = randomBytes(100);
  const sealed = key.seal(nonce, aad, data);
  t.throws(() => key.seal(randomBytes(11), aad, data), InvalidArgumentError);
  t.throws(() => key.seal(randomBytes(24), aad, data), InvalidArgumentError);
  t.throws(() => key.seal(nonce, 'aad' as never, data), InvalidArgumentError);
  t.throws(() => key.seal(nonce, undefined as never, data), InvalidArgumentError);
  t.throws(() => key.seal(nonce, aad, 'plaintext' as never), InvalidArgumentError);
  t.throws(() => key.seal(nonce, aad, new ArrayBuffer(4) as never), InvalidArgumentError);
  t.throws(() => key.open(randomBytes(11), aad, sealed), InvalidArgumentError);
  t.throws(() => key.open(nonce, null as never, sealed), InvalidArgumentError);
  t.throws(() => key.open(nonce, aad, sealed.toString('hex') as never), InvalidArgumentError);
  t.ok(key.open(nonce, aad, sealed).equals(data), 'the key works after refused calls');

  // A view claiming a length it does not have gets past TypeScript: the addon's own checks refuse
  // it, and its error arrives typed.
  const lying = (length: number) => Object.defineProperty(new Uint8Array(0), 'byteLength', { value: length });
  t.throws(() => new AeadKey(lying(32)), InvalidArgumentError, 'native key check, mapped');
  t.throws(() => key.seal(lying(12), aad, data), InvalidArgumentError, 'native nonce check on seal, mapped');
  t.throws(() => key.open(lying(12), aad, sealed), InvalidArgumentError, 'native nonce check on open, mapped');
  t.throws(() => key.seal(nonce, aad, lying(2 ** 37)), InvalidArgumentError, 'longer than GCM allows');
});

t.test('seal into a given buffer', async (t) => {
  const keyBytes = randomBytes(32);
  const key = new AeadKey(keyBytes);
  t.teardown(() => key.dispose());
  const nonce = randomBytes(12);
  const aad = randomBytes(5);
  for (const size of [0, 1, 1000, 64 * 1024 + 1]) {
    const plaintext = randomBytes(size);
    const expected = reference(keyBytes, nonce, aad, plaintext);
    const out = Buffer.alloc(size + 40, 0xee);
    t.equal(key.seal(nonce, aad, plaintext, out), size + 16, `returns the length, ${size} bytes`);
    t.ok(out.subarray(0, size + 16).equals(expected), `same bytes as node:crypto, ${size} bytes`);
    t.ok(out.subarray(size + 16).equals(Buffer.alloc(24, 0xee)), 'nothing written past them');

    // In place, and with the aad just before the output in one buffer (a record's type byte).
    const frame = Buffer.alloc(1 + size + 16);
    frame[0] = 7;
    plaintext.copy(frame, 1);
    t.equal(key.seal(nonce, frame.subarray(0, 1), frame.subarray(1, 1 + size), frame.subarray(1)), size + 16);
    t.ok(frame.subarray(1).equals(reference(keyBytes, nonce, Buffer.from([7]), plaintext)), `in place, ${size} bytes`);
    t.ok(key.open(nonce, Buffer.from([7]), frame.subarray(1)).equals(plaintext));
  }
  const plaintext = randomBytes(100);
  t.throws(() => key.seal(nonce, aad, plaintext, Buffer.alloc(115)), InvalidArgumentError, 'out one byte short');
  t.throws(() => key.seal(nonce, aad, plaintext, 'out' as never), InvalidArgumentError, 'out not bytes');
  const shared = Buffer.alloc(300);
  t.throws(() => key.seal(nonce, aad, shared.subarray(10, 110), shared.subarray(11)), InvalidArgumentError,
    'out shifted one byte after the plaintext');
  t.throws(() => key.seal(nonce, aad, shared.subarray(10, 110), shared.subarray(0, 150)), InvalidArgumentError,
    'out starting before the plaintext and running into it');
  t.equal(key.seal(nonce, aad, shared.subarray(0, 100), shared.subarray(100)), 116, 'adjacent, not overlapping');
  t.equal(key.seal(nonce, aad, shared.subarray(5, 5), shared.subarray(0, 16)), 16, 'an empty plaintext overlaps nothing');
});

t.test('the raw addon: seal into a given buffer, and lengths checked natively too', async (t) => {
  const keyBytes = randomBytes(32);
  const native = new (nativeAddon().AeadKey)(keyBytes);
  t.teardown(() => native.dispose());
  const nonce = randomBytes(12);
  const aad = randomBytes(9);
  const plaintext = randomBytes(5000);
  const out = Buffer.alloc(6000, 0xee);
  t.equal(native.seal(nonce, aad, plaintext, out), 5016);
  t.ok(out.subarray(0, 5016).equals(reference(keyBytes, nonce, aad, plaintext)));
  t.ok(out.subarray(5016).equals(Buffer.alloc(984, 0xee)), 'nothing written past the sealed length');
  t.ok(native.open(nonce, aad, out.subarray(0, 5016)).equals(plaintext));
  const code = (call: () => unknown) => {
    try {
      call();
    } catch (error) {
      return (error as { code?: unknown }).code;
    }
    return 'no throw';
  };
  t.equal(code(() => native.seal(nonce, aad, plaintext, Buffer.alloc(5015))), 'DELTANODE_ERR_INVALID_ARGUMENT');
  t.equal(code(() => native.seal(randomBytes(8), aad, plaintext)), 'DELTANODE_ERR_INVALID_ARGUMENT');
  t.equal(code(() => native.open(randomBytes(16), aad, out)), 'DELTANODE_ERR_INVALID_ARGUMENT');
  t.equal(code(() => native.open(nonce, aad, Buffer.alloc(15))), 'DELTANODE_ERR_INTEGRITY');
  t.equal(code(() => new (nativeAddon().AeadKey)(Buffer.alloc(16))), 'DELTANODE_ERR_INVALID_ARGUMENT');
  const disposed = new (nativeAddon().AeadKey)(keyBytes);
  disposed.dispose();
  t.equal(code(() => disposed.open(nonce, aad, out)), 'DELTANODE_ERR_INVALID_ARGUMENT');
});

t.test('dispose', async (t) => {
  const keyBytes = randomBytes(32);
  const before = Buffer.from(keyBytes);
  const key = new AeadKey(keyBytes);
  const nonce = randomBytes(12);
  const sealed = key.seal(nonce, new Uint8Array(0), Buffer.from('x'));
  key.dispose();
  t.throws(() => key.seal(nonce, new Uint8Array(0), Buffer.from('x')), InvalidArgumentError);
  t.throws(() => key.open(nonce, new Uint8Array(0), sealed), InvalidArgumentError);
  t.doesNotThrow(() => key.dispose(), 'dispose twice');
  t.ok(keyBytes.equals(before), "the caller's key bytes are left alone");
  const again = new AeadKey(keyBytes);
  t.equal(again.open(nonce, new Uint8Array(0), sealed).toString(), 'x', 'a new key from the same bytes opens it');
  again.dispose();
});

t.test('keys left to the garbage collector are freed without harm', async (t) => {
  // Exercises the finaliser path: many keys never disposed, then a collection when exposed.
  for (let i = 0; i < 2000; i++) new AeadKey(randomBytes(32)).seal(randomBytes(12), new Uint8Array(0), new Uint8Array(64));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  t.pass('no crash');
});
