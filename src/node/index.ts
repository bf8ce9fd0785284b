export { LocalDataNode, STATE_FOLDER_NAME } from './local-node.js';
export type { LocalDataNodeOptions } from './local-node.js';
export type { DataNode, SourceSpec, InventoryOptions } from './data-node.js';
export type { InventoryEntry, InventoryProgress, HashPolicy } from './inventory.js';
export type { ScanEntry, SkippedEntry, EntryType } from './scan.js';
export { compareInventories, emptySummary } from './compare.js';
export type { ComparisonRow, ComparisonStatus, ComparisonSummary } from './compare.js';
export { comparePaths, collisionKey, isSafeInventoryPath } from './paths.js';
export { IgnoreRules } from './ignore.js';
