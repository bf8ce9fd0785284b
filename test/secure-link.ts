// The handshake and the record layer over memory links, with a proxy in the middle that lies:
// a wrong secret, versions, refusals, tampering, replay, drops, truncation, rekeying, timeouts.
import t from 'tap';
import { encode } from '@msgpack/msgpack';
import { createMemoryLinkPair } from '../src/transport/memory.js';
import { secureLink } from '../src/transport/handshake.js';
import { IdentityError } from '../src/errors.js';
import { FrameBuffers } from '../src/transport/frame-buffers.js';
import { TcpTransport } from '../src/transport/tcp.js';
import type { Link } from '../src/transport/transport.js';
import { collect, handshakePair, memberKeys, proxiedPair, SECRET, SESSION_ID } from './fixtures/links.js';

const flip = (frame: Uint8Array, at: number) => {
  const copy = Uint8Array.from(frame);
  copy[at % copy.length]! ^= 1;
  return copy;
};

t.test('a handshake authenticates both ends; records flow both ways and end cleanly', async (t) => {
  const { initiator, responder } = await handshakePair();
  const a = initiator.link!;
  const b = responder.link!;
  t.equal(a.peer.name, 'host');
  t.equal(b.peer.name, 'joiner');
  t.equal(a.maxFrame, (4 << 20) - 17, 'a record costs a type byte and a tag');
  const frames = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(1 << 20, 7), Buffer.from('last')];
  const received = collect(b);
  const back = collect(a);
  await b.send(Buffer.from('reply'));
  for (const frame of frames) await a.send(frame);
  await a.close();
  t.same((await received).map((f) => f.toString('hex')), frames.map((f) => f.toString('hex')), 'in order, intact, ended by the final record');
  t.same((await back).map(String), ['reply'], 'the other way too');
  await t.rejects(a.send(Buffer.from('x')), { code: 'DELTANODE_ERR_LINK_CLOSED' });
  await t.rejects(a.send(Buffer.alloc(a.maxFrame + 1)), { code: 'DELTANODE_ERR_LINK_CLOSED' });
  await b.close();
});

t.test('a frame over the limit is refused before it is sealed', async (t) => {
  const { initiator, responder } = await handshakePair();
  await t.rejects(initiator.link!.send(Buffer.alloc(initiator.link!.maxFrame + 1)), { code: 'DELTANODE_ERR_TRANSPORT' });
  await initiator.link!.close();
  await responder.link!.close();
});

t.test('a wrong secret fails the handshake on both ends, with nothing delivered', async (t) => {
  const { initiator, responder } = await handshakePair({ secret: new Uint8Array(24).fill(8) });
  t.match(initiator.error, { code: 'DELTANODE_ERR_HANDSHAKE', message: /secret/ });
  t.ok(responder.error, 'the host does not admit the member');
  t.equal(initiator.link, null);
});

t.test('incompatible versions and unknown sessions get clear errors at join', async (t) => {
  const versions = await handshakePair({ protocolVersion: 2 });
  t.match(versions.initiator.error, { code: 'DELTANODE_ERR_VERSION', message: /update the older deltanode/ });
  t.match(versions.responder.error, { code: 'DELTANODE_ERR_VERSION' });
  const session = await handshakePair({ sessionId: new Uint8Array(16).fill(1) });
  t.match(session.initiator.error, { code: 'DELTANODE_ERR_HANDSHAKE', message: /no such session/ });
  await t.rejects(secureLink(createMemoryLinkPair()[0], { role: 'initiator', sessionId: new Uint8Array(3), secret: SECRET,
    keys: await memberKeys('x'), protocolVersion: 1, checkPeer: () => undefined }), { code: 'DELTANODE_ERR_HANDSHAKE' });
  await t.rejects(secureLink(createMemoryLinkPair()[0], { role: 'initiator', sessionId: SESSION_ID, secret: new Uint8Array(8),
    keys: await memberKeys('x'), protocolVersion: 1, checkPeer: () => undefined }), { code: 'DELTANODE_ERR_HANDSHAKE' });
});

