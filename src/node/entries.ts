// What an inventory says about each entry of a node's sources.

export type EntryType = 'file' | 'folder' | 'symlink';

export type HashPolicy = 'none' | 'quick' | 'full';

export interface ScanEntry {
  /** `alias/relative/path`, NFC. */
  path: string;
  /** Where it is on disk, in the disk's own spelling. */
  diskPath: string;
  type: EntryType;
  /** Bytes for files; 0 for folders; the target's length for links. */
  size: number;
  mtimeNs: bigint;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  inode: bigint;
  device: bigint;
  /** Symlinks only: the target text, as stored. */
  linkTarget?: string;
  /** Another entry of the same folder has the same name once case is folded or Unicode normalised. */
  collision?: 'case' | 'normalization';
  /** Set when the entry (or, for a folder, its listing) could not be read. */
  error?: { code: string; message: string };
}

export interface InventoryEntry extends ScanEntry {
  /** BLAKE3 of the content (files only), unless the policy is 'none' or the file could not be read. */
  digest?: Buffer;
  /** Where the digest came from. */
  digestSource?: 'cache' | 'hashed';
  /** The file changed while it was hashed: its digest describes no single version of it. */
  changedDuringScan?: boolean;
  /** Full hashing found other content than the cache recorded for the same size, mtime and inode. */
  silentCorruption?: boolean;
}

export interface SkippedEntry {
  path: string;
  diskPath: string;
  reason: 'special' | 'vanished';
}

export interface InventoryProgress {
  entries: number;
  filesHashed: number;
  filesFromCache: number;
  bytesHashed: number;
  /** Bytes hashed per second since the start. */
  rate: number;
}
