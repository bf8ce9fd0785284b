// The raw surface of the native addon (build/Release/deltanode.node). Arguments are validated by
// src/engine before they get here; the addon assumes them well formed.

/** Numeric ids as the native formats store them. */
export type NativeFormatId = 1 | 2; // 1 native, 2 librsync
export type NativeWeakId = 1 | 2; // 1 rollsum, 2 rabinkarp
export type NativeStrongId = 1 | 2 | 3; // 1 md4, 2 blake2b, 3 xxh3-128
export type NativeDigestId = 1 | 2; // 1 blake3, 2 xxh3-128

export interface NativeRequestedParams {
  format: NativeFormatId;
  weak: NativeWeakId;
  strong: NativeStrongId;
  /** 0: recommended for the basis size. */
  blockLength: number;
  /** 0: maximum, -1: minimum safe for the basis size. */
  strongLength: number;
  digest: NativeDigestId;
}

export interface NativeParams {
  format: NativeFormatId;
  weak: NativeWeakId;
  strong: NativeStrongId;
  blockLength: number;
  strongLength: number;
  digest: NativeDigestId;
}

export interface NativeBasisSummary {
  length: number;
  digest: Buffer;
}

/** A path, or an open file descriptor that the addon borrows (never closes). */
export type NativeFileRef = string | number;

export interface NativeStepResult {
  output: Buffer;
  consumed: number;
  done: boolean;
  more: boolean;
  /** Bytes an engine that writes its output to a file has written so far (0 for the others). */
  written: number;
}

export interface NativeEngineHandle {
  step(input: Buffer | null, final: boolean, outputBudget: number): Promise<NativeStepResult>;
}

export interface NativeSignatureEngine extends NativeEngineHandle {
  readonly params: NativeParams;
}

export interface NativeDeltaEngine extends NativeEngineHandle {
  readonly params: NativeParams;
  readonly basis: NativeBasisSummary | null;
}

export interface NativeFileIdentity {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  inode: bigint;
  device: bigint;
}

/** One folder's part of a write batch. */
export interface NativeFolderBatch {
  folder: string;
  files: NativeBatchFiles;
  trashFolder: string | null;
}

/** The files of a write batch as src/engine/file-batch.ts checked and packed them: file i is index i of every field. */
export interface NativeBatchFiles {
  names: string[];
  contents: Buffer[];
  /** Permission bits only. */
  modes: Uint32Array;
  mtimesNs: BigInt64Array;
  /** 32 bytes (BLAKE3-256) per file. */
  digests: Buffer;
  /** null: no file has a trash name. */
  trashNames: Array<string | null> | null;
}

/**
 * A batch's outcomes packed one record per file (layouts: native/binding/file_batch.cc), with the
 * messages of the files that failed (null when none did).
 */
export interface NativeBatchOutcomes {
  records: Buffer;
  messages: Array<string | undefined> | null;
}

/**
 * How a write batch makes its files durable before renaming (native/file_batch.h, SyncBarrier):
 * 0 the measured rule, 1 one syncfs, 2 fsync per file, 3 nothing synced (benchmarks and tests
 * only), 4 write-back started per file, then fsync per file.
 */
export type NativeSyncBarrier = 0 | 1 | 2 | 3 | 4;

/**
 * One AES-256-GCM key (native/binding/aead.cc): 12-byte nonces, 16-byte tags, synchronous calls.
 * Lengths are checked natively as well, so a bad one throws DELTANODE_ERR_INVALID_ARGUMENT.
 */
export interface NativeAeadKey {
  /** ciphertext || tag in a new buffer. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer;
  /** ciphertext || tag written at the start of `out` (in place is fine, a partial overlap is not); returns its length. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): number;
  /** The plaintext, or a throw with code DELTANODE_ERR_INTEGRITY when the tag does not verify (or is cut off). */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer;
  /** In place: the plaintext overwrites the start of `sealed`; returns its length. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, inPlace: true): number;
  /** Frees both contexts and the key schedule in them; later seal/open calls throw. */
  dispose(): void;
}

export interface NativeAddon {
  /** `control` is an ArrayBuffer of 4 u64 slots: [cancel, bytes done, bytes total, unused]. */
  signatureFile(basis: NativeFileRef, signature: NativeFileRef, params: NativeRequestedParams, fsync: boolean,
    control: ArrayBuffer): Promise<{ params: NativeParams; basis: NativeBasisSummary | null }>;
  deltaFile(signature: NativeFileRef, newFile: NativeFileRef, delta: NativeFileRef, fsync: boolean,
    control: ArrayBuffer): Promise<{ format: NativeFormatId; newLength: number }>;
  patchFile(basis: NativeFileRef, delta: NativeFileRef, output: NativeFileRef, fsync: boolean,
    control: ArrayBuffer): Promise<{ format: NativeFormatId; outputLength: number }>;

  hashFile(file: NativeFileRef, digest: NativeDigestId, control: ArrayBuffer): Promise<{
    digest: Buffer;
    length: number;
    before: NativeFileIdentity;
    after: NativeFileIdentity;
  }>;

  /**
   * Folders of an inventory, each packed as native/scan_folder.h describes, in the order given.
   * `hash`: 0 none, 1 quick, 2 full; `caches`: each folder's record from the hash cache, or null.
   */
  scanFolders(paths: readonly string[], hash: 0 | 1 | 2, inlineHashLimit: number, caches: ReadonlyArray<Buffer | null>,
    control: ArrayBuffer): Promise<Buffer[]>;

  /**
   * `root` opened, then each of `parts` through the one above without following links
   * (native/folder_chain.h): the last folder's descriptor (the caller closes it), or -1 with the
   * errno that ended the walk and how many folders were opened before it, the root included.
   */
  openFolderChain(root: string, parts: readonly string[]): Promise<{ fd: number; errno: number; opened: number }>;

  /**
   * Many small files of one or more folders written, verified, made durable by one barrier, and
   * renamed into place (native/file_batch.h). The outcomes are of every file, group after group.
   */
  writeFileBatch(groups: readonly NativeFolderBatch[], barrier: NativeSyncBarrier, control: ArrayBuffer): Promise<NativeBatchOutcomes>;
  /** Many small files of one folder read into one buffer; `data` holds every content. */
  readFileBatch(folder: string, names: readonly string[], maxFileBytes: number,
    control: ArrayBuffer): Promise<NativeBatchOutcomes & { data: Buffer }>;

  /** With `input` (a descriptor of a regular file, kept open by the caller) the engine reads the file itself: steps take null. */
  /** `knownDigest` (32 bytes, with `input`): the input's digest, written instead of computed. */
  createSignatureEngine(params: NativeRequestedParams, sizeHint: number | null, input?: number, knownDigest?: Buffer): NativeSignatureEngine;
  createDeltaEngine(signature: Buffer, input?: number, knownDigest?: Buffer): Promise<NativeDeltaEngine>;
  /**
   * With `output` (a descriptor of an empty regular file, kept open by the caller) the engine
   * writes the new file there itself (zeros as holes), synced at the end when `sync`; steps then
   * return no output.
   */
  createPatchEngine(basis: Buffer | number, output?: number, sync?: boolean): NativeEngineHandle;

  hash(algorithm: 'blake3' | 'xxh3-128' | 'blake2b-256' | 'md4', data: Buffer): Buffer;
  hash(algorithm: 'rollsum' | 'rabinkarp', data: Buffer): number;

  /** `key`: 32 bytes, read once (the addon keeps no reference to it). */
  AeadKey: new (key: Uint8Array) => NativeAeadKey;
}