t.test('either end can refuse the other\'s identity, and the other learns why', async (t) => {
  const byHost = await handshakePair({}, { checkPeer: () => {
    throw new IdentityError('joiner is not pinned');
  } });
  t.match(byHost.initiator.error, { code: 'DELTANODE_ERR_IDENTITY', message: /refused this member: joiner is not pinned/ });
  t.match(byHost.responder.error, { code: 'DELTANODE_ERR_IDENTITY' });
  const byMember = await handshakePair({ checkPeer: (peer) => {
    throw new IdentityError(`${peer.name} is not the host the code names`);
  } });
  t.match(byMember.initiator.error, { code: 'DELTANODE_ERR_IDENTITY' });
  t.match(byMember.responder.error, { code: 'DELTANODE_ERR_IDENTITY', message: /host is not the host the code names/ });
  const plain = await handshakePair({}, { checkPeer: () => {
    throw new Error('no reason');
  } });
  t.match(plain.initiator.error, { code: 'DELTANODE_ERR_IDENTITY' }, 'any refusal counts as an identity refusal');
});

t.test('checkPeer is given the name the peer signed', async (t) => {
  const seen: string[] = [];
  const { initiator } = await handshakePair({ checkPeer: (peer) => void seen.push(peer.name) });
  t.same(seen, ['host']);
  t.ok(initiator.link);
  await initiator.link!.close();
});

t.test('a tampered handshake never becomes a link', async (t) => {
  for (const [label, toResponder, toInitiator] of [
    ['hello from the member', (f: Uint8Array, i: number) => [i === 0 ? flip(f, f.length - 3) : f], undefined],
    ['identity of the member', (f: Uint8Array, i: number) => [i === 1 ? flip(f, f.length - 5) : f], undefined],
    ['hello of the host', undefined, (f: Uint8Array, i: number) => [i === 0 ? flip(f, f.length - 5) : f]],
    ['acceptance', undefined, (f: Uint8Array, i: number) => [i === 1 ? flip(f, 3) : f]],
    ['not msgpack', (f: Uint8Array, i: number) => [i === 0 ? Uint8Array.of(0xc1) : f], undefined],
    ['a short hello', (f: Uint8Array, i: number) => [i === 0 ? encode(['deltanode-hello', 1]) : f], undefined],
  ] as const) {
    const { initiator, responder } = await handshakePair({}, {}, proxiedPair(toResponder, toInitiator));
    t.ok(initiator.error, `${label}: the member fails`);
    t.match(initiator.error, { code: /DELTANODE_ERR_(HANDSHAKE|LINK_CLOSED)/ }, label);
    if (responder.link) await responder.link.close();
  }
});

t.test('altered, replayed, dropped and reordered records are errors, never data', async (t) => {
  // Frames toward the responder: 0 hello, 1 identity, then records.
  const cases: Array<[string, (f: Uint8Array, i: number) => Uint8Array[]]> = [
    ['a bit flipped in the ciphertext', (f, i) => [i === 3 ? flip(f, 5) : f]],
    ['a bit flipped in the tag', (f, i) => [i === 3 ? flip(f, f.length - 1) : f]],
    ['the type byte changed', (f, i) => [i === 3 ? Uint8Array.from([2, ...f.subarray(1)]) : f]],
    ['a record replayed', (f, i) => (i === 3 ? [f, f] : [f])],
    ['a record dropped', (f, i) => (i === 3 ? [] : [f])],
    ['a record cut short', (f, i) => [i === 3 ? f.subarray(0, 10) : f]],
  ];
  let reorderHeld: Uint8Array | null = null;
  cases.push(['two records swapped', (f, i) => {
    if (i === 3) {
      reorderHeld = f;
      return [];
    }
    return i === 4 ? [f, reorderHeld!] : [f];
  }]);
  for (const [label, tamper] of cases) {
    const { initiator, responder } = await handshakePair({}, {}, proxiedPair(tamper));
    const received = collect(responder.link!);
    for (const text of ['one', 'two', 'three', 'four']) await initiator.link!.send(Buffer.from(text)).catch(() => undefined);
    await initiator.link!.close();
    const error = await received.then(() => null, (e: Error) => e);
    t.match(error, { code: 'DELTANODE_ERR_INTEGRITY' }, label);
  }
});

t.test('a stream cut without its final record is reported as truncated', async (t) => {
  const { initiator, responder } = await handshakePair({}, {}, proxiedPair((f, i) => (i === 4 ? 'cut' : [f])));
  const received: string[] = [];
  const reading = (async () => {
    for await (const frame of responder.link!.frames()) received.push(Buffer.from(frame).toString());
  })();
  for (const text of ['one', 'two', 'three']) await initiator.link!.send(Buffer.from(text)).catch(() => undefined);
  await t.rejects(reading, { code: 'DELTANODE_ERR_INTEGRITY', message: /cut short/ });
  t.same(received, ['one', 'two'], 'what came before the cut was authentic and delivered');
  await initiator.link!.close();
});

