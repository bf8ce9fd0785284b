export { Session } from './session.js';
export type { SyncOptions, SyncReport, SyncEvent, SyncPhase, VerifyResult } from './session.js';
export type { Action, TransferMethod, MirrorOptions } from './plan.js';
export type { ActionOutcome, ExecutionTotals } from './execute.js';
