// Fuzzing of what a peer controls on the wire, below the messages (whose decoder test/protocol.ts
// fuzzes): TCP framing from a raw socket, the handshake's first messages, and records after it.
// Every input ends as frames or a typed error, never a crash, a hang or an untyped error.
// Bounded here; DELTANODE_FUZZ_ROUNDS=N runs N times as many (the note records a long run).
import t from 'tap';
import net from 'node:net';
import { encode } from '@msgpack/msgpack';
import { DeltanodeError } from '../src/errors.js';
import { secureLink } from '../src/transport/handshake.js';
import { createMemoryLinkPair } from '../src/transport/memory.js';
import { SecureLink } from '../src/transport/secure-link.js';
import { loadSodium } from '../src/transport/sodium.js';
import { TcpTransport } from '../src/transport/tcp.js';
import { random } from './fixtures/helpers.js';
import { memberKeys, SECRET, SESSION_ID } from './fixtures/links.js';

const scale = Math.max(1, Number(process.env.DELTANODE_FUZZ_ROUNDS ?? 1));
const typed = (error: unknown) => error instanceof DeltanodeError;

function bytes(next: (max: number) => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = next(256);
  return out;
}

t.test('TCP framing: random and mutated byte streams from a raw socket', async (t) => {
  const next = random(7);
  const transport = new TcpTransport({ maxFrame: 1 << 16, idleTimeoutMs: 2000 });
  const outcomes = { frames: 0, errors: 0, clean: 0 };
  const untyped: string[] = [];
  const listener = await transport.listen('127.0.0.1:0', (link) => void (async () => {
    try {
      for await (const frame of link.frames()) {
        outcomes.frames++;
        if (frame.length > link.maxFrame) untyped.push(`a frame of ${frame.length} bytes over the limit`);
      }
      outcomes.clean++;
    } catch (error) {
      if (typed(error)) outcomes.errors++;
      else untyped.push(String(error));
    }
  })());
  const rounds = 150 * scale;
  for (let round = 0; round < rounds; round++) {
    // Well-formed frames, then damage: a random length, a cut, random bytes.
    const parts: Buffer[] = [];
    for (let i = next(5); i > 0; i--) {
      const payload = bytes(next, next(3000));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(payload.length);
      parts.push(header, payload);
    }
    const damage = next(4);
    if (damage === 0) parts.push(bytes(next, next(64)));
    if (damage === 1) parts.push(Buffer.from([next(256), next(256), next(256), next(256)]));
    let stream = Buffer.concat(parts);
    if (damage === 2 && stream.length > 0) stream = stream.subarray(0, next(stream.length));
    const socket = net.connect(Number(listener.address.split(':')[1]), '127.0.0.1');
    socket.on('error', () => undefined);  // the link resets a stream it refuses
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    // Written in random pieces, so frames and headers span reads.
    for (let at = 0; at < stream.length;) {
      const piece = 1 + next(2000);
      socket.write(stream.subarray(at, at + piece));
      at += piece;
    }
    socket.end();
    await closed;
  }
  // The last links settle within the idle timeout at most.
  const deadline = Date.now() + 5000;
  while (outcomes.clean + outcomes.errors < rounds && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await listener.close();
  t.same(untyped, [], 'every failure was a typed error');
  t.equal(outcomes.clean + outcomes.errors, rounds, `${rounds} streams: ${outcomes.frames} frames, ${outcomes.clean} clean ends, ${outcomes.errors} typed errors`);
  t.ok(outcomes.errors > rounds / 10 && outcomes.clean > rounds / 10, 'both outcomes happened');
});

t.test('the handshake: mutated and random first messages to a host', async (t) => {
  const next = random(11);
  const keys = await memberKeys('host');
  const ephemeral = (await loadSodium()).crypto_box_keypair().publicKey;
  const valid = encode(['deltanode-hello', 1, 1, SESSION_ID, ephemeral]);
  const untyped: string[] = [];
  let refused = 0;
  const rounds = 300 * scale;
  for (let round = 0; round < rounds; round++) {
    const [member, host] = createMemoryLinkPair();
    let frame: Uint8Array;
    if (round % 3 === 0) frame = bytes(next, next(80));
    else {
      frame = Uint8Array.from(valid);
      for (let k = 0; k <= next(3); k++) frame[next(frame.length)] = next(256);
      if (next(3) === 0) frame = frame.subarray(0, next(frame.length + 1));
    }
    const hosting = secureLink(host, { role: 'responder', sessionId: SESSION_ID, secret: SECRET, keys, protocolVersion: 1,
      checkPeer: () => undefined, timeoutMs: 1000 });
    if (frame.length > 0) await member.send(frame);
    await member.close();
    await hosting.then(() => untyped.push('a link from a mutated hello'), (error: unknown) => {
      if (typed(error)) refused++;
      else untyped.push(String(error));
    });
  }
  t.same(untyped, [], 'every failure was a typed error, and no mutated hello became a link');
  t.equal(refused, rounds, `${rounds} hellos refused`);
});

t.test('records: random frames after a handshake fail authentication, typed', async (t) => {
  const next = random(13);
  const sodium = await loadSodium();
  const rounds = 200 * scale;
  let refused = 0;
  const untyped: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const [a, b] = createMemoryLinkPair();
    const link = new SecureLink(b, b.frames()[Symbol.asyncIterator](), { sendKey: new Uint8Array(32).fill(1),
      receiveKey: new Uint8Array(32).fill(2), peer: { name: 'x', publicKey: new Uint8Array(32) }, sodium });
    await a.send(bytes(next, next(100)));
    await a.close();
    try {
      for await (const _frame of link.frames()) untyped.push('a random record was accepted');
      untyped.push('a random stream ended cleanly');
    } catch (error) {
      if (typed(error)) refused++;
      else untyped.push(String(error));
    }
  }
  t.same(untyped, []);
  t.equal(refused, rounds, `${rounds} random records refused`);
});
