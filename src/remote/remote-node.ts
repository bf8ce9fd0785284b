// A DataNode on the other end of a link: the same interface as a LocalDataNode, every call
// forwarded to the peer's serveNode. What comes back is checked (entries, order, sizes) before
// the session sees it.
import { ProtocolError } from '../errors.js';
import type { DataNode, EntryMetadata, ExpectedFile, FileFailure, FileRead, FileWrite, FileWriteResult, InventoryOptions, RemoveOptions, SignatureOptions, SourceSpec, WriteOptions, WriteOutcome,
  WriteSource } from '../node/data-node.js';
import type { InventoryEntry } from '../node/entries.js';
import type { NodeIdentity } from '../node/node-identity.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { RpcPeer } from '../protocol/rpc.js';
import type { Link } from '../transport/transport.js';
import { decodeBatch, encodeExpected, errorFromPeer, inPieces, wireBytes, wireCount, wireText } from './wire.js';

const signalOf = (signal: AbortSignal | undefined) => (signal ? { signal } : {});

async function* chunks(items: AsyncIterable<unknown> | null): AsyncGenerator<Buffer> {
  if (!items) throw new ProtocolError('the peer answered without the data stream');
  for await (const item of items) yield wireBytes(item, 'data chunk');
}

// One answer per item asked for: [true, ...] as `ok` reads it, or [false, code, message].
function answers<T>(result: unknown, count: number, ok: (item: unknown[]) => T): Array<T | FileFailure> {
  if (!Array.isArray(result) || result.length !== count) throw new ProtocolError(`expected ${count} answers`);
  return result.map((item: unknown) => {
    if (!Array.isArray(item)) throw new ProtocolError('a bad answer');
    if (item[0] === true) return ok(item);
    return { ok: false as const, code: wireText(item[1], 'error code', 64), message: wireText(item[2], 'error message') };
  });
}

export class RemoteDataNode implements DataNode {
  readonly name: string;
  readonly sources: readonly SourceSpec[];
  readonly #peer: RpcPeer;
  readonly #aliases: ReadonlySet<string>;

  private constructor(peer: RpcPeer, name: string, sources: SourceSpec[]) {
    this.#peer = peer;
    this.name = name;
    this.sources = sources;
    this.#aliases = new Set(sources.map((source) => source.alias));
  }

  /** Greets the node served at the other end of `link` and learns its name and sources. */
  static async connect(link: Link): Promise<RemoteDataNode> {
    const peer = new RpcPeer(link, {}, errorFromPeer);
    try {
      const { result } = await peer.call('hello', { version: PROTOCOL_VERSION });
      const hello = result as { name?: unknown; sources?: unknown };
      if (!Array.isArray(hello?.sources) || hello.sources.length === 0 || hello.sources.length > 1024) throw new ProtocolError('a bad hello');
      const sources = hello.sources.map((source: unknown) => {
        const { alias, readOnly } = (source ?? {}) as { alias?: unknown; readOnly?: unknown };
        const name = wireText(alias, 'source alias', 255);
        if (name === '' || name.includes('/') || name === '.' || name === '..') throw new ProtocolError('a bad source alias');
        return { alias: name, path: '', readOnly: readOnly === true };
      });
      return new RemoteDataNode(peer, wireText(hello.name, 'node name', 255), sources);
    } catch (error) {
      await peer.close();
      throw error;
    }
  }

  async identity(): Promise<NodeIdentity> {
    const { result } = await this.#peer.call('identity', {});
    const { id, name } = (result ?? {}) as { id?: unknown; name?: unknown };
    const text = wireText(id, 'node id', 64);
    if (!/^[0-9a-f]{32}$/.test(text)) throw new ProtocolError('a bad node id');
    return { id: text, name: wireText(name, 'node name', 255) };
  }

  async *inventory(options: InventoryOptions = {}): AsyncGenerator<InventoryEntry[]> {
    const { download } = await this.#peer.call('inventory', { hash: options.hash ?? 'quick' }, signalOf(options.signal));
    if (!download) throw new ProtocolError('the peer answered an inventory without entries');
    const order = { path: null as string | null };
    for await (const batch of download) yield decodeBatch(batch, this.#aliases, order);
  }

  async *read(path: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<Buffer> {
    const { download } = await this.#peer.call('read', { path }, signalOf(options.signal));
    yield* chunks(download);
  }

  async *signature(path: string, options: SignatureOptions = {}): AsyncGenerator<Buffer> {
    const call = { path, ...(options.partialOf ? { partialOf: options.partialOf } : {}) };
    const { download } = await this.#peer.call('signature', call, signalOf(options.signal));
    yield* chunks(download);
  }

  async readFiles(paths: readonly string[], options: { signal?: AbortSignal } = {}): Promise<FileRead[]> {
    const { result } = await this.#peer.call('readFiles', { paths }, signalOf(options.signal));
    return answers(result, paths.length, (item) => ({ ok: true, content: wireBytes(item[1], 'file content') }));
  }

  async writeFiles(files: readonly FileWrite[], options: WriteOptions = {}): Promise<FileWriteResult[]> {
    const call = { files: files.map((file) => [file.path, file.content, encodeExpected(file.expect)]), trash: options.trash !== false };
    const { result } = await this.#peer.call('writeFiles', call, signalOf(options.signal));
    return answers(result, files.length, (item) => ({ ok: true, outcome: { size: wireCount(item[1], 'written size'),
      replaced: item[2] === null ? null : wireText(item[2], 'trash path', 1 << 16) } }));
  }

  async partial(path: string, digest: Buffer): Promise<number> {
    const { result } = await this.#peer.call('partial', { path, digest });
    return wireCount(result, 'partial size');
  }

  async *delta(path: string, signature: Buffer, options: { signal?: AbortSignal } = {}): AsyncGenerator<Buffer> {
    const { download } = await this.#peer.call('delta', { path }, { upload: inPieces([signature]), ...signalOf(options.signal) });
    yield* chunks(download);
  }

  async write(path: string, source: WriteSource, expect: ExpectedFile, options: WriteOptions = {}): Promise<WriteOutcome> {
    const call = { path, kind: source.kind, expect: encodeExpected(expect), trash: options.trash !== false,
      ...(source.kind === 'local' ? { from: source.from } : {}), ...(source.kind === 'delta' && source.basis === 'partial' ? { basis: 'partial' } : {}) };
    const { result } = await this.#peer.call('write', call, { ...(source.kind !== 'local' ? { upload: inPieces(source.data) } : {}),
      ...signalOf(options.signal) });
    const { size, replaced } = (result ?? {}) as { size?: unknown; replaced?: unknown };
    return { size: wireCount(size, 'written size'), replaced: replaced === null ? null : wireText(replaced, 'trash path', 1 << 16) };
  }

  async setMetadata(path: string, metadata: EntryMetadata): Promise<void> {
    await this.#peer.call('setMetadata', { path, mode: metadata.mode, mtimeNs: metadata.mtimeNs });
  }

  async makeFolder(path: string, mode: number, options: WriteOptions = {}): Promise<void> {
    await this.#peer.call('makeFolder', { path, mode, trash: options.trash !== false });
  }

  async makeLink(path: string, target: string, options: WriteOptions = {}): Promise<void> {
    await this.#peer.call('makeLink', { path, target, trash: options.trash !== false });
  }

  async remove(path: string, options: RemoveOptions = {}): Promise<void> {
    await this.#peer.call('remove', { path, trash: options.trash !== false });
  }

  async close(): Promise<void> {
    await this.#peer.close();
  }
}
