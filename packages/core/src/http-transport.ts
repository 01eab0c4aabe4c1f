import { defaultHttpLimits, type HttpLimits, type HttpTransport, type HttpTransportOptions } from './http-types.js';
import { logSelection, selectBackend } from './select-backend.js';
import { createNodeHttpTransport } from './backends/node/http-transport.js';
import { createUringHttpTransport } from './backends/io_uring/http-transport.js';

const MS_OPTIONS = ['headersTimeout', 'requestTimeout', 'keepAliveTimeout'] as const;

/** Fill defaults and validate limits, with messages that say what to do. */
export function resolveHttpLimits(partial: Partial<HttpLimits> = {}): HttpLimits {
  const limits = { ...defaultHttpLimits };
  for (const [key, value] of Object.entries(partial) as [keyof HttpLimits, unknown][]) {
    if (value === undefined) continue;
    if (!(key in defaultHttpLimits)) throw new TypeError(`Unknown HTTP limit "${key}"; known: ${Object.keys(defaultHttpLimits).join(', ')}`);
    const zeroOk = (MS_OPTIONS as readonly string[]).includes(key) || key === 'maxRequestsPerSocket';
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (!zeroOk && value === 0)) {
      const unit = (MS_OPTIONS as readonly string[]).includes(key) ? 'milliseconds, 0 to disable' : key === 'maxRequestsPerSocket' ? 'count, 0 for no limit' : key === 'maxHeaders' ? 'count' : 'bytes';
      throw new TypeError(`Option "${key}" must be a ${zeroOk ? 'non-negative' : 'positive'} integer (${unit}), got ${JSON.stringify(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}

/** An HTTP transport (parser + connection handling) on the best backend available. */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  if (typeof options?.onRequest !== 'function') throw new TypeError('createHttpTransport: option "onRequest" must be a function (req, res) => void');
  const limits = resolveHttpLimits(options.limits);
  const sel = selectBackend(options.backend);
  logSelection(options.log, sel.reason);
  return sel.binding
    ? createUringHttpTransport(sel.binding, options, limits, sel.reason)
    : createNodeHttpTransport(options, limits, sel.reason);
}