t.test('records after the final one, unknown record types and aborts', async (t) => {
  const after = await handshakePair({}, {}, proxiedPair((f, i) => (i === 2 ? [f, f] : [f])));
  const reading = collect(after.responder.link!);
  await after.initiator.link!.close();
  await t.rejects(reading, { code: 'DELTANODE_ERR_INTEGRITY' }, 'a replayed final record');

  const aborted = await handshakePair();
  const abortedReading = collect(aborted.responder.link!);
  await aborted.initiator.link!.close(new Error('disk full'));
  await t.rejects(abortedReading, { code: 'DELTANODE_ERR_LINK_CLOSED', message: /disk full/ }, 'the reason of an abort reaches the peer');
});

t.test('keys change before their limit, in step on both ends', async (t) => {
  const { initiator, responder } = await handshakePair({ rekeyRecords: 4 }, { rekeyRecords: 4 });
  const received = collect(responder.link!);
  const sent: string[] = [];
  for (let i = 0; i < 50; i++) {
    sent.push(`record ${i}`);
    await initiator.link!.send(Buffer.from(sent[i]!));
  }
  await initiator.link!.close();
  t.same((await received).map(String), sent, '50 records over 13 keys');
  await responder.link!.close();
});

t.test('a handshake that does not finish times out; an aborted one stops', async (t) => {
  const [near] = createMemoryLinkPair();
  const started = Date.now();
  await t.rejects(secureLink(near, { role: 'initiator', sessionId: SESSION_ID, secret: SECRET, keys: await memberKeys('x'), protocolVersion: 1,
    checkPeer: () => undefined, timeoutMs: 200 }), { code: 'DELTANODE_ERR_TIMEOUT' });
  t.ok(Date.now() - started < 2000);
  const controller = new AbortController();
  const [other] = createMemoryLinkPair();
  const pending = secureLink(other, { role: 'responder', sessionId: SESSION_ID, secret: SECRET, keys: await memberKeys('x'), protocolVersion: 1,
    checkPeer: () => undefined, signal: controller.signal });
  controller.abort();
  await t.rejects(pending, { code: 'DELTANODE_ERR_ABORTED' });
  const [closed, far] = createMemoryLinkPair();
  await far.close();
  await t.rejects(secureLink(closed, { role: 'responder', sessionId: SESSION_ID, secret: SECRET, keys: await memberKeys('x'), protocolVersion: 1,
    checkPeer: () => undefined }), { code: 'DELTANODE_ERR_HANDSHAKE', message: /closed the link during the handshake/ });
});

t.test('record buffers are reused only once the link has written them', async (t) => {
  const pool = new FrameBuffers(3 << 20);
  t.equal(pool.take(1000).release, undefined, 'a small record is not tracked');
  const first = pool.take(1 << 20);
  const second = pool.take(1 << 20);
  t.not(first.buffer.buffer, second.buffer.buffer, 'two records in flight never share memory');
  first.release!();
  t.equal(pool.take(1 << 20).buffer.buffer, first.buffer.buffer, 'a written one is taken again');
  t.not(pool.take(1 << 20).buffer.buffer, second.buffer.buffer, 'one still in flight is not');
  for (let i = 0; i < 4; i++) pool.take(1 << 20).release!();
  t.ok(pool.freeBytes <= 3 << 20, 'free memory stays under its limit');

  // Over TCP with a reader that starts late, records queue in the socket: a buffer reused before the
  // kernel had it would reach the peer altered and fail authentication.
  const transport = new TcpTransport();
  let accepted!: (link: Link) => void;
  const arrived = new Promise<Link>((resolve) => { accepted = resolve; });
  const listener = await transport.listen('127.0.0.1:0', (link) => accepted(link));
  const links: [Link, Link] = [await transport.connect(listener.address), await arrived];
  const { initiator, responder } = await handshakePair({}, {}, links);
  const frames = Array.from({ length: 48 }, (_, i) => Buffer.alloc(512 << 10, i));
  const sending = (async () => {
    for (const frame of frames) await initiator.link!.send(frame);
    await initiator.link!.close();
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const received = await collect(responder.link!);
  await sending;
  t.equal(received.length, frames.length);
  t.ok(received.every((frame, i) => frame.length === 512 << 10 && frame.every((byte) => byte === i)), 'every record arrived as sent');
  await responder.link!.close();
  await listener.close();
});
