#!/usr/bin/env node
// File writes wait on fsync in libuv's pool (4 threads by default): more threads let many small
// files be made durable at once. Set before anything uses the pool.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2));
