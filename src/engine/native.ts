// Loads the compiled addon (a prebuild, or build/Release from `npm install`) and explains how to
// get one when that fails.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { NativeAddon } from '../../typings/addon.js';
import { NativeLoadError } from '../errors.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let loaded: NativeAddon | undefined;

const require = createRequire(import.meta.url);

// What `npm install` compiled is taken by its path (node-gyp-build's own first choice) without
// loading node-gyp-build, which cost 5 ms of every command's start; otherwise it finds a prebuild.
function loadAddon(): NativeAddon {
  const compiled = path.join(packageRoot, 'build', 'Release', 'deltanode.node');
  if (existsSync(compiled)) return require(compiled) as NativeAddon;
  const nodeGypBuild = require('node-gyp-build') as (root: string) => unknown;
  return nodeGypBuild(packageRoot) as NativeAddon;
}

export function explainLoadFailure(cause: unknown): string {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const hints = [
    `deltanode could not load its native addon for Node ${process.version} (${process.platform}-${process.arch}, ` +
      `Node-API ${process.versions.napi}).`,
    `Reason: ${reason}`,
  ];
  if (/No native build was found/.test(reason)) {
    hints.push(
      'No prebuilt binary matches this platform and none was compiled. Build it from source:',
      '  npm rebuild deltanode   (needs python3, make and a C++17 compiler: apt-get install -y python3 make g++)',
    );
  } else if (/NODE_MODULE_VERSION|invalid ELF|wrong ELF class|undefined symbol/.test(reason)) {
    hints.push('The binary was built for another Node.js or architecture. Rebuild it: npm rebuild deltanode');
  } else if (/GLIBC|GLIBCXX/.test(reason)) {
    hints.push('The binary needs a newer C/C++ runtime than this system has. Rebuild from source: npm rebuild deltanode');
  }
  return hints.join('\n');
}

export function nativeAddon(): NativeAddon {
  if (loaded) return loaded;
  try {
    loaded = loadAddon();
  } catch (cause) {
    throw new NativeLoadError(explainLoadFailure(cause), { cause });
  }
  return loaded;
}
