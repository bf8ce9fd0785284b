export { RemoteDataNode } from './remote-node.js';
export { serveNode } from './node-server.js';
export { PROTOCOL_VERSION } from '../protocol/messages.js';
