// DataNode values on the wire, and their checks: what a peer sends is untrusted, so every field
// is checked (types, ranges, sizes, path safety, order) before a session sees it.
import { errorForCode, ProtocolError, RemoteError } from '../errors.js';
import type { ExpectedFile } from '../node/data-node.js';
import type { EntryType, InventoryEntry } from '../node/entries.js';
import { comparePaths, isSafeInventoryPath } from '../node/paths.js';

/** The largest piece of bulk data in one stream item (a frame holds it with room to spare). */
export const BULK_PIECE = 1 << 20;

/** Bulk data as it goes on the wire: a chunk of any size leaves in pieces of at most BULK_PIECE. */
export async function* inPieces(data: Iterable<Buffer> | AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of data) {
    if (chunk.length <= BULK_PIECE) yield chunk;
    else for (let at = 0; at < chunk.length; at += BULK_PIECE) yield chunk.subarray(at, at + BULK_PIECE);
  }
}

const TYPES: readonly EntryType[] = ['file', 'folder', 'symlink'];
const MAX_LINK = 4096;

const FLAG_CHANGED = 1;
const FLAG_CORRUPT = 2;
const FLAG_FROM_CACHE = 4;

type WireEntry = [string, number, number, bigint, number, bigint, bigint, string | null, Uint8Array | null, number,
  string | null, [string, string] | null];

export function encodeEntry(entry: InventoryEntry): WireEntry {
  const flags = (entry.changedDuringScan ? FLAG_CHANGED : 0) | (entry.silentCorruption ? FLAG_CORRUPT : 0) |
    (entry.digestSource === 'cache' ? FLAG_FROM_CACHE : 0);
  return [entry.path, TYPES.indexOf(entry.type), entry.size, entry.mtimeNs, entry.mode, entry.inode, entry.device,
    entry.linkTarget ?? null, entry.digest ?? null, flags, entry.collision ?? null,
    entry.error ? [entry.error.code, entry.error.message] : null];
}

const fail = (what: string): never => {
  throw new ProtocolError(`a peer sent ${what}`);
};

export function wireBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return fail(`a non-integer ${what}`);
}

export function wireCount(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return fail(`a bad ${what}`);
}

/** Permission bits: 0 to 0o7777. */
export function wireMode(value: unknown): number {
  const mode = wireCount(value, 'mode');
  return mode <= 0o7777 ? mode : fail('a bad mode');
}

export function wireBytes(value: unknown, what: string, length?: number): Buffer {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) return fail(`a bad ${what}`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function wireText(value: unknown, what: string, max = 4096): string {
  if (typeof value !== 'string' || value.length > max) return fail(`a bad ${what}`);
  return value;
}

/** Checks one entry of a peer's inventory; its path must be in one of `aliases`. */
export function decodeEntry(value: unknown, aliases: ReadonlySet<string>): InventoryEntry {
  if (!Array.isArray(value) || value.length !== 12) return fail('an inventory entry of the wrong shape');
  const [path, type, size, mtimeNs, mode, inode, device, linkTarget, digest, flags, collision, error] = value as unknown[];
  const text = wireText(path, 'path', 1 << 16);
  if (!isSafeInventoryPath(text) || !aliases.has(text.split('/')[0]!)) fail(`an unsafe inventory path ${JSON.stringify(text)}`);
  const kind = TYPES[typeof type === 'number' ? type : -1] ?? fail('an unknown entry type');
  const modeBits = wireMode(mode);
  const flagBits = wireCount(flags, 'flags');
  const entry: InventoryEntry = { path: text, diskPath: '', type: kind, size: wireCount(size, 'size'), mtimeNs: wireBigInt(mtimeNs, 'mtime'),
    mode: modeBits, inode: wireBigInt(inode, 'inode'), device: wireBigInt(device, 'device') };
  if (linkTarget !== null) {
    if (kind !== 'symlink') fail('a link target on something that is not a link');
    entry.linkTarget = wireText(linkTarget, 'link target', MAX_LINK);
  }
  if (digest !== null) {
    if (kind !== 'file') fail('a digest on something that is not a file');
    entry.digest = wireBytes(digest, 'digest', 32);
    entry.digestSource = flagBits & FLAG_FROM_CACHE ? 'cache' : 'hashed';
  }
  if (flagBits & FLAG_CHANGED) entry.changedDuringScan = true;
  if (flagBits & FLAG_CORRUPT) entry.silentCorruption = true;
  if (collision !== null) {
    if (collision !== 'case' && collision !== 'normalization') fail('a bad collision flag');
    entry.collision = collision as 'case' | 'normalization';
  }
  if (error !== null) {
    if (!Array.isArray(error) || error.length !== 2) fail('a bad entry error');
    const [code, message] = error as unknown[];
    entry.error = { code: wireText(code, 'error code', 64), message: wireText(message, 'error message') };
  }
  return entry;
}

/** Checks a batch of a peer's inventory, which must continue the path order. */
export function decodeBatch(value: unknown, aliases: ReadonlySet<string>, previous: { path: string | null }): InventoryEntry[] {
  if (!Array.isArray(value) || value.length > 65536) return fail('an inventory batch of the wrong shape');
  return value.map((item: unknown) => {
    const entry = decodeEntry(item, aliases);
    if (previous.path !== null && comparePaths(entry.path, previous.path) < 0) fail('an inventory out of path order');
    previous.path = entry.path;
    return entry;
  });
}

export const encodeExpected = (expect: ExpectedFile) => [expect.digest, expect.size, expect.mtimeNs, expect.mode];

export function decodeExpected(value: unknown): ExpectedFile {
  if (!Array.isArray(value) || value.length !== 4) return fail('an expected file of the wrong shape');
  const [digest, size, mtimeNs, mode] = value as unknown[];
  return { digest: wireBytes(digest, 'digest', 32), size: wireCount(size, 'size'), mtimeNs: wireBigInt(mtimeNs, 'mtime'), mode: wireMode(mode) };
}

/** A peer's error as the class of ours with that code; codes we do not know become RemoteError. */
export function errorFromPeer(code: string, message: string): Error {
  const text = `remote: ${message}`;
  return errorForCode(code, text) ?? new RemoteError(code, text);
}
