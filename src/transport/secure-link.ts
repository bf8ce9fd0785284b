// The record layer over any Link once the handshake agreed on keys: every frame is one AEAD
// record, [type byte][ciphertext + tag], the type authenticated as associated data. Nonces are
// per-direction counters that both ends count, never sent: a replayed, dropped or reordered
// record fails authentication. The sender moves to a new key (a hash of the old one) before a
// key has sealed 2^20 records or 16 GiB, and says so in a record of its own. A clean end is a
// final record; a link that ends without one was cut short.
import { decode, encode } from '@msgpack/msgpack';
import { AeadKey } from '../engine/aead.js';
import { DeltanodeError, errorForCode, HandshakeError, IntegrityError, LinkClosedError, ProtocolError, TransportError } from '../errors.js';
import { FrameBuffers } from './frame-buffers.js';
import type { PeerIdentity } from './handshake.js';
import type { SodiumApi } from './sodium.js';
import type { Link } from './transport.js';

const Record = { Data: 0, Rekey: 1, Final: 2, Abort: 3, Accept: 4, Refuse: 5 } as const;

const OVERHEAD = 1 + AeadKey.TAG_BYTES;
const REKEY_RECORDS = 1 << 20;
const REKEY_BYTES = 16 * 2 ** 30;

// One direction's key, counter and nonce.
class Direction {
  #raw: Uint8Array;
  #key: AeadKey;
  readonly #sodium: SodiumApi;
  readonly nonce = Buffer.alloc(AeadKey.NONCE_BYTES);
  records = 0;
  bytes = 0;
  #disposed = false;

  readonly #rekeyRecords: number;

  constructor(raw: Uint8Array, sodium: SodiumApi, rekeyRecords: number) {
    this.#raw = raw;
    this.#rekeyRecords = rekeyRecords;
    this.#sodium = sodium;
    this.#key = new AeadKey(raw);
  }

  get key(): AeadKey {
    return this.#key;
  }

  // Counters stay far below 2^32 (a rekey resets them), so the nonce's top bytes stay zero.
  advance(length: number): void {
    this.records++;
    this.bytes += length;
    this.nonce.writeUInt32BE(this.records, 8);
  }

  get due(): boolean {
    return this.records >= this.#rekeyRecords - 1 || this.bytes >= REKEY_BYTES;
  }

  rekey(): void {
    const next = this.#sodium.crypto_generichash(32, 'deltanode rekey', this.#raw);
    this.#key.dispose();
    this.#sodium.memzero(this.#raw);
    this.#raw = next;
    this.#key = new AeadKey(next);
    this.records = 0;
    this.bytes = 0;
    this.nonce.fill(0);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#key.dispose();
    this.#sodium.memzero(this.#raw);
  }
}

export interface SecureLinkKeys {
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  peer: PeerIdentity;
  sodium: SodiumApi;
  rekeyRecords?: number;
}

export class SecureLink implements Link {
  readonly maxFrame: number;
  /** The member at the other end, as its identity signed it. */
  readonly peer: PeerIdentity;
  readonly #inner: Link;
  readonly #incoming: AsyncIterator<Uint8Array>;
  readonly #send: Direction;
  readonly #receive: Direction;
  readonly #buffers = new FrameBuffers();
  #closed = false;
  #reading = false;

  constructor(inner: Link, incoming: AsyncIterator<Uint8Array>, keys: SecureLinkKeys) {
    this.#inner = inner;
    this.#incoming = incoming;
    this.maxFrame = inner.maxFrame - OVERHEAD;
    this.peer = keys.peer;
    const rekeyRecords = Math.max(2, Math.min(keys.rekeyRecords ?? REKEY_RECORDS, REKEY_RECORDS));
    this.#send = new Direction(keys.sendKey, keys.sodium, rekeyRecords);
    this.#receive = new Direction(keys.receiveKey, keys.sodium, rekeyRecords);
  }

