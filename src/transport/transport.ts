// A Transport only opens links between members; a Link carries frames (byte strings) in order,
// both ways, with backpressure. Encryption and the protocol sit above it, so any transport (a
// memory pair, TCP, a relay, a message bus of the user's) carries the same sessions.

export interface Link {
  /** Frames at most this long are carried. */
  readonly maxFrame: number;
  /**
   * Sends one frame; resolves when the link can take the next (backpressure). The link may read the
   * frame's bytes until it calls `written` (never, for a link that keeps them): only then may the
   * caller reuse that memory for another frame.
   */
  send(frame: Uint8Array, written?: () => void): Promise<void>;
  /** The peer's frames in order; ends when the peer closes, throws when the link fails. One reader. */
  frames(): AsyncIterable<Uint8Array>;
  /** Closes both ways; with an error, the peer's frames() fails with it. */
  close(error?: Error): Promise<void>;
}

export interface Listener {
  readonly address: string;
  close(): Promise<void>;
}

export interface Transport {
  readonly name: string;
  connect(address: string, options?: { signal?: AbortSignal }): Promise<Link>;
  listen(address: string, onLink: (link: Link) => void): Promise<Listener>;
}
