// In-memory links and transport; the wire form of DataNode values and errors; a node's hello.
import t from 'tap';
import * as api from '../src/index.js';
import { ProtocolError } from '../src/errors.js';
import { RpcPeer } from '../src/protocol/rpc.js';
import { decodeEntry, decodeExpected, encodeEntry, encodeExpected, errorFromPeer } from '../src/remote/wire.js';
import { createMemoryLinkPair, MemoryTransport } from '../src/transport/memory.js';

t.test('memory links: order, backpressure, limits, closing', async (t) => {
  const [a, b] = createMemoryLinkPair({ highWaterMark: 2, maxFrame: 8 });
  let sent = 0;
  const sending = (async () => {
    for (let i = 0; i < 5; i++) {
      await a.send(Uint8Array.of(i));
      sent++;
    }
  })();
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(sent < 5, `send waits while the reader is behind (${sent} sent)`);
  const got: number[] = [];
  const reader = b.frames()[Symbol.asyncIterator]();
  for (let i = 0; i < 5; i++) got.push((await reader.next()).value![0]);
  await sending;
  t.same(got, [0, 1, 2, 3, 4], 'in order');
  await t.rejects(a.send(new Uint8Array(9)), { code: 'DELTANODE_ERR_TRANSPORT' }, 'a frame over the limit');
  await t.rejects(b.frames()[Symbol.asyncIterator]().next(), { code: 'DELTANODE_ERR_TRANSPORT' }, 'one reader per link');
  await a.close(new Error('gone'));
  await t.rejects(reader.next(), /gone/, 'the peer sees the error');
  await t.rejects(a.send(Uint8Array.of(1)), { code: 'DELTANODE_ERR_LINK_CLOSED' });
  const [c, d] = createMemoryLinkPair();
  await c.close();
  t.same(await d.frames()[Symbol.asyncIterator]().next(), { value: undefined, done: true }, 'a clean close ends the frames');
});

t.test('memory transport: listen, connect, addresses', async (t) => {
  const transport = new MemoryTransport();
  const accepted: api.Link[] = [];
  const listener = await transport.listen('node-b', (link) => accepted.push(link));
  t.equal(listener.address, 'node-b');
  await t.rejects(transport.listen('node-b', () => undefined), { code: 'DELTANODE_ERR_TRANSPORT' });
  const link = await transport.connect('node-b');
  t.equal(accepted.length, 1);
  await link.send(Uint8Array.of(7));
  t.same([...(await accepted[0]!.frames()[Symbol.asyncIterator]().next()).value!], [7]);
  await listener.close();
  await t.rejects(transport.connect('node-b'), { code: 'DELTANODE_ERR_TRANSPORT' }, 'nothing listens any more');
});

