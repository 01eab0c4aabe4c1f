import { LINGER_MS, OUTPUT_HIGH_WATER } from '@ringside/native';
import type { HttpRequestHandler, RawRequest, RawResponse } from './http-types.js';

/**
 * Constants both backends share and the 500 guard around the app's handler,
 * written once. (The constants are the native loop's, from
 * packages/native/src/transport_limits.h through @ringside/native.) The other shared
 * HTTP rules: http-framing.ts (response framing and validation),
 * keep-alive.ts, body-reader.ts.
 */

/** Bytes of unsent output past which a response's write() returns false (and native stops parsing). */
export const HTTP_HIGH_WATER_MARK = OUTPUT_HIGH_WATER;

/** After our FIN, read and drop for this long before closing, so unread input never turns into an RST. */
export { LINGER_MS };

/**
 * Call the app's request handler. The framework answers its own errors; this
 * guards the transport against a bare handler that throws: 500 if nothing was
 * written yet, and a warning either way.
 */
export function runHandler(onRequest: HttpRequestHandler, req: RawRequest, res: RawResponse & { readonly started: boolean }): void {
  try {
    onRequest(req, res);
  } catch (err) {
    if (!res.started)
      res.send(
        500,
        { 'content-type': 'application/json; charset=utf-8' },
        JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error' }),
      );
    process.emitWarning(`ringside: onRequest threw: ${(err as Error)?.stack ?? err}`);
  }
}
