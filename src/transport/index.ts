export { createMemoryLinkPair, MemoryTransport } from './memory.js';
export type { MemoryLinkOptions } from './memory.js';
export { connectFirst, TcpTransport } from './tcp.js';
export type { TcpLink, TcpTransportOptions } from './tcp.js';
export type { Link, Listener, Transport } from './transport.js';
