export * from './engine/index.js';
export * from './node/index.js';
export * from './errors.js';
export * from './session/index.js';
export * from './transport/index.js';
export * from './remote/index.js';
