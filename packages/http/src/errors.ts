/**
 * Every error Ringside raises or answers with has a code `RS_ERR_<AREA>_<WHAT>`,
 * an HTTP status, a message template and a doc line. docs/errors.md documents
 * the same table; test/errors-doc.test.ts fails when the two disagree.
 *
 * The RS_ERR_HTTP_* codes are sent by the transport (native parser or node
 * backend) before any route runs; they are listed here so that one table
 * documents every code a client can receive.
 */
import { STATUS_CODES } from 'node:http';

export interface ErrorDefinition {
  /** HTTP status answered when the error reaches a client (500 for start-up errors). */
  readonly status: number;
  /** Message template; each `%s` is replaced by the next argument. */
  readonly message: string;
  /** When it happens (the doc line). */
  readonly when: string;
  /** What to do about it. */
  readonly fix: string;
}

export const errorCodes = {
  // ---- transport (sent before the app sees the request) ----
  RS_ERR_HTTP_BAD_REQUEST: {
    status: 400,
    message: 'Malformed HTTP request',
    when: 'The request line or a header field is malformed; the transport answers and closes the connection.',
    fix: 'Fix the client so it sends valid HTTP/1.1 (RFC 9112).',
  },
  RS_ERR_HTTP_VERSION_NOT_SUPPORTED: {
    status: 505,
    message: 'Only HTTP/1.0 and HTTP/1.1 are supported',
    when: 'The request line names an HTTP version other than 1.0 or 1.1.',
    fix: 'Send HTTP/1.1; terminate HTTP/2 and HTTP/3 at a proxy in front of Ringside.',
  },
  RS_ERR_HTTP_URI_TOO_LONG: {
    status: 414,
    message: 'Request URL is longer than the limit',
    when: 'The request-target is longer than the maxUrlLength option (default 8 KiB).',
    fix: 'Shorten the URL (move data to the body) or raise the maxUrlLength option.',
  },
  RS_ERR_HTTP_HEADERS_TOO_LARGE: {
    status: 431,
    message: 'Request header section is larger than the limit',
    when: 'The request head is larger than maxHeaderSize (default 16 KiB) or has more than maxHeaders fields (default 2,000).',
    fix: 'Send fewer or smaller headers (often oversized cookies), or raise maxHeaderSize / maxHeaders.',
  },
  RS_ERR_HTTP_BODY_TOO_LARGE: {
    status: 413,
    message: 'Request body is larger than the limit',
    when: 'The body is larger than the largest bodyLimit of the app and its routes; the transport answers and closes the connection.',
    fix: 'Send a smaller body, or raise the bodyLimit option (app-wide or on the route).',
  },
  RS_ERR_HTTP_SMUGGLING: {
    status: 400,
    message: 'Ambiguous message framing (Content-Length/Transfer-Encoding)',
    when: 'The request carries both Content-Length and Transfer-Encoding, or conflicting Content-Length fields (a request-smuggling risk).',
    fix: 'Send exactly one framing header; if a proxy adds the other, fix the proxy.',
  },
  RS_ERR_HTTP_BAD_CHUNK: {
    status: 400,
    message: 'Invalid chunked body framing',
    when: 'A chunked request body has an invalid chunk size, extension or line ending.',
    fix: 'Fix the client\'s chunked encoding, or send the body with Content-Length.',
  },
  RS_ERR_HTTP_NOT_IMPLEMENTED: {
    status: 501,
    message: 'Unsupported transfer coding (only chunked is implemented)',
    when: 'The request uses a Transfer-Encoding other than chunked.',
    fix: 'Send the body with Content-Length or Transfer-Encoding: chunked only.',
  },
  RS_ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request was not received in time',
    when: 'The head did not arrive within headersTimeout, or the response was not sent within requestTimeout.',
    fix: 'Check for slow clients or slow handlers; raise headersTimeout / requestTimeout if the work legitimately takes longer.',
  },

  // ---- request body ----
  RS_ERR_BODY_TOO_LARGE: {
    status: 413,
    message: 'Request body is larger than the limit of %s bytes',
    when: 'The body (declared Content-Length or bytes received) is larger than the bodyLimit of the route.',
    fix: 'Send a smaller body, or raise bodyLimit on the route or the app; use { body: \'stream\' } for large uploads.',
  },
  RS_ERR_BODY_INVALID_JSON: {
    status: 400,
    message: 'Invalid JSON body: %s',
    when: 'The content type is application/json (or +json) and the body is not valid JSON, or contains a "__proto__" or "constructor.prototype" key.',
    fix: 'Send valid JSON, or send another content type.',
  },
  RS_ERR_BODY_EMPTY_JSON: {
    status: 400,
    message: 'Body cannot be empty when content-type is set to \'application/json\'',
    when: 'A request declares application/json with Content-Length: 0.',
    fix: 'Send a JSON body, or drop the Content-Type header when there is no body.',
  },
  RS_ERR_BODY_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Unsupported Media Type: %s',
    when: 'No content-type parser matches the body and the catch-all parser \'*\' was removed (by default unknown types are passed as a Buffer).',
    fix: 'Send a supported content type, or add a parser with app.addContentTypeParser().',
  },
  RS_ERR_BODY_ABORTED: {
    status: 400,
    message: 'The request body was not received completely: %s',
    when: 'The connection closed or failed while the body was being read (seen by streaming routes and in logs; the client is gone).',
    fix: 'Nothing on the server; the client aborted. Streaming handlers should handle the stream\'s error event.',
  },

  // ---- content-type parsers ----
  RS_ERR_CTP_INVALID: {
    status: 500,
    message: 'Invalid content-type parser: %s',
    when: 'addContentTypeParser() got a bad content type, options or parser function.',
    fix: 'Call addContentTypeParser(type: string | string[] | RegExp, { parseAs: \'string\' | \'buffer\' }, fn).',
  },
  RS_ERR_CTP_ALREADY_PRESENT: {
    status: 500,
    message: 'A content-type parser for \'%s\' is already registered in this scope',
    when: 'addContentTypeParser() was called twice for one content type in one scope.',
    fix: 'Register it once, or call removeContentTypeParser() first.',
  },

  // ---- routes ----
  RS_ERR_ROUTE_NOT_FOUND: {
    status: 404,
    message: 'Route %s:%s not found',
    when: 'No route matches the method and path (a wrong method also answers 404, as in fastify).',
    fix: 'Check the method and URL; add the route, or customise the answer with setNotFoundHandler().',
  },
  RS_ERR_ROUTE_BAD_URL: {
    status: 400,
    message: '\'%s\' is not a valid url component',
    when: 'The path has an invalid percent-encoding (e.g. /%zz).',
    fix: 'Fix the client: percent-encode reserved characters correctly.',
  },
  RS_ERR_ROUTE_DUPLICATE: {
    status: 500,
    message: 'Method \'%s\' already declared for route \'%s\'',
    when: 'Two routes have the same method, path and constraints.',
    fix: 'Remove one of them, or give them different constraints.',
  },
  RS_ERR_ROUTE_INVALID_METHOD: {
    status: 500,
    message: '%s is not a supported HTTP method',
    when: 'route() got a method that is not an HTTP method Ringside can route.',
    fix: 'Use an upper-case method such as GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.',
  },
  RS_ERR_ROUTE_INVALID: {
    status: 500,
    message: 'Invalid route %s: %s',
    when: 'A route has a bad path, handler or option (paths start with \'/\' or \'*\', handlers are functions).',
    fix: 'Fix the route definition as the message says.',
  },

  // ---- reply ----
  RS_ERR_REPLY_ALREADY_SENT: {
    status: 500,
    message: 'Reply was already sent (%s %s)',
    when: 'reply.send() was called again, or a handler returned a value after calling reply.send(); the second payload is ignored and a warning logged.',
    fix: 'Send once: either return the payload or call reply.send(), and return reply after calling send in an async handler.',
  },
  RS_ERR_REPLY_INVALID_PAYLOAD: {
    status: 500,
    message: 'Cannot send a payload of type %s%s',
    when: 'reply.send() got a function, symbol or bigint, or an object while the content-type is not JSON.',
    fix: 'Send a string, Buffer, stream or JSON-serializable value, or serialize the object yourself for non-JSON types.',
  },
  RS_ERR_REPLY_INVALID_STATUS: {
    status: 500,
    message: 'Invalid status code %s: must be an integer from 100 to 599',
    when: 'reply.code() got something that is not an HTTP status.',
    fix: 'Pass an integer from 100 to 599.',
  },
  RS_ERR_REPLY_INVALID_HEADER: {
    status: 500,
    message: 'Invalid header %s: %s',
    when: 'reply.header() got a name that is not an HTTP token or a value containing CR, LF or NUL (response splitting).',
    fix: 'Use token names and strip control characters from values.',
  },
  RS_ERR_REPLY_STREAM: {
    status: 500,
    message: 'The response stream failed: %s',
    when: 'A Readable passed to reply.send() emitted an error (before its first byte: a 500 answer; after it: the connection is closed).',
    fix: 'Handle the source\'s failure (missing file, upstream error) before sending the stream.',
  },

  // ---- hooks ----
  RS_ERR_HOOK_INVALID: {
    status: 500,
    message: 'Invalid hook: %s',
    when: 'addHook() got an unknown hook name, a non-function, or an async function that also takes a done callback.',
    fix: 'Use onRequest, preHandler, onSend, onResponse, onError or onClose with either an async function or a callback that calls done().',
  },
  RS_ERR_HOOK_DONE_TWICE: {
    status: 500,
    message: 'A %s hook called done() more than once',
    when: 'A callback-style hook called its done() twice; the second call is ignored and a warning logged.',
    fix: 'Call done() exactly once per hook call.',
  },

  // ---- plugins, decorators ----
  RS_ERR_PLUGIN_NOT_FUNCTION: {
    status: 500,
    message: 'register() expects a plugin function (app, opts) => void | Promise<void>, got %s',
    when: 'register() got something that is not a function (or a module whose default export is one).',
    fix: 'Pass the plugin function, or import the module and pass its default export.',
  },
  RS_ERR_DECORATOR_EXISTS: {
    status: 500,
    message: 'The decorator \'%s\' is already present',
    when: 'decorate(), decorateRequest() or decorateReply() used a name already taken (by a decorator or a built-in property).',
    fix: 'Choose another name; check with hasDecorator() / hasRequestDecorator() / hasReplyDecorator().',
  },
  RS_ERR_DECORATOR_REFERENCE_TYPE: {
    status: 500,
    message: 'The decorator \'%s\' of %s must not be an object or array shared by every %s',
    when: 'decorateRequest() or decorateReply() got an object or array value, which every request would share.',
    fix: 'Decorate with null and assign a fresh value in an onRequest hook, or pass { getter } to compute it.',
  },

  // ---- app lifecycle, options ----
  RS_ERR_OPTION_INVALID: {
    status: 500,
    message: '%s',
    when: 'createApp() or listen() got an unknown option or an invalid value; the message names the option and what it accepts.',
    fix: 'Fix the option as the message says (see the options table in packages/http/README.md).',
  },
  RS_ERR_APP_ALREADY_STARTED: {
    status: 500,
    message: 'Cannot %s once the app is ready',
    when: 'A route, hook, plugin, decorator or handler was added after ready(), listen() or inject() finished loading the app.',
    fix: 'Add everything before calling ready(), listen() or inject().',
  },
  RS_ERR_APP_ALREADY_LISTENING: {
    status: 500,
    message: 'The app is already listening',
    when: 'listen() was called twice.',
    fix: 'Call listen() once per app; create another app for another port.',
  },
  RS_ERR_APP_CLOSED: {
    status: 500,
    message: 'The app is closed',
    when: 'listen() or inject() was called after close().',
    fix: 'Create a new app.',
  },
  RS_ERR_INTERNAL: {
    status: 500,
    message: 'Internal Server Error: %s',
    when: 'The framework failed to write a response (for example a transport error); the connection is closed.',
    fix: 'Report a bug with the logged stack trace.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCodes;

/** An error with a Ringside code and an HTTP status. */
export class RingsideError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RingsideError';
    this.code = code;
    this.statusCode = errorCodes[code].status;
  }
}

/** Build the error `code` with its message template filled from `args`. */
export function createError(code: ErrorCode, ...args: unknown[]): RingsideError {
  let i = 0;
  const message = errorCodes[code].message.replace(/%s/g, () => (i < args.length ? String(args[i++]) : ''));
  return new RingsideError(code, message);
}

/** The reason phrase of a status, e.g. 'Not Found'. */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : status >= 400 ? 'Bad Request' : 'Unknown');
}
