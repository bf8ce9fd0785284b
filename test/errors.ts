// Error classes carry literal codes; native errors map onto them; a load failure explains itself.
import t from 'tap';
import * as api from '../src/index.js';
import { explainLoadFailure } from '../src/engine/native.js';

t.test('every error class has its code and name', async (t) => {
  const cases: Array<[api.DeltanodeError, string]> = [
    [new api.InvalidArgumentError('x'), 'DELTANODE_ERR_INVALID_ARGUMENT'],
    [new api.BadSignatureError('x'), 'DELTANODE_ERR_BAD_SIGNATURE'],
    [new api.CorruptDeltaError('x'), 'DELTANODE_ERR_CORRUPT_DELTA'],
    [new api.BasisMismatchError('x'), 'DELTANODE_ERR_BASIS_MISMATCH'],
    [new api.DigestMismatchError('x'), 'DELTANODE_ERR_DIGEST_MISMATCH'],
    [new api.OutputExistsError('x'), 'DELTANODE_ERR_OUTPUT_EXISTS'],
    [new api.AbortedError(), 'DELTANODE_ERR_ABORTED'],
    [new api.IoError('x', { errno: 2, path: '/p' }), 'DELTANODE_ERR_IO'],
    [new api.NativeLoadError('x'), 'DELTANODE_ERR_NATIVE_LOAD'],
    [new api.StateBusyError('x'), 'DELTANODE_ERR_STATE_BUSY'],
    [new api.StateCorruptError('x'), 'DELTANODE_ERR_STATE_CORRUPT'],
    [new api.ReadOnlyError('x'), 'DELTANODE_ERR_READ_ONLY'],
    [new api.UnsafePathError('x'), 'DELTANODE_ERR_UNSAFE_PATH'],
    [new api.TransportError('x'), 'DELTANODE_ERR_TRANSPORT'],
    [new api.LinkClosedError('x'), 'DELTANODE_ERR_LINK_CLOSED'],
    [new api.ProtocolError('x'), 'DELTANODE_ERR_PROTOCOL'],
    [new api.VersionError('x'), 'DELTANODE_ERR_VERSION'],
    [new api.TimeoutError('x'), 'DELTANODE_ERR_TIMEOUT'],
    [new api.HandshakeError('x'), 'DELTANODE_ERR_HANDSHAKE'],
    [new api.IdentityError('x'), 'DELTANODE_ERR_IDENTITY'],
    [new api.IntegrityError('x'), 'DELTANODE_ERR_INTEGRITY'],
    [new api.RemoteError('EIO', 'x'), 'DELTANODE_ERR_REMOTE'],
    [new api.InternalError('DELTANODE_ERR_INTERNAL', 'x'), 'DELTANODE_ERR_INTERNAL'],
  ];
  for (const [error, code] of cases) {
    t.equal(error.code, code);
    t.ok(error instanceof api.DeltanodeError && error instanceof Error);
    t.equal(error.name, error.constructor.name);
  }
});

t.test('native errors become typed errors', async (t) => {
  const mapped = (code: string) => api.fromNativeError(Object.assign(new Error('m'), { code, errno: 5 }));
  t.type(mapped('DELTANODE_ERR_CORRUPT_DELTA'), api.CorruptDeltaError);
  t.type(mapped('DELTANODE_ERR_BAD_SIGNATURE'), api.BadSignatureError);
  t.type(mapped('DELTANODE_ERR_BASIS_MISMATCH'), api.BasisMismatchError);
  t.type(mapped('DELTANODE_ERR_DIGEST_MISMATCH'), api.DigestMismatchError);
  t.type(mapped('DELTANODE_ERR_ABORTED'), api.AbortedError);
  t.type(mapped('DELTANODE_ERR_INVALID_ARGUMENT'), api.InvalidArgumentError);
  t.equal((mapped('DELTANODE_ERR_IO') as api.IoError).errno, 5);
  t.equal(mapped('DELTANODE_ERR_OUT_OF_MEMORY').code, 'DELTANODE_ERR_OUT_OF_MEMORY');
  t.equal(mapped('SOMETHING_ELSE').code, 'DELTANODE_ERR_INTERNAL');
  t.equal(api.fromNativeError('plain').message, 'plain');
  const typed = new api.AbortedError();
  t.equal(api.fromNativeError(typed), typed, 'typed errors pass through');
});

t.test('invalid options are refused before any work', async (t) => {
  const data = Buffer.from('data');
  await t.rejects(api.signatureBuffer(data, { format: 'zip' as never }), api.InvalidArgumentError);
  await t.rejects(api.signatureBuffer(data, { blockLength: -1 }), api.InvalidArgumentError);
  await t.rejects(api.signatureBuffer(data, { blockLength: 2 ** 29 }), api.InvalidArgumentError);
  await t.rejects(api.signatureBuffer(data, { strongLength: 17 }), api.InvalidArgumentError);
  await t.rejects(api.signatureBuffer(data, { strongLength: 1.5 }), api.InvalidArgumentError);
  await t.rejects(api.signatureBuffer(data, { format: 'librsync', strongHash: 'xxh3' }), api.InvalidArgumentError);
  await t.rejects(api.signatureBuffer('text' as never), api.InvalidArgumentError);
  t.throws(() => api.createDeltaStream('sig' as never), api.InvalidArgumentError);
  t.throws(() => api.createPatchStream(Buffer.alloc(1), { outputChunkSize: 0 }), api.InvalidArgumentError);
  t.throws(() => api.hash('sha1' as never, data), api.InvalidArgumentError);
  t.throws(() => api.hash('blake3', 'x' as never), api.InvalidArgumentError);
});

t.test('hashes match their reference values', async (t) => {
  t.equal(api.hash('blake3', Buffer.from('abc')).toString('hex'),
    '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
  t.equal(api.hash('md4', Buffer.from('abc')).toString('hex'), 'a448017aaf21d8525fc10ae87aa6729d');
  t.equal(api.hash('blake2b-256', Buffer.alloc(0)).toString('hex'),
    '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
  t.equal(api.hash('xxh3-128', Buffer.alloc(0)).toString('hex'), '99aa06d3014798d86001c324468d497f');
});

t.test('a failed addon load explains how to fix it', async (t) => {
  t.match(explainLoadFailure(new Error('No native build was found for platform=linux')), /npm rebuild deltanode/);
  t.match(explainLoadFailure(new Error('was compiled against a different Node.js version using NODE_MODULE_VERSION 99')),
    /built for another Node\.js/);
  t.match(explainLoadFailure(new Error("version `GLIBCXX_3.4.32' not found")), /newer C\/C\+\+ runtime/);
  t.match(explainLoadFailure('odd'), /Reason: odd/);
  // No compiled binary: node-gyp-build looks for a prebuild, and finds none.
  const asked: string[] = [];
  const { nativeAddon } = await t.mockImport<typeof import('../src/engine/native.js')>('../src/engine/native.js', {
    'node:fs': { existsSync: () => false },
    'node:module': {
      createRequire: () => (id: string) => {
        asked.push(id);
        if (id !== 'node-gyp-build') throw new Error(`unexpected require of ${id}`);
        return () => {
          throw new Error('No native build was found for platform=linux arch=x64');
        };
      },
    },
  });
  t.throws(() => nativeAddon(), { code: 'DELTANODE_ERR_NATIVE_LOAD', message: /Build it from source/ });
  t.same(asked, ['node-gyp-build'], 'the prebuild search is the fallback');
});
