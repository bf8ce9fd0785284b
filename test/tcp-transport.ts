// The TCP transport over loopback: framing, limits, backpressure, timeouts, closing, listeners.
// Raw `net` sockets stand in for peers that break the rules.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { AbortedError, InvalidArgumentError, LinkClosedError, ProtocolError, TimeoutError, TransportError } from '../src/errors.js';
import { connectFirst, parseAddress, TcpTransport, type TcpLink, type TcpTransportOptions } from '../src/transport/tcp.js';
import type { Link, Transport } from '../src/transport/transport.js';

/** The links a listener accepted, in order. */
function acceptor() {
  const links: TcpLink[] = [];
  const waiting: Array<(link: TcpLink) => void> = [];
  return {
    onLink: (link: TcpLink) => {
      const wake = waiting.shift();
      if (wake) wake(link);
      else links.push(link);
    },
    next: () => new Promise<TcpLink>((resolve) => {
      const link = links.shift();
      if (link) resolve(link);
      else waiting.push(resolve);
    }),
  };
}

async function linkPair(t: Test, options: TcpTransportOptions = {}, address = '127.0.0.1:0') {
  const transport = new TcpTransport(options);
  const accepted = acceptor();
  const listener = await transport.listen(address, accepted.onLink);
  const client = await transport.connect(listener.address);
  const server = await accepted.next();
  t.teardown(async () => {
    await within(Promise.all([client.close(), server.close(), listener.close()]), 'closing the pair');
  });
  return { transport, listener, client, server, accepted };
}

function reader(link: Link) {
  return link.frames()[Symbol.asyncIterator]();
}

async function nextFrame(frames: AsyncIterator<Uint8Array>): Promise<Buffer> {
  const { value, done } = await within(frames.next(), 'a frame');
  if (done) throw new Error('the frames ended');
  return Buffer.from(value);
}

/** The promise's value, or a failure when it takes longer than `ms` (a link that waits for ever fails the test, soon). */
async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a promise rejects with: it must reject, and soon (a link that waits for ever is a failure too). */
async function rejection(promise: Promise<unknown>, ms = 10_000): Promise<Error> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it did not settle within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, late]);
  } catch (error) {
    return error as Error;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('it did not reject');
}

function header(length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length, 0);
  return bytes;
}

function wire(payload: string): Buffer {
  return Buffer.concat([header(Buffer.byteLength(payload)), Buffer.from(payload)]);
}

/** A transport listening on loopback, its accepted links in order; the listener closes at the test's end. */
async function listening(t: Test, options: TcpTransportOptions = {}) {
  const transport = new TcpTransport(options);
  const accepted = acceptor();
  const listener = await transport.listen('127.0.0.1:0', accepted.onLink);
  t.teardown(() => listener.close());
  return { transport, accepted, listener };
}

async function rawConnect(t: Test, address: string, options: net.SocketConstructorOpts = {}): Promise<net.Socket> {
  const socket = new net.Socket(options);
  socket.on('error', () => undefined);
  t.teardown(() => void socket.destroy());
  socket.connect(parseAddress(address));
  await once(socket, 'connect');
  return socket;
}

// once() would reject on the 'error' (a reset) that comes before the close.
function closedOf(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

async function refusedAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

async function eventually(condition: () => boolean, ms = 2000): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await delay(10)) if (condition()) return true;
  return condition();
}

const openSockets = () => process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;

// A child that listens with a backlog of 1 and then blocks its event loop, so it never accepts:
// once the kernel's queue is full, further SYNs are dropped and a connect neither opens nor fails.
// Blocked, it cannot run its SIGTERM handler: it is killed with SIGKILL, and gives up by itself
// after a minute should this test die first.
const NEVER_ACCEPTS = `
const server = require('node:net').createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  require('node:fs').writeSync(1, server.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
  process.exit(0);
});`;

