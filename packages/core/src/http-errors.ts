/**
 * Transport-level error answers, in the same JSON shape as the native
 * parser's precomputed responses (packages/native/src/http_parser.cc) and
 * @ringside/http's errors, so a client sees one format whichever layer refused.
 */
export interface TransportError {
  status: number;
  code: string;
  error: string;
  message: string;
}

export const transportErrors = {
  badRequest: { status: 400, code: 'RS_ERR_HTTP_BAD_REQUEST', error: 'Bad Request', message: 'Malformed HTTP request' },
  badChunk: { status: 400, code: 'RS_ERR_HTTP_BAD_CHUNK', error: 'Bad Request', message: 'Invalid chunked body framing' },
  bodyTooLarge: { status: 413, code: 'RS_ERR_HTTP_BODY_TOO_LARGE', error: 'Payload Too Large', message: 'Request body is larger than the limit' },
  uriTooLong: { status: 414, code: 'RS_ERR_HTTP_URI_TOO_LONG', error: 'URI Too Long', message: 'Request URL is longer than the limit' },
  headersTooLarge: {
    status: 431,
    code: 'RS_ERR_HTTP_HEADERS_TOO_LARGE',
    error: 'Request Header Fields Too Large',
    message: 'Request header section is larger than the limit',
  },
  tooManyHeaders: {
    status: 431,
    code: 'RS_ERR_HTTP_HEADERS_TOO_LARGE',
    error: 'Request Header Fields Too Large',
    message: 'Request has more header fields than the limit',
  },
  smuggling: { status: 400, code: 'RS_ERR_HTTP_SMUGGLING', error: 'Bad Request', message: 'Ambiguous message framing (Content-Length/Transfer-Encoding)' },
  notImplemented: {
    status: 501,
    code: 'RS_ERR_HTTP_NOT_IMPLEMENTED',
    error: 'Not Implemented',
    message: 'Unsupported transfer coding (only chunked is implemented)',
  },
  versionNotSupported: {
    status: 505,
    code: 'RS_ERR_HTTP_VERSION_NOT_SUPPORTED',
    error: 'HTTP Version Not Supported',
    message: 'Only HTTP/1.0 and HTTP/1.1 are supported',
  },
  requestTimeout: { status: 408, code: 'RS_ERR_HTTP_REQUEST_TIMEOUT', error: 'Request Timeout', message: 'The request was not received in time' },
} satisfies Record<string, TransportError>;

export function errorBody(e: TransportError): string {
  return JSON.stringify({ statusCode: e.status, code: e.code, error: e.error, message: e.message });
}

/**
 * A complete HTTP/1.1 response for `e`, closing the connection, with a Date
 * header (IMF-fixdate) for `date`; to a HEAD request (`head`), the head alone.
 */
export function errorResponse(e: TransportError, date: Date = new Date(), head = false): string {
  const body = errorBody(e);
  return `HTTP/1.1 ${e.status} ${e.error}\r\nDate: ${date.toUTCString()}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`;
}
