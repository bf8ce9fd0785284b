// Every failure deltanode reports is a DeltanodeError with a literal `code`, so callers can
// branch on `err.code` without parsing messages.

export type DeltanodeErrorCode =
  | 'DELTANODE_ERR_INVALID_ARGUMENT'
  | 'DELTANODE_ERR_BAD_SIGNATURE'
  | 'DELTANODE_ERR_CORRUPT_DELTA'
  | 'DELTANODE_ERR_BASIS_MISMATCH'
  | 'DELTANODE_ERR_DIGEST_MISMATCH'
  | 'DELTANODE_ERR_OUTPUT_EXISTS'
  | 'DELTANODE_ERR_ABORTED'
  | 'DELTANODE_ERR_IO'
  | 'DELTANODE_ERR_OUT_OF_MEMORY'
  | 'DELTANODE_ERR_NATIVE_LOAD'
  | 'DELTANODE_ERR_STATE_BUSY'
  | 'DELTANODE_ERR_STATE_CORRUPT'
  | 'DELTANODE_ERR_READ_ONLY'
  | 'DELTANODE_ERR_UNSAFE_PATH'
  | 'DELTANODE_ERR_TRANSPORT'
  | 'DELTANODE_ERR_LINK_CLOSED'
  | 'DELTANODE_ERR_PROTOCOL'
  | 'DELTANODE_ERR_VERSION'
  | 'DELTANODE_ERR_TIMEOUT'
  | 'DELTANODE_ERR_HANDSHAKE'
  | 'DELTANODE_ERR_IDENTITY'
  | 'DELTANODE_ERR_INTEGRITY'
  | 'DELTANODE_ERR_REMOTE'
  | 'DELTANODE_ERR_PLAN_CONFLICT'
  | 'DELTANODE_ERR_INTERNAL';

export class DeltanodeError extends Error {
  readonly code: DeltanodeErrorCode;
  constructor(code: DeltanodeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A caller passed an option or argument outside what the API accepts. */
export class InvalidArgumentError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_INVALID_ARGUMENT';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_INVALID_ARGUMENT', message, options);
  }
}

/** A signature is malformed, truncated, or of an unsupported version. */
export class BadSignatureError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_BAD_SIGNATURE';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_BAD_SIGNATURE', message, options);
  }
}

/** A delta is malformed, truncated, or has a command that does not fit the basis. */
export class CorruptDeltaError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_CORRUPT_DELTA';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_CORRUPT_DELTA', message, options);
  }
}

/** The basis given to patch is not the one the delta was computed against. */
export class BasisMismatchError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_BASIS_MISMATCH';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_BASIS_MISMATCH', message, options);
  }
}

/** Produced content does not hash to the digest it was promised to have. */
export class DigestMismatchError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_DIGEST_MISMATCH';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_DIGEST_MISMATCH', message, options);
  }
}

/** An output file exists and overwriting was not asked for. */
export class OutputExistsError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_OUTPUT_EXISTS';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_OUTPUT_EXISTS', message, options);
  }
}

/** The operation was cancelled through its AbortSignal. */
export class AbortedError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_ABORTED';
  constructor(message = 'the operation was aborted', options?: ErrorOptions) {
    super('DELTANODE_ERR_ABORTED', message, options);
  }
}

/** A system call failed; `errno` and `path` say which and where when known. */
export class IoError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_IO';
  readonly errno: number | undefined;
  readonly path: string | undefined;
  constructor(message: string, details: { errno?: number; path?: string } = {}, options?: ErrorOptions) {
    super('DELTANODE_ERR_IO', message, options);
    this.errno = details.errno;
    this.path = details.path;
  }
}

/** A node's state folder (its hash cache) is held by another deltanode process. */
export class StateBusyError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_STATE_BUSY';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_STATE_BUSY', message, options);
  }
}

/** A file in a node's state folder holds something deltanode did not write there. */
export class StateCorruptError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_STATE_CORRUPT';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_STATE_CORRUPT', message, options);
  }
}

/** A write was asked of a read-only source; the node refused it whoever asked. */
export class ReadOnlyError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_READ_ONLY';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_READ_ONLY', message, options);
  }
}

/**
 * A path is not a plain inventory path (absolute, `..`, NUL, not NFC, an unknown source) or leads
 * through a symlink: nothing was read or written.
 */
export class UnsafePathError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_UNSAFE_PATH';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_UNSAFE_PATH', message, options);
  }
}

/** A link could not be opened or carried a frame it cannot carry. */
export class TransportError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_TRANSPORT';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_TRANSPORT', message, options);
  }
}

/** The link ended (closed by either side) while something still needed it. */
export class LinkClosedError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_LINK_CLOSED';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_LINK_CLOSED', message, options);
  }
}

/** A peer sent something the protocol does not allow: the link is closed, nothing was acted on. */
export class ProtocolError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_PROTOCOL';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_PROTOCOL', message, options);
  }
}

/** The peer speaks a protocol version this one does not: update the older deltanode. */
export class VersionError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_VERSION';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_VERSION', message, options);
  }
}

/** A connect, handshake or idle link took longer than its limit. */
export class TimeoutError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_TIMEOUT';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_TIMEOUT', message, options);
  }
}

