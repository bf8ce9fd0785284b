// What the session talks to: a participant with named sources, near (LocalDataNode) or far (a
// proxy over a link, later). Everything it returns streams; nothing holds a whole tree in memory.
// Paths are inventory paths (`alias/relative/path`); a node checks every path it is given.
import type { HashPolicy, InventoryEntry, InventoryProgress, SkippedEntry } from './entries.js';
import type { NodeIdentity } from './node-identity.js';

export interface SourceSpec {
  /** One path segment; inventory paths start with it. */
  alias: string;
  path: string;
  /** The node refuses every write into this source, whoever asks. */
  readOnly?: boolean;
  /** gitignore-syntax lines for this source. */
  ignore?: readonly string[];
}

export interface InventoryOptions {
  /** 'quick' (default): reuse cached digests of unchanged files; 'full': hash everything; 'none': metadata only. */
  hash?: HashPolicy;
  signal?: AbortSignal;
  onProgress?: (progress: InventoryProgress) => void;
  /** Special files skipped, entries that vanished between listing and reading. */
  onSkip?: (skipped: SkippedEntry) => void;
}

/** What a written entry must turn out to be; a write that does not match changes nothing. */
export interface ExpectedFile {
  /** BLAKE3 of the content. */
  digest: Buffer;
  size: number;
  /** Applied to the result (nanoseconds; kept to the precision the platform takes). */
  mtimeNs: bigint;
  /** Permission bits. */
  mode: number;
}

/** Where the content of a write comes from. */
export type WriteSource =
  /** The whole content, streamed. */
  | { kind: 'content'; data: AsyncIterable<Buffer> }
  /**
   * A delta (native format) against this node's current version of the same path, or, with
   * `basis: 'partial'`, against the partial content an interrupted write of the same content left.
   */
  | { kind: 'delta'; data: AsyncIterable<Buffer>; basis?: 'current' | 'partial' }
  /** Another path of this node that already holds the content. */
  | { kind: 'local'; from: string };

export interface SignatureOptions {
  signal?: AbortSignal;
  /** Sign the partial content kept toward this digest (see `partial`). */
  partialOf?: Buffer;
}

export interface EntryMetadata {
  /** Permission bits. */
  mode: number;
  /** Nanoseconds; applied to files only (a folder's changes with its content). */
  mtimeNs: bigint;
}

export interface WriteOptions {
  signal?: AbortSignal;
  /** Keep the replaced version in the node's trash (default true). */
  trash?: boolean;
}

/** A small file's whole content, read in a batch, or why it could not be. */
export type FileRead = { ok: true; content: Buffer } | FileFailure;

export interface FileFailure {
  ok: false;
  code: string;
  message: string;
}

/** One file of a batch write: its whole content and what it must turn out to be. */
export interface FileWrite {
  path: string;
  content: Buffer;
  expect: ExpectedFile;
}

export type FileWriteResult = { ok: true; outcome: WriteOutcome } | FileFailure;

/** Files of at most this size go in batches (readFiles / writeFiles). */
export const BATCH_FILE_LIMIT = 1 << 20;

export interface WriteOutcome {
  /** Bytes of the new version. */
  size: number;
  /** A previous version was moved to the trash (its path there), or dropped (null). */
  replaced: string | null;
}

export interface RemoveOptions {
  /** Move into the trash (default) instead of deleting. */
  trash?: boolean;
}

export interface DataNode {
  readonly name: string;
  readonly sources: readonly SourceSpec[];
  /** Lasting identity (an id kept in the node's state), the same across runs and renames. */
  identity(): Promise<NodeIdentity>;
  /**
   * Every entry of every source, in path order (see comparePaths), in batches: one await per
   * batch instead of per entry (a remote node sends a batch per message).
   */
  inventory(options?: InventoryOptions): AsyncIterable<InventoryEntry[]>;

  /** The bytes of the file at `path`. */
  read(path: string, options?: { signal?: AbortSignal }): AsyncIterable<Buffer>;
  /**
   * The block signature (native format) of the file at `path`, for a peer to compute a delta
   * against; with `partialOf`, of the partial content kept toward that digest instead.
   */
  signature(path: string, options?: SignatureOptions): AsyncIterable<Buffer>;
  /** Bytes of partial content an interrupted write toward `digest` left at `path` (0: none). */
  partial(path: string, digest: Buffer): Promise<number>;
  /** The delta that turns the file `signature` describes into this node's file at `path`. */
  delta(path: string, signature: Buffer, options?: { signal?: AbortSignal }): AsyncIterable<Buffer>;
  /**
   * Writes a file: into a temporary file beside it, verified against `expect` (digest and size),
   * synced, and renamed into place; the replaced version goes to the trash. A read-only source,
   * an unsafe path or a mismatch is an error and changes nothing.
   */
  write(path: string, source: WriteSource, expect: ExpectedFile, options?: WriteOptions): Promise<WriteOutcome>;
  /**
   * The whole content of small files (at most BATCH_FILE_LIMIT each), one result per path in order;
   * a file that cannot be read fails alone.
   */
  readFiles(paths: readonly string[], options?: { signal?: AbortSignal }): Promise<FileRead[]>;
  /**
   * Writes small files as `write` does (temporary file, read-back check, mode and mtime, trash,
   * rename), in batches per folder with one durability barrier each; one result per file.
   */
  writeFiles(files: readonly FileWrite[], options?: WriteOptions): Promise<FileWriteResult[]>;
  /** Applies mode and (files) mtime to the entry at `path`, whose content stays as it is. */
  setMetadata(path: string, metadata: EntryMetadata): Promise<void>;
  /** Creates a folder (and applies its mode), replacing a non-folder entry there (into the trash). */
  makeFolder(path: string, mode: number, options?: WriteOptions): Promise<void>;
  /** Creates a symlink with this target text, replacing what is there (into the trash). */
  makeLink(path: string, target: string, options?: WriteOptions): Promise<void>;
  /** Removes an entry (a folder with everything in it). */
  remove(path: string, options?: RemoveOptions): Promise<void>;
  close(): Promise<void>;
}
