// The DataNode protocol: the frame decoder under random and mutated input, calls and streams
// with flow control, and peers that lie (bad entries, broken order, credit overrun, old version).
import t from 'tap';
import { encode } from '@msgpack/msgpack';
import { ProtocolError } from '../src/errors.js';
import { decodeMessage, encodeMessage, INITIAL_CREDIT, Kind, type Message, PROTOCOL_VERSION } from '../src/protocol/messages.js';
import { MAX_SERVED_CALLS, RpcPeer } from '../src/protocol/rpc.js';
import { RemoteDataNode } from '../src/remote/remote-node.js';
import { encodeEntry } from '../src/remote/wire.js';
import { createMemoryLinkPair } from '../src/transport/memory.js';
import { random } from './fixtures/helpers.js';

const samples: Message[] = [
  { kind: Kind.Request, id: 1, method: 'read', params: { path: 'a/b' }, upload: null },
  { kind: Kind.Request, id: 2, method: 'write', params: { path: 'a/b', big: 2n ** 60n }, upload: 3 },
  { kind: Kind.Result, id: 1, result: { ok: true }, download: 4 },
  { kind: Kind.Failure, id: 2, code: 'DELTANODE_ERR_IO', message: 'no' },
  { kind: Kind.Data, stream: 4, item: new Uint8Array([1, 2, 3]) },
  { kind: Kind.End, stream: 4 },
  { kind: Kind.Abort, stream: 4, code: 'X', message: 'y' },
  { kind: Kind.Credit, stream: 4, count: 4 },
  { kind: Kind.Cancel, id: 9 },
  { kind: Kind.Stop, stream: 4 },
];

t.test('every message survives a round trip', async (t) => {
  for (const message of samples) t.same(decodeMessage(encodeMessage(message)), message, `kind ${message.kind}`);
});

t.test('the decoder turns any input into a message or a ProtocolError (fuzz)', async (t) => {
  const next = random(42);
  let decoded = 0;
  let refused = 0;
  const frames = samples.map(encodeMessage);
  for (let i = 0; i < 20000; i++) {
    let frame: Uint8Array;
    if (i % 2 === 0) {
      frame = new Uint8Array(next(64));
      for (let j = 0; j < frame.length; j++) frame[j] = next(256);
    } else {
      frame = Uint8Array.from(frames[i % frames.length]!);
      for (let k = 0; k <= next(3); k++) if (frame.length > 0) frame[next(frame.length)] = next(256);
      if (next(4) === 0) frame = frame.subarray(0, next(frame.length + 1));
    }
    try {
      decodeMessage(frame);
      decoded++;
    } catch (error) {
      if (!(error instanceof ProtocolError)) t.fail(`not a ProtocolError: ${String(error)} for ${Buffer.from(frame).toString('hex')}`);
      refused++;
    }
  }
  t.ok(decoded > 100 && refused > 1000, `${decoded} decoded, ${refused} refused`);
  for (const bad of [[99, 1], [Kind.Credit, 1, 0], [Kind.Credit, 1, 5000], [Kind.Request, -1, 'm', null, null], [Kind.Request, 1, 'x'.repeat(65), null, null],
    [Kind.End, 1, 2], 'not an array', [Kind.Data]]) {
    t.throws(() => decodeMessage(encode(bad)), ProtocolError, JSON.stringify(bad));
  }
});