  // Seals and hands one record to the inner link in the same turn, so concurrent senders keep
  // the order of the counter.
  #record(type: number, payload: Uint8Array): Promise<void> {
    const direction = this.#send;
    const { buffer: sealed, release } = this.#buffers.take(OVERHEAD + payload.length);
    sealed[0] = type;
    direction.key.seal(direction.nonce, sealed.subarray(0, 1), payload, sealed.subarray(1));
    direction.advance(payload.length);
    const sent = this.#inner.send(sealed, release);
    if (type === Record.Data && direction.due) {
      const notice = Buffer.allocUnsafe(OVERHEAD);
      notice[0] = Record.Rekey;
      direction.key.seal(direction.nonce, notice.subarray(0, 1), new Uint8Array(0), notice.subarray(1));
      direction.rekey();
      return Promise.all([sent, this.#inner.send(notice)]).then(() => undefined);
    }
    return sent;
  }

  async send(frame: Uint8Array): Promise<void> {
    if (this.#closed) throw new LinkClosedError('the link is closed');
    if (frame.length > this.maxFrame) throw new TransportError(`a frame of ${frame.length} bytes is over the link's ${this.maxFrame}`);
    await this.#record(Record.Data, frame);
  }

  // The next record, opened: its type and plaintext.
  async #next(): Promise<{ type: number; payload: Buffer } | null> {
    const { value, done } = await this.#incoming.next();
    if (done) return null;
    if (value.length < OVERHEAD) throw new IntegrityError('a record shorter than its tag');
    const direction = this.#receive;
    let payload: Buffer;
    try {
      // The received frame is ours alone: decrypted where it lies.
      payload = direction.key.openInPlace(direction.nonce, value.subarray(0, 1), value.subarray(1));
    } catch (cause) {
      throw new IntegrityError('a record failed authentication: it was altered, replayed, reordered or dropped on the way', { cause });
    }
    direction.advance(payload.length);
    return { type: value[0]!, payload };
  }

  async *frames(): AsyncGenerator<Uint8Array> {
    if (this.#reading) throw new TransportError('a link has one reader');
    this.#reading = true;
    try {
      for (;;) {
        const record = await this.#next();
        if (!record) {
          if (this.#closed) return;  // we closed it: nothing more was expected
          throw new IntegrityError('the link ended without its final record: the stream was cut short');
        }
        switch (record.type) {
          case Record.Data:
            yield record.payload;
            break;
          case Record.Rekey:
            this.#receive.rekey();
            break;
          case Record.Final: {
            const after = await this.#incoming.next();
            if (!after.done) throw new IntegrityError('a record after the final one');
            return;
          }
          case Record.Abort:
            throw new LinkClosedError(`the peer closed the link: ${peerText(record.payload)}`);
          default:
            throw new ProtocolError(`a record of unknown type ${record.type}`);
        }
      }
    } catch (error) {
      // A link that carried something it should not is not used again.
      if (error instanceof IntegrityError || error instanceof ProtocolError) await this.#inner.close(error).catch(() => undefined);
      throw error;
    } finally {
      this.#receive.dispose();
    }
  }

  async close(error?: Error): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const sent = error
      ? this.#record(Record.Abort, encode(error.message.slice(0, 1024)))
      : this.#record(Record.Final, new Uint8Array(0));
    this.#send.dispose();
    if (!this.#reading) this.#receive.dispose();
    await sent.catch(() => undefined);
    await this.#inner.close(error);
  }

  /** Handshake, responder side: the member is accepted. */
  async accept(): Promise<void> {
    await this.#record(Record.Accept, new Uint8Array(0));
  }

  /** Handshake, responder side: the member is refused; the link is closed. */
  async refuse(reason: DeltanodeError): Promise<void> {
    this.#closed = true;
    await this.#record(Record.Refuse, encode([reason.code, reason.message.slice(0, 1024)])).catch(() => undefined);
    this.#send.dispose();
    this.#receive.dispose();
    await this.#inner.close().catch(() => undefined);
  }

  /** Handshake, initiator side: waits for the responder's verdict. */
  async expectAccepted(): Promise<void> {
    const record = await this.#next().catch((error: unknown) => {
      throw error instanceof IntegrityError ? new HandshakeError('the host\'s answer failed authentication', { cause: error }) : error;
    });
    if (record?.type === Record.Accept && record.payload.length === 0) return;
    if (record?.type === Record.Refuse) {
      const [code, message] = decodeRefusal(record.payload);
      const text = `the host refused this member: ${message}`;
      throw code === 'DELTANODE_ERR_IDENTITY' ? errorForCode(code, text)! : new HandshakeError(text);
    }
    throw new HandshakeError(record ? 'the host did not accept or refuse' : 'the host closed the link before accepting');
  }
}

function peerText(payload: Uint8Array): string {
  try {
    const text = decode(payload, { maxStrLength: 1024 });
    if (typeof text === 'string') return text;
  } catch {
    // an unreadable reason is still a closed link
  }
  return 'no reason given';
}

function decodeRefusal(payload: Uint8Array): [string, string] {
  try {
    const value = decode(payload, { maxStrLength: 1024, maxArrayLength: 2 });
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // fall through: a refusal without a readable reason
  }
  return ['DELTANODE_ERR_HANDSHAKE', 'no reason given'];
}
