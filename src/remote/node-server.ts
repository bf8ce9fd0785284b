// Serves a DataNode over a link: every call a peer makes is checked (its parameters here, its
// paths by the node itself) before the node acts, and the node's own rules (read-only sources,
// safe paths) hold whoever asks.
import { ProtocolError } from '../errors.js';
import { BATCH_FILE_LIMIT, type DataNode, type WriteSource } from '../node/data-node.js';
import type { HashPolicy } from '../node/entries.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { type Handler, RpcPeer } from '../protocol/rpc.js';
import type { Link } from '../transport/transport.js';
import { decodeExpected, encodeEntry, errorFromPeer, inPieces, wireBigInt, wireBytes, wireMode, wireText } from './wire.js';

// Files per batch call a peer may send or ask for.
const MAX_BATCH = 4096;

// A signature is held in memory for the delta search; a peer may not ask for more than this.
const MAX_SIGNATURE = 512 << 20;

function params(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('call parameters must be a map');
  return value as Record<string, unknown>;
}

const pathOf = (value: Record<string, unknown>) => wireText(value.path, 'path', 1 << 16);

async function* bytes(items: AsyncIterable<unknown> | null, what: string): AsyncGenerator<Buffer> {
  if (!items) throw new ProtocolError(`${what} needs an upload`);
  for await (const item of items) yield wireBytes(item, `${what} chunk`);
}

async function collect(items: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of items) {
    length += part.length;
    if (length > limit) throw new ProtocolError(`an upload over ${limit} bytes`);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

async function* batches(node: DataNode, hash: HashPolicy, signal: AbortSignal): AsyncGenerator<unknown> {
  for await (const batch of node.inventory({ hash, signal })) yield batch.map(encodeEntry);
}

/** Answers `link`'s calls with `node` until the link ends. */
export function serveNode(node: DataNode, link: Link): RpcPeer {
  const handlers: Record<string, Handler> = {
    hello: async (value) => {
      const { version } = params(value);
      if (version !== PROTOCOL_VERSION) {
        throw new ProtocolError(`this node speaks protocol version ${PROTOCOL_VERSION}, the peer ${String(version)}: update the older deltanode`);
      }
      return { result: { version: PROTOCOL_VERSION, name: node.name,
        sources: node.sources.map((source) => ({ alias: source.alias, readOnly: source.readOnly === true })) } };
    },
    identity: async () => ({ result: await node.identity() }),
    inventory: async (value, { signal }) => {
      const { hash } = params(value);
      if (hash !== 'none' && hash !== 'quick' && hash !== 'full') throw new ProtocolError('a bad hash policy');
      return { download: batches(node, hash, signal) };
    },
    read: async (value, { signal }) => ({ download: inPieces(node.read(pathOf(params(value)), { signal })) }),
    signature: async (value, { signal }) => {
      const call = params(value);
      return { download: inPieces(node.signature(pathOf(call), { signal, ...(call.partialOf !== undefined ? { partialOf: wireBytes(call.partialOf, 'digest', 32) } : {}) })) };
    },
    readFiles: async (value, { signal }) => {
      const { paths } = params(value);
      if (!Array.isArray(paths) || paths.length > MAX_BATCH) throw new ProtocolError(`readFiles takes at most ${MAX_BATCH} paths`);
      const read = await node.readFiles(paths.map((item) => wireText(item, 'path', 1 << 16)), { signal });
      return { result: read.map((item) => (item.ok ? [true, item.content] : [false, item.code, item.message])) };
    },
    writeFiles: async (value, { signal }) => {
      const call = params(value);
      if (!Array.isArray(call.files) || call.files.length > MAX_BATCH) throw new ProtocolError(`writeFiles takes at most ${MAX_BATCH} files`);
      const files = call.files.map((item: unknown) => {
        if (!Array.isArray(item) || item.length !== 3) throw new ProtocolError('a bad file of a batch');
        const content = wireBytes(item[1], 'file content');
        if (content.length > BATCH_FILE_LIMIT) throw new ProtocolError(`a file of a batch over ${BATCH_FILE_LIMIT} bytes`);
        return { path: wireText(item[0], 'path', 1 << 16), content, expect: decodeExpected(item[2]) };
      });
      const written = await node.writeFiles(files, { signal, trash: call.trash !== false });
      return { result: written.map((item) => (item.ok ? [true, item.outcome.size, item.outcome.replaced] : [false, item.code, item.message])) };
    },
    partial: async (value) => {
      const call = params(value);
      return { result: await node.partial(pathOf(call), wireBytes(call.digest, 'digest', 32)) };
    },
    delta: async (value, { upload, signal }) => {
      const path = pathOf(params(value));
      const signature = await collect(bytes(upload, 'delta'), MAX_SIGNATURE);
      return { download: inPieces(node.delta(path, signature, { signal })) };
    },
    write: async (value, { upload, signal }) => {
      const call = params(value);
      const expect = decodeExpected(call.expect);
      let source: WriteSource;
      if (call.kind === 'local') source = { kind: 'local', from: wireText(call.from, 'local source', 1 << 16) };
      else if (call.kind === 'content') source = { kind: 'content', data: bytes(upload, 'write') };
      else if (call.kind === 'delta') source = { kind: 'delta', data: bytes(upload, 'write'), basis: call.basis === 'partial' ? 'partial' : 'current' };
      else throw new ProtocolError('a bad write kind');
      return { result: await node.write(pathOf(call), source, expect, { signal, trash: call.trash !== false }) };
    },
    setMetadata: async (value) => {
      const call = params(value);
      await node.setMetadata(pathOf(call), { mode: wireMode(call.mode), mtimeNs: wireBigInt(call.mtimeNs, 'mtime') });
      return {};
    },
    makeFolder: async (value) => {
      const call = params(value);
      await node.makeFolder(pathOf(call), wireMode(call.mode), { trash: call.trash !== false });
      return {};
    },
    makeLink: async (value) => {
      const call = params(value);
      await node.makeLink(pathOf(call), wireText(call.target, 'link target'), { trash: call.trash !== false });
      return {};
    },
    remove: async (value) => {
      const call = params(value);
      await node.remove(pathOf(call), { trash: call.trash !== false });
      return {};
    },
  };
  return new RpcPeer(link, handlers, errorFromPeer);
}