/** The handshake failed: a wrong secret or password, a tampered handshake, or a refusal by the peer. */
export class HandshakeError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_HANDSHAKE';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_HANDSHAKE', message, options);
  }
}

/** A member's identity is not trusted: unpinned and not accepted, or a different key for a pinned name. */
export class IdentityError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_IDENTITY';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_IDENTITY', message, options);
  }
}

/** An encrypted frame failed authentication (tampered, replayed, reordered) or the stream was cut short. */
export class IntegrityError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_INTEGRITY';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_INTEGRITY', message, options);
  }
}

/** A remote node failed a request with an error whose code is not one of ours (its code and message are kept). */
export class RemoteError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_REMOTE';
  readonly remoteCode: string;
  constructor(remoteCode: string, message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_REMOTE', message, options);
    this.remoteCode = remoteCode;
  }
}

/** A plan's actions contradict each other (or write where nothing may be written): refused before anything is written. */
export class PlanConflictError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_PLAN_CONFLICT';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_PLAN_CONFLICT', message, options);
  }
}

/** The native addon could not be loaded; the message says how to fix it. */
export class NativeLoadError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_NATIVE_LOAD';
  constructor(message: string, options?: ErrorOptions) {
    super('DELTANODE_ERR_NATIVE_LOAD', message, options);
  }
}

/** Memory ran out, or an invariant broke: a bug to report. */
export class InternalError extends DeltanodeError {
  declare readonly code: 'DELTANODE_ERR_INTERNAL' | 'DELTANODE_ERR_OUT_OF_MEMORY';
  constructor(code: 'DELTANODE_ERR_INTERNAL' | 'DELTANODE_ERR_OUT_OF_MEMORY', message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Our class for an error code (from the addon or a peer), or null for a code this version does not know. */
export function errorForCode(code: unknown, message: string, options?: ErrorOptions): DeltanodeError | null {
  switch (code) {
    case 'DELTANODE_ERR_INVALID_ARGUMENT': return new InvalidArgumentError(message, options);
    case 'DELTANODE_ERR_BAD_SIGNATURE': return new BadSignatureError(message, options);
    case 'DELTANODE_ERR_CORRUPT_DELTA': return new CorruptDeltaError(message, options);
    case 'DELTANODE_ERR_BASIS_MISMATCH': return new BasisMismatchError(message, options);
    case 'DELTANODE_ERR_DIGEST_MISMATCH': return new DigestMismatchError(message, options);
    case 'DELTANODE_ERR_OUTPUT_EXISTS': return new OutputExistsError(message, options);
    case 'DELTANODE_ERR_ABORTED': return new AbortedError(message, options);
    case 'DELTANODE_ERR_IO': return new IoError(message, {}, options);
    case 'DELTANODE_ERR_STATE_BUSY': return new StateBusyError(message, options);
    case 'DELTANODE_ERR_STATE_CORRUPT': return new StateCorruptError(message, options);
    case 'DELTANODE_ERR_READ_ONLY': return new ReadOnlyError(message, options);
    case 'DELTANODE_ERR_UNSAFE_PATH': return new UnsafePathError(message, options);
    case 'DELTANODE_ERR_TRANSPORT': return new TransportError(message, options);
    case 'DELTANODE_ERR_LINK_CLOSED': return new LinkClosedError(message, options);
    case 'DELTANODE_ERR_PROTOCOL': return new ProtocolError(message, options);
    case 'DELTANODE_ERR_PLAN_CONFLICT': return new PlanConflictError(message, options);
    case 'DELTANODE_ERR_VERSION': return new VersionError(message, options);
    case 'DELTANODE_ERR_TIMEOUT': return new TimeoutError(message, options);
    case 'DELTANODE_ERR_HANDSHAKE': return new HandshakeError(message, options);
    case 'DELTANODE_ERR_IDENTITY': return new IdentityError(message, options);
    case 'DELTANODE_ERR_INTEGRITY': return new IntegrityError(message, options);
    case 'DELTANODE_ERR_OUT_OF_MEMORY': return new InternalError('DELTANODE_ERR_OUT_OF_MEMORY', message, options);
    case 'DELTANODE_ERR_INTERNAL': return new InternalError('DELTANODE_ERR_INTERNAL', message, options);
    default: return null;
  }
}

/** The code and message of any thrown value, for reports (an error without our code counts as internal). */
export function describeFailure(error: unknown): { code: string; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return { code: typeof code === 'string' ? code : 'DELTANODE_ERR_INTERNAL', message: typeof message === 'string' ? message : String(error) };
}

/** Turns an error thrown by the addon (a plain Error with a `code`) into its typed class. */
export function fromNativeError(error: unknown): DeltanodeError {
  if (error instanceof DeltanodeError) return error;
  const native = error as { message?: unknown; code?: unknown; errno?: unknown };
  const message = typeof native.message === 'string' ? native.message : String(error);
  const options = { cause: error };
  if (native.code === 'DELTANODE_ERR_IO') {
    return new IoError(message, typeof native.errno === 'number' ? { errno: native.errno } : {}, options);
  }
  return errorForCode(native.code, message, options) ?? new InternalError('DELTANODE_ERR_INTERNAL', message, options);
}