t.test('entries and expected files survive the wire; bad ones do not', async (t) => {
  const aliases = new Set(['data']);
  const entries: api.InventoryEntry[] = [
    { path: 'data/f', diskPath: '', type: 'file', size: 3, mtimeNs: 2n ** 62n, mode: 0o644, inode: 5n, device: 6n, digest: Buffer.alloc(32, 1),
      digestSource: 'cache', changedDuringScan: true, silentCorruption: true, collision: 'case' },
    { path: 'data/l', diskPath: '', type: 'symlink', size: 1, mtimeNs: 1n, mode: 0o777, inode: 1n, device: 1n, linkTarget: 'f', collision: 'normalization' },
    { path: 'data/x', diskPath: '', type: 'file', size: 0, mtimeNs: 0n, mode: 0, inode: 0n, device: 0n, error: { code: 'EACCES', message: 'no' } },
    { path: 'data', diskPath: '', type: 'folder', size: 0, mtimeNs: 1n, mode: 0o755, inode: 2n, device: 1n },
  ];
  for (const entry of entries) {
    t.same(decodeEntry(encodeEntry(entry), aliases), entry, entry.path);
  }
  const good = encodeEntry(entries[0]!);
  const bad: Array<[string, unknown]> = [
    ['a link target on a file', Object.assign([...good], { 7: 'x' })],
    ['a digest on a folder', Object.assign(encodeEntry(entries[3]!), { 8: new Uint8Array(32) })],
    ['a bad collision flag', Object.assign([...good], { 10: 'sideways' })],
    ['a bad entry error', Object.assign([...good], { 11: ['only code'] })],
    ['an unknown type', Object.assign([...good], { 1: 7 })],
    ['a fractional mtime', Object.assign([...good], { 3: 1.5 })],
    ['a huge size', Object.assign([...good], { 2: 2n ** 60n })],
    ['the wrong shape', good.slice(1)],
  ];
  for (const [what, value] of bad) t.throws(() => decodeEntry(value, aliases), ProtocolError, what);
  const expect = { digest: Buffer.alloc(32, 9), size: 10, mtimeNs: 123n, mode: 0o600 };
  t.same(decodeExpected(encodeExpected(expect)), expect);
  t.throws(() => decodeExpected([Buffer.alloc(31), 1, 1n, 0]), ProtocolError);
  t.throws(() => decodeExpected([Buffer.alloc(32), 1, 1n, 0o10000]), ProtocolError);
  t.throws(() => decodeExpected('nope'), ProtocolError);
});

t.test("a peer's errors keep their meaning", async (t) => {
  const codes: Array<[string, new (...args: never[]) => Error]> = [
    ['DELTANODE_ERR_READ_ONLY', api.ReadOnlyError], ['DELTANODE_ERR_UNSAFE_PATH', api.UnsafePathError],
    ['DELTANODE_ERR_DIGEST_MISMATCH', api.DigestMismatchError], ['DELTANODE_ERR_IO', api.IoError],
    ['DELTANODE_ERR_ABORTED', api.AbortedError], ['DELTANODE_ERR_INVALID_ARGUMENT', api.InvalidArgumentError],
    ['DELTANODE_ERR_BAD_SIGNATURE', api.BadSignatureError], ['DELTANODE_ERR_CORRUPT_DELTA', api.CorruptDeltaError],
    ['DELTANODE_ERR_STATE_BUSY', api.StateBusyError], ['DELTANODE_ERR_PROTOCOL', api.ProtocolError],
    ['DELTANODE_ERR_LINK_CLOSED', api.LinkClosedError], ['ENOENT', api.RemoteError],
  ];
  for (const [code, type] of codes) {
    const error = errorFromPeer(code, 'why');
    t.ok(error instanceof type, code);
    t.match(error.message, /^remote: why/);
  }
  t.equal((errorFromPeer('ENOENT', 'x') as api.RemoteError).remoteCode, 'ENOENT');
});

t.test('a hello or identity that breaks the rules is refused', async (t) => {
  const hellos: unknown[] = [
    { name: 'x', sources: [] },
    { name: 'x', sources: [{ alias: '../up' }] },
    { name: 'x', sources: [{ alias: '' }] },
    { name: 7, sources: [{ alias: 'data' }] },
    'not a map',
  ];
  for (const hello of hellos) {
    const [a, b] = createMemoryLinkPair();
    const server = new RpcPeer(b, { hello: async () => ({ result: hello }) });
    await t.rejects(api.RemoteDataNode.connect(a), ProtocolError, JSON.stringify(hello));
    await server.done;
  }
  const [a, b] = createMemoryLinkPair();
  const server = new RpcPeer(b, {
    hello: async () => ({ result: { name: 'x', sources: [{ alias: 'data', readOnly: true }] } }),
    identity: async () => ({ result: { id: 'not hex', name: 'x' } }),
  });
  const node = await api.RemoteDataNode.connect(a);
  t.same(node.sources, [{ alias: 'data', path: '', readOnly: true }]);
  await t.rejects(node.identity(), ProtocolError);
  await node.close();
  await server.done;
});
