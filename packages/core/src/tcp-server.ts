import type { TcpServer, TcpServerOptions } from './types.js';
import { logSelection, selectBackend } from './select-backend.js';
import { createNodeTcpServer } from './backends/node/tcp-server.js';
import { createUringTcpServer } from './backends/io_uring/tcp-server.js';

/** A TCP server on the best backend available (see `options.backend`). */
export function createTcpServer(options: TcpServerOptions = {}): TcpServer {
  const sel = selectBackend(options.backend);
  logSelection(options.log, sel.reason);
  return sel.binding ? createUringTcpServer(sel.binding, options, sel.reason) : createNodeTcpServer(options, sel.reason);
}
