// In-memory variants for tests and small payloads: the same native engines, fed in one step.
import type { NativeEngineHandle } from '../../typings/addon.js';
import { fromNativeError, InvalidArgumentError } from '../errors.js';
import { nativeAddon } from './native.js';
import { type SignatureOptions, toNativeParams } from './params.js';

async function runToEnd(engine: NativeEngineHandle | Promise<NativeEngineHandle>, input: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  try {
    const handle = await engine;
    let rest: Buffer | null = input;
    for (;;) {
      const result = await handle.step(rest, true, 64 << 20);
      parts.push(result.output);
      rest = rest && result.consumed < rest.length ? rest.subarray(result.consumed) : null;
      if (result.done) return Buffer.concat(parts);
    }
  } catch (error) {
    throw fromNativeError(error);
  }
}

function asBuffer(name: string, value: Uint8Array): Buffer {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${name} must be a Buffer or Uint8Array`);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export async function signatureBuffer(basis: Uint8Array, options: SignatureOptions = {}): Promise<Buffer> {
  const data = asBuffer('basis', basis);
  const params = toNativeParams(options);
  const engine = (() => {
    try {
      return nativeAddon().createSignatureEngine(params, data.length);
    } catch (error) {
      throw fromNativeError(error);
    }
  })();
  return runToEnd(engine, data);
}

export async function deltaBuffer(signature: Uint8Array, newData: Uint8Array): Promise<Buffer> {
  return runToEnd(nativeAddon().createDeltaEngine(asBuffer('signature', signature)), asBuffer('newData', newData));
}

export async function patchBuffer(basis: Uint8Array, delta: Uint8Array): Promise<Buffer> {
  const basisBuffer = asBuffer('basis', basis);
  return runToEnd(nativeAddon().createPatchEngine(basisBuffer), asBuffer('delta', delta));
}
