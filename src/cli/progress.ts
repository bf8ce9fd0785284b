// One line of progress on stderr when it is a terminal, redrawn in place; silent otherwise.
import type { Progress } from '../engine/control.js';

/** Progress callback for a job (absent when there is no terminal) and the call that clears the line. */
export function statusLine<T>(render: (progress: T) => string, stream: NodeJS.WriteStream = process.stderr):
  { onProgress?: (progress: T) => void; done: () => void } {
  if (!stream.isTTY) return { done: () => undefined };
  let drawn = false;
  return {
    onProgress(progress: T) {
      stream.write(`\r${render(progress)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

/** A bar with percentage and rate for an engine job. */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr):
  { onProgress?: (progress: Progress) => void; done: () => void } {
  const started = Date.now();
  return statusLine((progress: Progress) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = progress.bytesDone / seconds / 1e6;
    let line = `${label} ${formatBytes(progress.bytesDone)}`;
    if (progress.bytesTotal) {
      const fraction = Math.min(progress.bytesDone / progress.bytesTotal, 1);
      const width = 30;
      const filled = Math.round(fraction * width);
      line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}% ` +
        `${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)}`;
    }
    return `${line} ${rate.toFixed(0)} MB/s`;
  }, stream);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
