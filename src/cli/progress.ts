// A one-line progress bar on stderr when it is a terminal; silent otherwise.
import type { Progress } from '../engine/control.js';

export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr):
  { onProgress?: (progress: Progress) => void; done: () => void } {
  if (!stream.isTTY) return { done: () => undefined };
  const started = Date.now();
  let drawn = false;
  return {
    onProgress(progress: Progress) {
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
      stream.write(`\r${line} ${rate.toFixed(0)} MB/s\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
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
