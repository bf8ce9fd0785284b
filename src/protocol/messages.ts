// The messages of the DataNode protocol, one MessagePack array per frame. Every field of a
// message from a peer is checked here before anything acts on it; anything else is a
// ProtocolError. Bulk data travels as binary (never JSON or base64).
import { Encoder, decode } from '@msgpack/msgpack';
import { ProtocolError } from '../errors.js';

export const PROTOCOL_VERSION = 1;

/** Stream items a receiver may hold at once before the sender must wait for credit. */
export const INITIAL_CREDIT = 8;

export const Kind = {
  Request: 1,
  Result: 2,
  Failure: 3,
  Data: 4,
  End: 5,
  Abort: 6,
  Credit: 7,
  Cancel: 8,
  Stop: 9,
} as const;

export type Message =
  /** A call; `upload` names the stream of items the caller sends with it. */
  | { kind: typeof Kind.Request; id: number; method: string; params: unknown; upload: number | null }
  /** The call's answer; `download` names the stream of items that follows it. */
  | { kind: typeof Kind.Result; id: number; result: unknown; download: number | null }
  | { kind: typeof Kind.Failure; id: number; code: string; message: string }
  /** Stream items, from the sender of the stream to its receiver. */
  | { kind: typeof Kind.Data; stream: number; item: unknown }
  | { kind: typeof Kind.End; stream: number }
  /** The sender of a stream could not finish it. */
  | { kind: typeof Kind.Abort; stream: number; code: string; message: string }
  /** From the receiver of a stream: `count` more items may come. */
  | { kind: typeof Kind.Credit; stream: number; count: number }
  /** The caller gave up a call. */
  | { kind: typeof Kind.Cancel; id: number }
  /** The receiver of a stream wants no more of it. */
  | { kind: typeof Kind.Stop; stream: number };

const MAX_ID = 2 ** 32 - 1;
const MAX_TEXT = 4096;

export function encodeMessage(message: Message): Uint8Array {
  switch (message.kind) {
    case Kind.Request: return pack([message.kind, message.id, message.method, message.params, message.upload]);
    case Kind.Result: return pack([message.kind, message.id, message.result, message.download]);
    case Kind.Failure: return pack([message.kind, message.id, message.code, message.message.slice(0, MAX_TEXT)]);
    case Kind.Data: return pack([message.kind, message.stream, message.item]);
    case Kind.End: return pack([message.kind, message.stream]);
    case Kind.Abort: return pack([message.kind, message.stream, message.code, message.message.slice(0, MAX_TEXT)]);
    case Kind.Credit: return pack([message.kind, message.stream, message.count]);
    case Kind.Cancel: return pack([message.kind, message.id]);
    case Kind.Stop: return pack([message.kind, message.stream]);
  }
}

// One encoder for the process: its buffer grows once to the largest message (a batch of small files,
// up to 8 MiB) and is reused, where a fresh encoder per message started at 2 KiB and doubled ten
// times for each 2 MiB batch (a quarter of a second of the host's main thread per 100,000 files).
// encode() still returns a copy, so a message may be held while the next one is made.
const encoder = new Encoder({ useBigInt64: true, ignoreUndefined: true, initialBufferSize: 64 << 10 });
const pack = (value: unknown): Uint8Array => encoder.encode(value);

const isId = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID;
const isText = (value: unknown, max = MAX_TEXT): value is string => typeof value === 'string' && value.length <= max;

function id(value: unknown, what: string): number {
  if (!isId(value)) throw new ProtocolError(`${what} is not an id`);
  return value;
}

function optionalId(value: unknown, what: string): number | null {
  return value === null ? null : id(value, what);
}

function text(value: unknown, what: string, max = MAX_TEXT): string {
  if (!isText(value, max)) throw new ProtocolError(`${what} is not a string of at most ${max} characters`);
  return value;
}

/** Decodes and checks one frame from a peer. */
export function decodeMessage(frame: Uint8Array): Message {
  let value: unknown;
  try {
    value = decode(frame, { useBigInt64: true, maxStrLength: 1 << 20, maxBinLength: 64 << 20, maxArrayLength: 1 << 20, maxMapLength: 1 << 16 });
  } catch (cause) {
    throw new ProtocolError('a frame is not valid MessagePack', { cause });
  }
  if (!Array.isArray(value) || value.length < 2) throw new ProtocolError('a frame is not a message');
  const [kind, first, second, third, fourth] = value as unknown[];
  const length = value.length;
  const expect = (n: number) => {
    if (length !== n) throw new ProtocolError(`message ${String(kind)} has ${length} fields, not ${n}`);
  };
  switch (kind) {
    case Kind.Request:
      expect(5);
      return { kind, id: id(first, 'request id'), method: text(second, 'method', 64), params: third, upload: optionalId(fourth, 'upload stream') };
    case Kind.Result:
      expect(4);
      return { kind, id: id(first, 'result id'), result: second, download: optionalId(third, 'download stream') };
    case Kind.Failure:
      expect(4);
      return { kind, id: id(first, 'failure id'), code: text(second, 'error code', 64), message: text(third, 'error message') };
    case Kind.Data:
      expect(3);
      return { kind, stream: id(first, 'stream'), item: second };
    case Kind.End:
      expect(2);
      return { kind, stream: id(first, 'stream') };
    case Kind.Abort:
      expect(4);
      return { kind, stream: id(first, 'stream'), code: text(second, 'error code', 64), message: text(third, 'error message') };
    case Kind.Credit: {
      expect(3);
      const count = id(second, 'credit');
      if (count === 0 || count > 1024) throw new ProtocolError('credit out of range');
      return { kind, stream: id(first, 'stream'), count };
    }
    case Kind.Cancel:
      expect(2);
      return { kind, id: id(first, 'request id') };
    case Kind.Stop:
      expect(2);
      return { kind, stream: id(first, 'stream') };
    default:
      throw new ProtocolError(`unknown message kind ${String(kind)}`);
  }
}
