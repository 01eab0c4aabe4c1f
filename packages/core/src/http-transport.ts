import { defaultHttpLimits, httpLimitProblem, type HttpLimits, type HttpTransport, type HttpTransportOptions } from './http-types.js';
import { logSelection, nativeDriver, selectBackend } from './select-backend.js';
import { createNodeHttpTransport } from './backends/node/http-transport.js';
import { createNativeHttpTransport } from './backends/native/http-transport.js';

/** Fill defaults and validate limits, with messages that say what to do. */
export function resolveHttpLimits(partial: Partial<HttpLimits> = {}): HttpLimits {
  const limits = { ...defaultHttpLimits };
  for (const [key, value] of Object.entries(partial) as [keyof HttpLimits, unknown][]) {
    if (value === undefined) continue;
    if (!(key in defaultHttpLimits)) throw new TypeError(`Unknown HTTP limit "${key}"; known: ${Object.keys(defaultHttpLimits).join(', ')}`);
    const problem = httpLimitProblem(key, value);
    if (problem) throw new TypeError(problem);
    limits[key] = value as number;
  }
  return limits;
}

/** An HTTP transport (parser + connection handling) on the best backend available. */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  if (typeof options?.onRequest !== 'function') throw new TypeError('createHttpTransport: option "onRequest" must be a function (req, res) => void');
  const limits = resolveHttpLimits(options.limits);
  const sel = selectBackend(options.backend);
  logSelection(options.log, sel.reason);
  const driver = nativeDriver(sel);
  return sel.binding && driver
    ? createNativeHttpTransport(sel.binding, driver, options, limits, sel.reason)
    : createNodeHttpTransport(options, limits, sel.reason);
}
