import type { TcpServer, TcpServerOptions } from './types.js';
import { logSelection, nativeDriver, selectBackend } from './select-backend.js';
import { createNodeTcpServer } from './backends/node/tcp-server.js';
import { createNativeTcpServer } from './backends/native/tcp-server.js';

function check(name: string, value: unknown, ok: (v: number) => boolean, what: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || !ok(value))
    throw new TypeError(`Option "${name}" must be ${what}, got ${JSON.stringify(value)}`);
}

/** Validate options up front, with messages that say what to do. */
function validate(options: TcpServerOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('createTcpServer(options): options must be an object');
  for (const cb of ['onOpen', 'onData', 'onEnd', 'onDrain', 'onClose'] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== 'function') throw new TypeError(`Option "${cb}" must be a function`);
  }
  check('highWaterMark', options.highWaterMark, (v) => v > 0, 'a positive integer (bytes)');
  check(
    'bufferCount',
    options.bufferCount,
    (v) => v >= 1 && v <= 32768 && (v & (v - 1)) === 0,
    'a power of two from 1 to 32768 (buffers in the io_uring buffer ring)',
  );
  check('bufferSize', options.bufferSize, (v) => v >= 512 && v <= 1 << 20, 'an integer from 512 to 1048576 (bytes per ring buffer)');
}

/** A TCP server on the best backend available (see `options.backend`). */
export function createTcpServer(options: TcpServerOptions = {}): TcpServer {
  validate(options);
  const sel = selectBackend(options.backend);
  logSelection(options.log, sel.reason);
  const driver = nativeDriver(sel);
  return sel.binding && driver ? createNativeTcpServer(sel.binding, driver, options, sel.reason) : createNodeTcpServer(options, sel.reason);
}
