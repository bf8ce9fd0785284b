// Inventory paths: `alias/relative/path`, '/'-separated, Unicode NFC. They are compared segment
// by segment ('/' sorts before every other character), which is the order a depth-first walk over
// sorted names produces, so inventories stream in the order comparisons merge them.

/** The name as inventories record it (the on-disk spelling is kept separately for writing back). */
export function normalizeName(name: string): string {
  return name.normalize('NFC');
}

export function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

const SLASH = 0x2f;

/** Total order on inventory paths: segment-wise, by UTF-16 code units. */
export function comparePaths(a: string, b: string): number {
  // Merged inventories mostly hold the same paths: one native comparison settles those.
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x === SLASH) return -1;
      if (y === SLASH) return 1;
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * Two paths with the same key cannot both exist on a case-insensitive or normalising file system
 * (macOS, Windows): `Readme` and `README`, or a name spelled in NFC and in NFD.
 */
export function collisionKey(path: string): string {
  return path.normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * Whether a path received from elsewhere is a plain relative inventory path: non-empty segments,
 * none `.` or `..`, no leading '/', no NUL or backslash, already in NFC.
 */
export function isSafeInventoryPath(path: string): boolean {
  if (path === '' || path.includes('\0') || path.includes('\\') || path.normalize('NFC') !== path) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
