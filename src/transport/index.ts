export { createMemoryLinkPair, MemoryTransport } from './memory.js';
export type { MemoryLinkOptions } from './memory.js';
export { connectFirst, TcpTransport } from './tcp.js';
export type { TcpLink, TcpTransportOptions } from './tcp.js';
export type { Link, Listener, Transport } from './transport.js';
export { secureLink, WIRE_VERSION } from './handshake.js';
export type { HandshakeOptions, MemberKeys, PeerIdentity } from './handshake.js';
export type { SecureLink } from './secure-link.js';
export { fingerprintText, normaliseFingerprint } from './fingerprint.js';
