// libsodium (its WASM build) for the handshake: X25519, Ed25519, BLAKE2b and Argon2id. Loaded on
// first use, since compiling the module costs tens of milliseconds that local commands never need.
// Its ESM entry point is broken in 0.7 (it imports a file the package does not ship): the
// CommonJS build is the one that loads.
import { createRequire } from 'node:module';
import type Sodium from 'libsodium-wrappers-sumo';

export type SodiumApi = typeof Sodium;

let loading: Promise<SodiumApi> | null = null;

export function loadSodium(): Promise<SodiumApi> {
  loading ??= (async () => {
    const sodium = createRequire(import.meta.url)('libsodium-wrappers-sumo') as SodiumApi;
    await sodium.ready;
    return sodium;
  })();
  return loading;
}
