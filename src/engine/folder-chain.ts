// A folder of a source opened from its root one component at a time, links never followed, in one
// native job (native/folder_chain.h). The descriptor keeps naming that folder if its path changes.
import { closeSync } from 'node:fs';
import { nativeAddon } from './native.js';

export type FolderChain =
  | { ok: true; fd: number }
  /** `failed`: the index in `parts` of the folder that could not be opened, -1 for the root. */
  | { ok: false; errno: number; failed: number };

/** `parts`: plain path components (no '', '.', '..', '/' or NUL), checked by the caller. */
export async function openFolderChain(root: string, parts: readonly string[]): Promise<FolderChain> {
  const { fd, errno, opened } = await nativeAddon().openFolderChain(root, parts);
  return fd >= 0 ? { ok: true, fd } : { ok: false, errno, failed: opened - 1 };
}

/**
 * Closes a descriptor from openFolderChain. On this thread: closing a folder writes nothing back,
 * and a trip through the pool cost about 50 us of this thread's time per close.
 */
export function closeFolder(fd: number): void {
  closeSync(fd);
}