/** An address whose connects hang, or null when this system refuses them instead. */
async function unansweredAddress(t: Test): Promise<string | null> {
  const child = spawn(process.execPath, ['-e', NEVER_ACCEPTS], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(async () => {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  });
  const [data] = await once(child.stdout, 'data') as [Buffer];
  const port = Number(String(data).trim());
  for (let attempt = 0; attempt < 16; attempt++) {
    const probe = net.connect({ host: '127.0.0.1', port });
    probe.on('error', () => undefined);
    t.teardown(() => void probe.destroy());
    const opened = await Promise.race([once(probe, 'connect').then(() => true, () => null), delay(300).then(() => false)]);
    if (opened === null) return null;
    if (!opened) return `127.0.0.1:${port}`;
  }
  return null;
}

async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

t.test('many frames keep their order and content, both ways at once', async (t) => {
  const { client, server, listener } = await linkPair(t);
  t.equal(client.remoteAddress, listener.address, "the client's remote is the listener");
  t.match(server.remoteAddress, /^127\.0\.0\.1:\d+$/);
  const count = 2000;
  const frameFor = (index: number, side: number) => {
    const frame = Buffer.alloc(4 + ((index * 37) % 3000), (index + side) & 0xff);
    frame.writeUInt32BE(index, 0);
    return frame;
  };
  const pump = async (from: TcpLink, side: number) => {
    for (let index = 0; index < count; index++) await from.send(frameFor(index, side));
  };
  const drain = async (to: TcpLink, side: number) => {
    const frames = reader(to);
    let wrong = 0;
    for (let index = 0; index < count; index++) if (!(await nextFrame(frames)).equals(frameFor(index, side))) wrong++;
    return wrong;
  };
  const [, , wrongAtServer, wrongAtClient] = await within(Promise.all([pump(client, 0), pump(server, 1), drain(server, 0), drain(client, 1)]), 'the exchange');
  t.equal(wrongAtServer, 0, 'every client frame arrived as sent, in order');
  t.equal(wrongAtClient, 0, 'every server frame arrived as sent, in order');
});

t.test('frames up to maxFrame pass both ways; a bigger one is refused and the link goes on', async (t) => {
  const { client, server } = await linkPair(t);
  t.equal(client.maxFrame, (4 << 20) + 64, 'the default leaves 64 bytes over 4 MiB for layers above');
  const up = randomBytes(client.maxFrame);
  const down = randomBytes(client.maxFrame - 1);
  const fromClient = reader(server);
  const fromServer = reader(client);
  const [, , gotUp, gotDown] = await within(Promise.all([client.send(up), server.send(down), nextFrame(fromClient), nextFrame(fromServer)]), 'the exchange');
  t.ok(gotUp.equals(up), 'a frame of exactly maxFrame bytes');
  t.ok(gotDown.equals(down), 'and one just under it, the other way');
  const error = await rejection(client.send(new Uint8Array(client.maxFrame + 1)));
  t.type(error, TransportError);
  t.match(error.message, /4194369 bytes is over the link's 4194368/);
  await client.send(Buffer.from('after'));
  t.equal(String(await nextFrame(fromClient)), 'after', 'the refused frame sent nothing');
});

t.test('zero-length frames are keepalives: never sent by send(), never delivered', async (t) => {
  const { accepted, listener } = await listening(t, { keepaliveMs: 30 });
  const raw = await rawConnect(t, listener.address);
  const link = await accepted.next();
  t.teardown(() => link.close());
  const error = await rejection(link.send(new Uint8Array(0)));
  t.type(error, TransportError);
  t.match(error.message, /zero-length/);
  raw.write(Buffer.concat([header(0), header(0), wire('abc'), header(0), wire('d')]));
  const frames = reader(link);
  t.equal(String(await nextFrame(frames)), 'abc', 'the keepalives before it are not frames');
  t.equal(String(await nextFrame(frames)), 'd');
  const started = Date.now();
  const [keepalive] = await within(once(raw, 'data'), 'a keepalive') as [Buffer];
  t.ok(keepalive.length >= 4 && keepalive.length % 4 === 0 && keepalive.every((byte) => byte === 0), 'the link sends four zero bytes');
  t.ok(Date.now() - started < 2000, 'soon after it last sent');
});

t.test('a reader that does not read makes send() wait, and memory stays bounded', async (t) => {
  // The idle timeout is shorter than the stall: a paused link must not count its own silence.
  const { client, server } = await linkPair(t, { highWaterMarkBytes: 256 << 10, keepaliveMs: 40, idleTimeoutMs: 200 });
  const total = 64;
  const size = 1 << 20;
  let sent = 0;
  const sending = (async () => {
    for (let index = 0; index < total; index++) {
      await client.send(Buffer.alloc(size, index & 0xff));
      sent++;
    }
  })();
  await delay(500);
  const stalled = sent;
  await delay(300);
  t.equal(sent, stalled, 'no send completes while the reader sleeps');
  t.ok(stalled < 24, `the sender waits after ${stalled} MiB (socket buffers and the high-water mark), not after all ${total}`);
  const frames = reader(server);
  let wrong = 0;
  for (let index = 0; index < total; index++) {
    const frame = await nextFrame(frames);
    if (frame.length !== size || frame[0] !== (index & 0xff) || frame[size - 1] !== (index & 0xff)) wrong++;
  }
  await within(sending, 'the sends');
  t.equal(wrong, 0, 'everything arrives, in order, once the reader reads');
});

t.test('a peer that announces a frame over maxFrame fails the link at once', async (t) => {
  const { accepted, listener } = await listening(t, { maxFrame: 1024 });
  for (const length of [1025, 0xffff_ffff]) {
    const raw = await rawConnect(t, listener.address);
    const link = await accepted.next();
    const closed = closedOf(raw);
    // Only the length: the link must not wait for (or keep) the payload to refuse it.
    raw.write(header(length));
    const error = await rejection(reader(link).next());
    t.type(error, ProtocolError, `${length} bytes announced`);
    t.match(error.message, new RegExp(`${length} bytes, over the link's 1024`));
    await closed;
    t.pass('the socket is dropped');
    t.type(await rejection(link.send(Uint8Array.of(1))), ProtocolError, 'send() fails with the same error');
    await link.close();
  }
});

t.test('frames split across reads, and several in one read, are put together', async (t) => {
  const { accepted, listener } = await listening(t);
  const raw = await rawConnect(t, listener.address, {});
  raw.setNoDelay(true);
  const link = await accepted.next();
  t.teardown(() => link.close());
  const frames = reader(link);
  const bytes = Buffer.concat([wire('hello'), wire('abc')]);
  for (const byte of bytes) {
    raw.write(Uint8Array.of(byte));
    await delay(2);
  }
  t.equal(String(await nextFrame(frames)), 'hello', 'byte by byte, the length too');
  t.equal(String(await nextFrame(frames)), 'abc');
  const three = Buffer.concat([wire('one'), wire('two'), wire('three')]);
  raw.write(three.subarray(0, 20));
  await delay(20);
  raw.write(three.subarray(20));
  t.same([String(await nextFrame(frames)), String(await nextFrame(frames)), String(await nextFrame(frames))], ['one', 'two', 'three']);
});

t.test('a flood of tiny frames queued before the reader reads comes out whole and in order', async (t) => {
  const { accepted, listener } = await listening(t);
  const raw = await rawConnect(t, listener.address);
  const link = await accepted.next();
  t.teardown(() => link.close());
  const count = 30_000;
  const flood = Buffer.alloc(count * 6);
  for (let index = 0; index < count; index++) {
    flood.writeUInt32BE(2, index * 6);
    flood.writeUInt16BE(index, index * 6 + 4);
  }
  raw.write(flood);
  await delay(200);
  const frames = reader(link);
  let wrong = 0;
  for (let index = 0; index < count; index++) if ((await nextFrame(frames)).readUInt16BE(0) !== index) wrong++;
  t.equal(wrong, 0, `${count} frames in order`);
  raw.write(wire('after'));
  t.equal(String(await nextFrame(frames)), 'after', 'and the link goes on');
});

t.test('a stream cut mid-frame fails frames(); a clean end at a boundary ends them', async (t) => {
  const { accepted, listener } = await listening(t);
  const cuts: Array<[string, Buffer]> = [
    ['inside a payload', Buffer.concat([header(10), Buffer.from('abc')])],
    ['inside a length', Buffer.from([0, 0])],
  ];
  for (const [where, bytes] of cuts) {
    const raw = await rawConnect(t, listener.address);
    const link = await accepted.next();
    raw.end(bytes);
    const error = await rejection(reader(link).next());
    t.type(error, TransportError, where);
    t.match(error.message, /cut mid-frame/);
    await link.close();
  }
  const raw = await rawConnect(t, listener.address);
  const link = await accepted.next();
  raw.on('data', () => undefined);
  raw.end(wire('last'));
  const frames = reader(link);
  t.equal(String(await nextFrame(frames)), 'last');
  t.same(await frames.next(), { value: undefined, done: true }, 'then the frames end');
  const error = await rejection(link.send(Uint8Array.of(1)));
  t.type(error, LinkClosedError, 'nothing can be sent to a peer that closed');
  t.match(error.message, /closed the link/);
  await link.close();
});

t.test('connect: refused, bad addresses, bad options, an address in use', async (t) => {
  const transport = new TcpTransport();
  const refused = await refusedAddress();
  const error = await rejection(transport.connect(refused));
  t.type(error, TransportError);
  t.match(error.message, refused, 'the message names the address');
  t.match(error.message, /ECONNREFUSED/, 'and the system code');
  t.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED', 'the cause is kept');
  for (const address of ['127.0.0.1', '::1:7000', '[::1]', '127.0.0.1:70000', '127.0.0.1:x', ':7000', '[example.com]:80', '127.0.0.1:0']) {
    t.type(await rejection(transport.connect(address)), InvalidArgumentError, address);
  }
  t.type(await rejection(transport.listen('nowhere', () => undefined)), InvalidArgumentError);
  for (const options of [{ maxFrame: 0 }, { maxFrame: 2 ** 32 }, { keepaliveMs: 1.5 }, { idleTimeoutMs: -1 }, { connectTimeoutMs: Number.NaN },
    { highWaterMarkBytes: 0 }]) {
    t.throws(() => new TcpTransport(options), InvalidArgumentError, JSON.stringify(options));
  }
  const listener = await transport.listen('127.0.0.1:0', () => undefined);
  t.teardown(() => listener.close());
  const inUse = await rejection(transport.listen(listener.address, () => undefined));
  t.type(inUse, TransportError);
  t.match(inUse.message, new RegExp(`${listener.address}: EADDRINUSE`));
});

t.test('a connect that never completes times out; an abort stops it; either way the socket is destroyed', async (t) => {
  const address = await unansweredAddress(t);
  if (!address) {
    t.plan(0, 'this system refuses connections over a full backlog instead of leaving them hanging');
    return;
  }
  const before = openSockets();
  const quick = new TcpTransport({ connectTimeoutMs: 150 });
  let started = Date.now();
  const timedOut = await rejection(quick.connect(address));
  t.type(timedOut, TimeoutError);
  t.match(timedOut.message, new RegExp(`${address} timed out after 150 ms`));
  t.ok(Date.now() - started >= 140, 'after the connect timeout');
  t.ok(await eventually(() => openSockets() === before), 'its socket is destroyed');

  const patient = new TcpTransport({ connectTimeoutMs: 60_000 });
  const controller = new AbortController();
  started = Date.now();
  const connecting = patient.connect(address, { signal: controller.signal });
  await delay(50);
  t.equal(openSockets(), before + 1, 'the connect holds a socket while it waits');
  controller.abort();
  const aborted = await rejection(connecting);
  t.type(aborted, AbortedError);
  t.ok(Date.now() - started < 5000, 'at once, not after the timeout');
  t.ok(await eventually(() => openSockets() === before), 'its socket is destroyed');
  t.type(await rejection(patient.connect(address, { signal: AbortSignal.abort() })), AbortedError, 'an aborted signal opens nothing');

  // connectFirst: a hanging address costs its timeout, then the next one answers; an abort stops the list.
  const accepted = acceptor();
  const listener = await quick.listen('127.0.0.1:0', accepted.onLink);
  t.teardown(() => listener.close());
  const link = await connectFirst(quick, [address, listener.address]);
  t.equal(link.remoteAddress, listener.address);
  await Promise.all([link.close(), (await accepted.next()).close()]);
  const stopping = new AbortController();
  setTimeout(() => stopping.abort(), 50);
  t.type(await rejection(connectFirst(patient, [address, listener.address], { signal: stopping.signal })), AbortedError,
    'an abort is not tried on the next address');
});

t.test('connectFirst: the first address that opens; when none does, every reason', async (t) => {
  const { transport, accepted, listener } = await listening(t);
  const refused = await refusedAddress();
  const link = await connectFirst(transport, [refused, 'not an address', listener.address]);
  t.equal(link.remoteAddress, listener.address);
  const server = await accepted.next();
  await link.send(Buffer.from('hi'));
  t.equal(String(await nextFrame(reader(server))), 'hi', 'the link works');
  await Promise.all([link.close(), server.close()]);

  const error = await rejection(connectFirst(transport, [refused, 'not an address']));
  t.type(error, TransportError);
  t.match(error.message, new RegExp(`${refused}: ECONNREFUSED`));
  t.match(error.message, /"not an address" is not a host:port address/);
  t.equal((error.cause as AggregateError).errors.length, 2, 'each failure is kept');
  t.type(await rejection(connectFirst(transport, [])), InvalidArgumentError);
  t.type(await rejection(connectFirst(transport, [listener.address], { signal: AbortSignal.abort() })), AbortedError);

  // Any transport: a reason that does not name its address gets it; a thrown non-error is still a reason.
  const tried: string[] = [];
  const odd: Transport = {
    name: 'odd',
    connect: async (address) => {
      tried.push(address);
      if (address === 'a') throw new Error('no route');
      throw 'gone';
    },
    listen: async () => ({ address: '', close: async () => undefined }),
  };
  const oddError = await rejection(connectFirst(odd, ['a', 'b']));
  t.same(tried, ['a', 'b'], 'in order');
  t.equal(oddError.message, 'no address answered: a: no route; b: gone');
});

t.test('a silent peer fails the link after idleTimeoutMs', async (t) => {
  const { accepted, listener } = await listening(t, { idleTimeoutMs: 150, keepaliveMs: 50 });
  const raw = await rawConnect(t, listener.address);
  raw.on('data', () => undefined);
  const closed = closedOf(raw);
  const link = await accepted.next();
  const started = Date.now();
  const error = await rejection(reader(link).next());
  const elapsed = Date.now() - started;
  t.type(error, TimeoutError);
  t.match(error.message, /nothing came from 127\.0\.0\.1:\d+ for 150 ms/);
  t.ok(elapsed >= 140 && elapsed < 5000, `after the idle timeout (${elapsed} ms)`);
  t.type(await rejection(link.send(Uint8Array.of(1))), TimeoutError, 'send() fails with it too');
  await closed;
  t.pass('the silent peer is dropped');
  await link.close();
});

t.test('keepalives hold an idle link open past idleTimeoutMs', async (t) => {
  const { client, server } = await linkPair(t, { keepaliveMs: 25, idleTimeoutMs: 250 });
  const fromClient = reader(server);
  const fromServer = reader(client);
  const pendingAtServer = fromClient.next();
  const pendingAtClient = fromServer.next();
  let settled = 0;
  void pendingAtServer.then(() => settled++, () => settled++);
  void pendingAtClient.then(() => settled++, () => settled++);
  await delay(1000);
  t.equal(settled, 0, 'neither side failed in four idle timeouts of silence');
  await client.send(Buffer.from('still'));
  await server.send(Buffer.from('here'));
  t.equal(String(Buffer.from((await pendingAtServer).value!)), 'still');
  t.equal(String(Buffer.from((await pendingAtClient).value!)), 'here');
});

t.test('several links to one listener at once', async (t) => {
  const transport = new TcpTransport();
  const listener = await transport.listen('127.0.0.1:0', (link) => {
    void (async () => {
      for await (const frame of link.frames()) await link.send(Buffer.concat([Buffer.from('echo '), frame]));
    })().catch(() => undefined);
    t.teardown(() => link.close());
  });
  t.teardown(() => listener.close());
  const members = await Promise.all(Array.from({ length: 8 }, () => transport.connect(listener.address)));
  t.teardown(() => Promise.all(members.map((member) => member.close())));
  const answers = await Promise.all(members.map(async (member, index) => {
    await member.send(Buffer.from(`member ${index}`));
    return String(await nextFrame(reader(member)));
  }));
  t.same(answers, members.map((_, index) => `echo member ${index}`), 'each member gets its own answer');
});

t.test('closing a listener stops new links and keeps the open ones', async (t) => {
  const { listener, client, server } = await linkPair(t);
  const started = Date.now();
  await within(listener.close(), 'the listener close');
  t.ok(Date.now() - started < 1000, 'close() does not wait for the open links');
  const error = await rejection(new TcpTransport().connect(listener.address));
  t.match(error.message, /ECONNREFUSED/, 'nothing listens any more');
  await client.send(Buffer.from('ping'));
  t.equal(String(await nextFrame(reader(server))), 'ping');
  await server.send(Buffer.from('pong'));
  t.equal(String(await nextFrame(reader(client))), 'pong', 'the open link carries frames both ways');
  await listener.close();
  t.pass('a second close is harmless');
});

const ipv6Skip = (await hasIpv6Loopback()) ? false : 'no IPv6 loopback on this machine';
t.test('IPv6 loopback', { skip: ipv6Skip }, async (t) => {
  const { listener, client, server } = await linkPair(t, {}, '[::1]:0');
  t.match(listener.address, /^\[::1\]:\d+$/, 'the bound address is bracketed');
  t.equal(client.remoteAddress, listener.address);
  t.match(server.remoteAddress, /^\[::1\]:\d+$/);
  await client.send(Buffer.from('six'));
  t.equal(String(await nextFrame(reader(server))), 'six');
});

t.test('a clean close flushes what was sent, then ends both ways', async (t) => {
  // A small high-water mark and a slow reader: most frames are still on their way when close() is called.
  const { client, server } = await linkPair(t, { highWaterMarkBytes: 64 << 10 });
  const count = 100;
  const size = 64 << 10;
  const reading = (async () => {
    let received = 0;
    let wrong = 0;
    for await (const frame of server.frames()) {
      if (frame.length !== size || frame[0] !== received++ % 256) wrong++;
      await delay(1);
    }
    return { received, wrong };
  })();
  await within((async () => {
    for (let index = 0; index < count; index++) await client.send(Buffer.alloc(size, index % 256));
  })(), 'the sends');
  await within(client.close(), 'the close');
  t.same(await within(reading, 'the reading'), { received: count, wrong: 0 }, 'every frame arrives intact, then the frames end');
  const error = await rejection(client.send(Uint8Array.of(1)));
  t.type(error, LinkClosedError, 'send() after close');
  t.same(await reader(client).next(), { value: undefined, done: true }, "this side's frames end too");
  t.type(await rejection(server.send(Uint8Array.of(1))), LinkClosedError, 'the peer cannot send either');
});

t.test('close(error) resets the connection: the peer fails, this side ends', async (t) => {
  const { client, server } = await linkPair(t);
  const fromServer = reader(client);
  await server.close(new Error('bad peer'));
  const error = await rejection(fromServer.next());
  t.type(error, TransportError);
  t.match(error.message, /failed: ECONNRESET/);
  t.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNRESET', 'the socket error is kept');
  t.same(await reader(server).next(), { value: undefined, done: true });
  const closed = await rejection(server.send(Uint8Array.of(1)));
  t.type(closed, LinkClosedError);
  t.type(await rejection(client.send(Uint8Array.of(1))), TransportError, 'the failed side cannot send');
});

t.test('a send waiting on backpressure: released by a clean close, failed by close(error)', async (t) => {
  for (const error of [undefined, new Error('stop')]) {
    const { client, server } = await linkPair(t, { highWaterMarkBytes: 64 << 10 });
    const frame = Buffer.alloc(1 << 20);
    let waiting: Promise<void> | undefined;
    for (let index = 0; index < 64 && !waiting; index++) {
      const sending = client.send(frame);
      const done = await Promise.race([sending.then(() => true), delay(200).then(() => false)]);
      if (!done) waiting = sending;
    }
    if (!waiting) throw new Error('send() never waited');
    const closing = client.close(error);
    if (error) {
      t.type(await rejection(waiting), LinkClosedError, 'close(error): the waiting send fails');
    } else {
      await within(waiting, 'the waiting send');
      t.pass('close(): the waiting send resolves, its frame is still flushed');
      const received = await within((async () => {
        let frames = 0;
        for await (const _ of server.frames()) frames++;
        return frames;
      })(), 'the reading');
      t.ok(received >= 2, `the peer reads what was sent, then the end (${received} frames)`);
    }
    await within(closing, 'the close');
  }
});

t.test('a peer that never answers a close is cut after idleTimeoutMs; frames after the close are dropped', async (t) => {
  let peer: net.Socket | undefined;
  const raw = net.createServer({ allowHalfOpen: true }, (socket) => {
    peer = socket;
    socket.on('error', () => undefined);
    // The peer keeps talking after this side closed, and never ends its half.
    socket.on('end', () => socket.write(wire('late')));
    socket.resume();
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    peer?.destroy();
    raw.close();
  });
  const { port } = raw.address() as net.AddressInfo;
  const link = await new TcpTransport({ idleTimeoutMs: 200, keepaliveMs: 50 }).connect(`127.0.0.1:${port}`);
  const frames = reader(link);
  const started = Date.now();
  await within(link.close(), 'the close');
  const elapsed = Date.now() - started;
  t.ok(elapsed >= 150 && elapsed < 5000, `close() waited for the peer's end, then gave up (${elapsed} ms)`);
  t.same(await frames.next(), { value: undefined, done: true }, 'the late frame is not delivered');
});

t.test('a link has one reader', async (t) => {
  const { client } = await linkPair(t);
  const first = reader(client);
  void first.next().catch(() => undefined);
  t.type(await rejection(reader(client).next()), TransportError);
});
