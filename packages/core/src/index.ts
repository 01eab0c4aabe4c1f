export type * from './types.js';
export type * from './http-types.js';
export { defaultHttpLimits, httpLimitProblem, MAX_HEADERS_LIMIT } from './http-types.js';
export { createTcpServer } from './tcp-server.js';
export { createHttpTransport, resolveHttpLimits } from './http-transport.js';
export { selectBackend, ioUringUnavailableReason } from './select-backend.js';
export { probe } from './probe.js';
export { runWorkers, workerIndex } from './workers.js';
export type { WorkersHandle, WorkersOptions } from './workers.js';
