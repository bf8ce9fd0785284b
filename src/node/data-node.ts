// What the session talks to: a participant with named sources, near (LocalDataNode) or far (a
// proxy over a link, later). Everything it returns streams; nothing holds a whole tree in memory.
import type { HashPolicy, InventoryEntry, InventoryProgress, SkippedEntry } from './entries.js';

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

export interface DataNode {
  readonly name: string;
  readonly sources: readonly SourceSpec[];
  /**
   * Every entry of every source, in path order (see comparePaths), in batches: one await per
   * batch instead of per entry (a remote node sends a batch per message).
   */
  inventory(options?: InventoryOptions): AsyncIterable<InventoryEntry[]>;
  close(): Promise<void>;
}
