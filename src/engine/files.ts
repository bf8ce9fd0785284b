// Whole-file operations. Each runs entirely on a native worker thread (pread in, buffered
// writes out), reports progress, stops on an AbortSignal and leaves no partial output.
import { fromNativeError } from '../errors.js';
import { JobControl, type JobOptions } from './control.js';
import { nativeAddon } from './native.js';
import { type FileInput, type FileOutput, type OutputOptions, toNativeRef, withAtomicOutput } from './output.js';
import { digestLength, fromNativeParams, formatName, type SignatureFormat, type SignatureOptions, type SignatureParams,
  toNativeParams } from './params.js';

export interface SignatureResult extends SignatureParams {
  /** Length and digest (as `digest` names) of the basis; null for the librsync format (it records neither). */
  basis: { length: number; digest: Buffer } | null;
}

export interface DeltaResult {
  format: SignatureFormat;
  /** Bytes of the new file that the delta describes. */
  newLength: number;
}

export interface PatchResult {
  format: SignatureFormat;
  /** Bytes written; for the native format, verified against the digest the delta carries. */
  outputLength: number;
}

export type FileJobOptions = JobOptions & OutputOptions;

async function nativeJob<T>(output: FileOutput, options: FileJobOptions,
  job: (outputRef: string | number, control: ArrayBuffer) => Promise<T>): Promise<T> {
  const control = new JobControl(options);
  try {
    return await withAtomicOutput(output, options, (ref) => control.run((buffer) => job(ref, buffer)));
  } catch (error) {
    throw fromNativeError(error);
  }
}

/** Writes the block signature of `basis` to `signature`. */
export async function signatureFile(basis: FileInput, signature: FileOutput,
  options: SignatureOptions & FileJobOptions = {}): Promise<SignatureResult> {
  const params = toNativeParams(options);
  const result = await nativeJob(signature, options, (ref, control) =>
    nativeAddon().signatureFile(toNativeRef(basis), ref, params, options.fsync === true, control));
  const used = fromNativeParams(result.params);
  const summary = result.basis && {
    length: result.basis.length,
    digest: result.basis.digest.subarray(0, digestLength[used.digest]),
  };
  return { ...used, basis: summary };
}

/** Writes the delta that turns the basis described by `signature` into `newFile`. */
export async function deltaFile(signature: FileInput, newFile: FileInput, delta: FileOutput,
  options: FileJobOptions = {}): Promise<DeltaResult> {
  const result = await nativeJob(delta, options, (ref, control) =>
    nativeAddon().deltaFile(toNativeRef(signature), toNativeRef(newFile), ref, options.fsync === true, control));
  return { format: formatName(result.format), newLength: result.newLength };
}

/** Applies `delta` to `basis` (a regular file) and writes the result to `output`. */
export async function patchFile(basis: FileInput, delta: FileInput, output: FileOutput,
  options: FileJobOptions = {}): Promise<PatchResult> {
  const result = await nativeJob(output, options, (ref, control) =>
    nativeAddon().patchFile(toNativeRef(basis), toNativeRef(delta), ref, options.fsync === true, control));
  return { format: formatName(result.format), outputLength: result.outputLength };
}
