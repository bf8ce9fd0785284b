export { createMemoryLinkPair, MemoryTransport } from './memory.js';
export type { MemoryLinkOptions } from './memory.js';
export type { Link, Listener, Transport } from './transport.js';