t.test('calls, uploads and downloads with flow control; cancellation; unknown methods', async (t) => {
  const [a, b] = createMemoryLinkPair();
  let inFlight = 0;
  let most = 0;
  const server = new RpcPeer(b, {
    echo: async (params) => ({ result: params }),
    count: async (_params, { upload }) => {
      let n = 0;
      for await (const item of upload!) n += (item as Uint8Array).length;
      return { result: n };
    },
    numbers: async () => ({
      download: (async function* () {
        for (let i = 0; i < 200; i++) {
          inFlight++;
          most = Math.max(most, inFlight);
          yield i;
        }
      })(),
    }),
    slow: (_params, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')))),
  });
  const client = new RpcPeer(a);
  t.same((await client.call('echo', { x: [1, 'two'] })).result, { x: [1, 'two'] });
  const upload = (async function* () {
    for (let i = 0; i < 50; i++) yield new Uint8Array(1000);
  })();
  t.equal((await client.call('count', {}, { upload })).result, 50_000);
  const { download } = await client.call('numbers', {});
  const seen: unknown[] = [];
  for await (const item of download!) {
    inFlight--;
    seen.push(item);
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.equal(seen.length, 200);
  t.ok(most <= INITIAL_CREDIT + 2, `the sender stayed within its credit (${most} ahead at most)`);
  await t.rejects(client.call('nothing', {}), { code: 'DELTANODE_ERR_REMOTE', remoteCode: 'DELTANODE_ERR_PROTOCOL' });
  const controller = new AbortController();
  const slow = client.call('slow', {}, { signal: controller.signal });
  controller.abort();
  await t.rejects(slow, { code: 'DELTANODE_ERR_ABORTED' });
  t.same((await client.call('echo', 'still works')).result, 'still works', 'the link survives a cancelled call');
  await client.close();
  await server.done;
  await t.rejects(client.call('echo', 1), { code: 'DELTANODE_ERR_LINK_CLOSED' });
});

t.test('a peer that sends past its credit loses the link', async (t) => {
  const [a, b] = createMemoryLinkPair();
  const server = new RpcPeer(b, { take: async (_params, { upload }) => {
    await new Promise((resolve) => setTimeout(resolve, 50));  // consume nothing meanwhile
    for await (const _item of upload!) { /* drain */ }
    return {};
  } });
  await a.send(encodeMessage({ kind: Kind.Request, id: 1, method: 'take', params: {}, upload: 1 }));
  for (let i = 0; i <= INITIAL_CREDIT; i++) await a.send(encodeMessage({ kind: Kind.Data, stream: 1, item: i })).catch(() => undefined);
  await server.done;
  const frames = a.frames()[Symbol.asyncIterator]();
  await t.rejects(frames.next(), { code: 'DELTANODE_ERR_PROTOCOL' }, 'the link was closed with the reason');
});

t.test('a flood of calls or tiny messages costs the flooder its link, not our memory', async (t) => {
  const [a, b] = createMemoryLinkPair({ highWaterMark: 1 << 16 });
  let started = 0;
  const server = new RpcPeer(b, { wait: async (_params, { signal }) => {
    started++;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return {};
  } });
  // Credit and cancels for streams and calls that are not open are dropped at no cost.
  for (let i = 0; i < 20_000; i++) await a.send(encodeMessage(i % 2 ? { kind: Kind.Credit, stream: 99, count: 1 } : { kind: Kind.Cancel, id: 7 }));
  for (let id = 1; id <= MAX_SERVED_CALLS + 1; id++) {
    await a.send(encodeMessage({ kind: Kind.Request, id, method: 'wait', params: {}, upload: null })).catch(() => undefined);
  }
  await server.done;
  t.equal(started, MAX_SERVED_CALLS, 'calls up to the limit were served; the one past it closed the link');
  const frames = a.frames()[Symbol.asyncIterator]();
  await t.rejects(frames.next(), { code: 'DELTANODE_ERR_PROTOCOL', message: /calls open at once/ });
});

// A fake node server whose inventory says whatever the test wants.
async function lyingNode(batches: unknown[], version = PROTOCOL_VERSION) {
  const [a, b] = createMemoryLinkPair();
  const server = new RpcPeer(b, {
    hello: async () => ({ result: { version, name: 'liar', sources: [{ alias: 'data', readOnly: false }] } }),
    inventory: async () => ({ download: (async function* () { yield* batches; })() }),
  });
  return { node: await RemoteDataNode.connect(a), server };
}

const entry = (path: string, extra: object = {}) => encodeEntry({ path, diskPath: '', type: 'file', size: 1, mtimeNs: 1n, mode: 0o644,
  inode: 1n, device: 1n, digest: Buffer.alloc(32), ...extra });

t.test('a peer\'s inventory is checked before the session sees it', async (t) => {
  const cases: Array<[string, unknown[]]> = [
    ['a path with ..', [[entry('data/../etc/passwd')]]],
    ['an absolute path', [[entry('/etc/passwd')]]],
    ['an unknown source', [[entry('other/x')]]],
    ['a path not in NFC', [[entry('data/Cafe\u0301')]]],
    ['paths out of order', [[entry('data/b'), entry('data/a')]]],
    ['order broken across batches', [[entry('data/b')], [entry('data/a')]]],
    ['a short digest', [[[...entry('data/x').slice(0, 8), new Uint8Array(3), ...entry('data/x').slice(9)]]]],
    ['a negative size', [[[...entry('data/x').slice(0, 2), -1, ...entry('data/x').slice(3)]]]],
    ['a mode past 0o7777', [[[...entry('data/x').slice(0, 4), 0o70000, ...entry('data/x').slice(5)]]]],
    ['not a batch', ['nonsense']],
  ];
  for (const [what, batches] of cases) {
    const { node, server } = await lyingNode(batches);
    const collected = (async () => {
      for await (const _batch of node.inventory()) { /* consume */ }
    })();
    await t.rejects(collected, ProtocolError, what);
    await node.close();
    await server.done;
  }
  const { node, server } = await lyingNode([[entry('data/a'), entry('data/b')]]);
  const good: string[] = [];
  for await (const batch of node.inventory()) good.push(...batch.map((e) => e.path));
  t.same(good, ['data/a', 'data/b'], 'an honest inventory passes');
  await node.close();
  await server.done;
});

t.test('members of incompatible versions get a clear error at join', async (t) => {
  const [a, b] = createMemoryLinkPair();
  const { serveNode } = await import('../src/remote/node-server.js');
  const { LocalDataNode } = await import('../src/node/local-node.js');
  const local = new LocalDataNode({ name: 'n', sources: [{ alias: 'data', path: t.testdir() }], stateFolder: t.testdir() });
  const server = serveNode(local, b);
  const client = new RpcPeer(a);
  await t.rejects(client.call('hello', { version: PROTOCOL_VERSION + 1 }), /speaks protocol version 1, the peer 2: update the older deltanode/);
  await client.close();
  await server.done;
  await local.close();
});

t.test('a peer\'s batch calls are checked before the node acts', async (t) => {
  const [a, b] = createMemoryLinkPair();
  const { serveNode } = await import('../src/remote/node-server.js');
  const { LocalDataNode } = await import('../src/node/local-node.js');
  const dir = t.testdir({ data: { f: 'x' }, state: {} });
  const root = `${dir}/data`;
  const local = new LocalDataNode({ name: 'n', sources: [{ alias: 'data', path: root }], stateFolder: `${dir}/state` });
  const server = serveNode(local, b);
  const client = new RpcPeer(a);
  const refused = { code: 'DELTANODE_ERR_REMOTE', remoteCode: 'DELTANODE_ERR_PROTOCOL' };
  const expect = [Buffer.alloc(32), 1, 0n, 0o644];
  await t.rejects(client.call('readFiles', { paths: 'data/f' }), refused, 'paths must be a list');
  await t.rejects(client.call('readFiles', { paths: Array.from({ length: 5000 }, () => 'data/f') }), refused, 'at most 4096');
  await t.rejects(client.call('readFiles', { paths: [7] }), refused, 'paths are text');
  await t.rejects(client.call('writeFiles', { files: [['data/g', Buffer.from('g')]] }), refused, 'a file is [path, content, expect]');
  await t.rejects(client.call('writeFiles', { files: [['data/g', 'not bytes', expect]] }), refused, 'content is binary');
  await t.rejects(client.call('writeFiles', { files: [['data/g', Buffer.alloc((1 << 20) + 1), expect]] }), refused, 'at most 1 MiB a file');
  await t.rejects(client.call('writeFiles', { files: [['data/g', Buffer.from('g'), [Buffer.alloc(3), 1, 0n, 0o644]]] }), refused, 'a 32-byte digest');
  const { result } = await client.call('writeFiles', { files: [['data/../g', Buffer.from('g'), expect], ['data/h', Buffer.from('h'), expect]] });
  t.same((result as unknown[][]).map((item) => item[1]), ['DELTANODE_ERR_UNSAFE_PATH', 'DELTANODE_ERR_DIGEST_MISMATCH'], 'each file fails alone');
  const { readdirSync } = await import('node:fs');
  t.same(readdirSync(root).filter((name) => name !== '.deltanode'), ['f'], 'nothing was written');
  await client.close();
  await server.done;
  await local.close();
});
