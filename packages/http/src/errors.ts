/**
 * Every error Ringside raises or answers with has a code, an HTTP status, a
 * message template and a doc line. Where fastify has an error for the same
 * situation the code is fastify's (`FST_ERR_*`, same message), so apps and
 * plugins that match on codes keep working; errors fastify does not have are
 * `RS_ERR_<AREA>_<WHAT>`. docs/errors.md documents
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
    fix: "Fix the client's chunked encoding, or send the body with Content-Length.",
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
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    message: 'Request body is too large',
    when: 'The body (declared Content-Length or bytes received) is larger than the bodyLimit of the route.',
    fix: "Send a smaller body, or raise bodyLimit on the route or the app; use { body: 'stream' } for large uploads.",
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    message: "Body is not valid JSON but content-type is set to 'application/json'",
    when: 'The content type is application/json (or +json) and the body is not valid JSON, or has a "__proto__" or "constructor.prototype" key (with onProtoPoisoning / onConstructorPoisoning \'error\', the default); the parser\'s reason is the error\'s cause.',
    fix: 'Send valid JSON without those keys, or send another content type.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    message: "Body cannot be empty when content-type is set to 'application/json'",
    when: 'A request declares application/json with Content-Length: 0.',
    fix: 'Send a JSON body, or drop the Content-Type header when there is no body.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    message: 'Unsupported Media Type',
    when: "A request has a body whose Content-Type is malformed or has no content-type parser (or has no Content-Type at all), as in fastify; add a catch-all parser '*' to accept any type.",
    fix: "Send a supported content type, or add a parser with app.addContentTypeParser() ('*' catches every type).",
  },
  RS_ERR_BODY_ABORTED: {
    status: 400,
    message: 'The request body was not received completely: %s',
    when: 'The connection closed or failed while the body was being read (seen by streaming routes and in logs; the client is gone).',
    fix: "Nothing on the server; the client aborted. Streaming handlers should handle the stream's error event.",
  },

  // ---- content-type parsers ----
  RS_ERR_CTP_INVALID: {
    status: 500,
    message: 'Invalid content-type parser: %s',
    when: 'addContentTypeParser() got a bad content type, options or parser function.',
    fix: "Call addContentTypeParser(type: string | string[] | RegExp, { parseAs: 'string' | 'buffer' }, fn).",
  },
  FST_ERR_CTP_ALREADY_PRESENT: {
    status: 500,
    message: "A content-type parser for '%s' is already registered in this scope",
    when: 'addContentTypeParser() was called twice for one content type in one scope.',
    fix: 'Register it once, or call removeContentTypeParser() first.',
  },

  // ---- schemas: validation and serialization (fastify's codes) ----
  FST_ERR_VALIDATION: {
    status: 400,
    message: '%s',
    when: 'The body, querystring, params or headers do not match the route\'s schema; the message names the part and the problem, e.g. "body/name must be string".',
    fix: 'Send a request that matches the schema, or set attachValidation: true on the route to handle req.validationError yourself.',
  },
  FST_ERR_SCH_MISSING_ID: {
    status: 500,
    message: 'Missing schema $id property',
    when: 'addSchema() got a schema without an $id.',
    fix: "Give the shared schema an $id and reference it with { $ref: 'id#' }.",
  },
  FST_ERR_SCH_ALREADY_PRESENT: {
    status: 500,
    message: "Schema with id '%s' already declared!",
    when: 'addSchema() was called twice with one $id in one scope.',
    fix: 'Add each shared schema once (in the root scope, or in a plugin scope for that plugin only).',
  },
  FST_ERR_SCH_DUPLICATE: {
    status: 500,
    message: "Schema with '%s' already present!",
    when: 'A route schema has both query and querystring (they are aliases).',
    fix: 'Keep one of them.',
  },
  FST_ERR_SCH_CONTENT_MISSING_SCHEMA: {
    status: 500,
    message: "Schema is missing for the content type '%s'",
    when: 'A body or response schema keyed by content type has an entry without a schema.',
    fix: "Write { content: { 'application/json': { schema: { ... } } } }.",
  },
  FST_ERR_ROUTE_BODY_VALIDATION_SCHEMA_NOT_SUPPORTED: {
    status: 500,
    message: 'Body validation schema for %s:%s route is not supported!',
    when: 'A GET, HEAD or TRACE route has a body schema (those methods have no body to validate).',
    fix: 'Remove schema.body, or use a method that carries a body (POST, PUT, PATCH…).',
  },
  FST_ERR_SCH_VALIDATION_BUILD: {
    status: 500,
    message: 'Failed building the validation schema for %s: %s, due to error %s',
    when: "The validator compiler (ajv by default) refused a route's body, querystring, params or headers schema at ready(), e.g. an unknown $ref or keyword.",
    fix: "Fix the schema as the message says; add referenced schemas with addSchema() in the route's scope or a parent.",
  },
  FST_ERR_SCH_SERIALIZATION_BUILD: {
    status: 500,
    message: 'Failed building the serialization schema for %s: %s, due to error %s',
    when: "The serializer compiler (fast-json-stringify by default) refused a route's response schema at ready().",
    fix: 'Fix the response schema as the message says.',
  },
  FST_ERR_SCH_RESPONSE_SCHEMA_NOT_NESTED_2XX: {
    status: 500,
    message: 'response schemas should be nested under a valid status code, e.g { 2xx: { type: "object" } }',
    when: "A response schema key is not a status code (200), a class ('2xx') or 'default'.",
    fix: "Key response schemas by status: { response: { 200: schema, '4xx': schema, default: schema } }.",
  },
  FST_ERR_SCHEMA_ERROR_FORMATTER_NOT_FN: {
    status: 500,
    message: 'schemaErrorFormatter option wrongly specified. It should be a function, but got %s',
    when: 'setSchemaErrorFormatter() or the schemaErrorFormatter option got something other than a function.',
    fix: 'Pass (errors, dataVar) => Error.',
  },
  FST_ERR_SCHEMA_CONTROLLER_BUCKET_OPT_NOT_FN: {
    status: 500,
    message: "schemaController.bucket option should be a function, instead got '%s'",
    when: 'The schemaController.bucket option is not a function.',
    fix: 'Pass (parentSchemas) => ({ add, getSchema, getSchemas }), or leave it out.',
  },
  FST_ERR_REP_RESPONSE_BODY_CONSUMED: {
    status: 500,
    message: 'Response.body is already consumed.',
    when: 'reply.send() got a web Response whose body was already read.',
    fix: 'Send a fresh Response (or response.clone() before reading it).',
  },
  FST_ERR_FAILED_ERROR_SERIALIZATION: {
    status: 500,
    message: 'Failed to serialize an error. Error: %s. Original error: %s',
    when: "The route's response schema for an error's status could not serialize the default error answer.",
    fix: 'Make the response schema for error statuses accept { statusCode, code, error, message }.',
  },
  FST_ERR_MISSING_SERIALIZATION_FN: {
    status: 500,
    message: 'Missing serialization function. Key "%s"',
    when: 'reply.serializeInput() was given a status that the route has no response schema for.',
    fix: 'Add a response schema for that status, or pass a schema instead of a status.',
  },
  FST_ERR_REQ_INVALID_VALIDATION_INVOCATION: {
    status: 500,
    message: 'Invalid validation invocation. Missing validation function for HTTP part "%s" nor schema provided.',
    when: 'req.validateInput() was given an HTTP part that the route has no schema for, and no schema.',
    fix: 'Pass a schema, or give the route a schema for that part.',
  },

  // ---- routes ----
  RS_ERR_ROUTE_NOT_FOUND: {
    status: 404,
    message: 'Route %s:%s not found',
    when: 'No route matches the method and path (a wrong method also answers 404, as in fastify).',
    fix: 'Check the method and URL; add the route, or customise the answer with setNotFoundHandler().',
  },
  FST_ERR_BAD_URL: {
    status: 400,
    message: "'%s' is not a valid url component",
    when: 'The path has an invalid percent-encoding (e.g. /%zz).',
    fix: 'Fix the client: percent-encode reserved characters correctly.',
  },
  FST_ERR_DUPLICATED_ROUTE: {
    status: 500,
    message: "Method '%s' already declared for route '%s'",
    when: 'Two routes have the same method, path and constraints.',
    fix: 'Remove one of them, or give them different constraints.',
  },
  FST_ERR_ROUTE_METHOD_NOT_SUPPORTED: {
    status: 500,
    message: '%s is not a supported HTTP method',
    when: 'route() got a method that is not an HTTP method Ringside can route.',
    fix: 'Use an upper-case method such as GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.',
  },
  RS_ERR_ROUTE_INVALID: {
    status: 500,
    message: 'Invalid route %s: %s',
    when: "A route has a bad path, handler or option (paths start with '/' or '*', handlers are functions).",
    fix: 'Fix the route definition as the message says.',
  },

  // ---- WebSocket routes ----
  RS_ERR_WS_UPGRADE_REQUIRED: {
    status: 426,
    message: 'This route speaks WebSocket version 13 only',
    when: 'A request to an app.websocket() route is not a WebSocket upgrade, or asks for a version other than 13 (the answer carries Sec-WebSocket-Version: 13).',
    fix: 'Connect with a WebSocket client (RFC 6455, version 13).',
  },
  RS_ERR_WS_BAD_UPGRADE: {
    status: 400,
    message: 'Invalid WebSocket upgrade request: %s',
    when: 'A version 13 upgrade to an app.websocket() route lacks Connection: upgrade, has a Sec-WebSocket-Key that is not 16 bytes of base64, or a malformed Sec-WebSocket-Protocol.',
    fix: 'Fix the client so it sends the opening handshake of RFC 6455 §4.1.',
  },
  RS_ERR_WS_REFUSED: {
    status: 403,
    message: 'WebSocket upgrade refused',
    when: "The route's upgrade() returned false without answering itself.",
    fix: 'Expected when the app refuses the client; answer with reply.code(…).send() in upgrade() for another status.',
  },

  // ---- reply ----
  FST_ERR_REP_ALREADY_SENT: {
    status: 500,
    message: 'Reply was already sent (%s %s)',
    when: 'reply.send() was called again, or a handler returned a value after calling reply.send(); the second payload is ignored and a warning logged.',
    fix: 'Send once: either return the payload or call reply.send(), and return reply after calling send in an async handler.',
  },
  FST_ERR_REP_INVALID_PAYLOAD_TYPE: {
    status: 500,
    message: 'Cannot send a payload of type %s%s',
    when: 'reply.send() got a function, symbol or bigint, or an object while the content-type is not JSON.',
    fix: 'Send a string, Buffer, stream or JSON-serializable value, or serialize the object yourself for non-JSON types.',
  },
  FST_ERR_BAD_STATUS_CODE: {
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
    fix: "Handle the source's failure (missing file, upstream error) before sending the stream.",
  },
  FST_ERR_BAD_TRAILER_NAME: {
    status: 500,
    message: 'Called reply.trailer with an invalid header name: %s',
    when: 'reply.trailer() named a field that may not be a trailer (content-length, transfer-encoding, host, authorization, set-cookie, content-type…).',
    fix: 'Send that field as a header instead.',
  },
  FST_ERR_BAD_TRAILER_VALUE: {
    status: 500,
    message: 'Did not set reply.trailer value for header %s to a function. Got: %s',
    when: 'reply.trailer() got something other than a function computing the value.',
    fix: 'Pass (reply, payload, done) => done(null, value) or an async function returning the value.',
  },

  // ---- hooks (fastify's codes) ----
  FST_ERR_HOOK_INVALID_TYPE: {
    status: 500,
    message: 'The hook name must be a string',
    when: 'addHook() got a hook name that is not a string.',
    fix: "Pass the hook name as a string, e.g. addHook('onRequest', fn).",
  },
  FST_ERR_HOOK_NOT_SUPPORTED: {
    status: 500,
    message: '%s hook not supported!',
    when: 'addHook() (or a route option) named a hook that does not exist.',
    fix: "Use one of fastify's hooks: onRequest, preParsing, preValidation, preHandler, preSerialization, onSend, onResponse, onError, onTimeout, onRequestAbort, onRoute, onRegister, onReady, onListen, preClose, onClose.",
  },
  FST_ERR_HOOK_INVALID_HANDLER: {
    status: 500,
    message: '%s hook should be a function, instead got %s',
    when: 'addHook() or a route hook option got something that is not a function.',
    fix: 'Pass a function (or an array of functions in route options).',
  },
  FST_ERR_HOOK_INVALID_ASYNC_HANDLER: {
    status: 500,
    message: "Async function has too many arguments. Async hooks should not use the 'done' argument.",
    when: 'An async function hook also declares the done callback parameter.',
    fix: 'Use either an async function (resolve to continue) or a plain function that calls done().',
  },
  FST_ERR_HOOK_TIMEOUT: {
    status: 500,
    message: "A callback for '%s' hook%s timed out. You may have forgotten to call 'done' function or to resolve a Promise",
    when: 'An onReady hook did not finish within pluginTimeout.',
    fix: 'Call done() or resolve the returned promise; raise pluginTimeout if the work takes longer.',
  },
  RS_ERR_HOOK_DONE_TWICE: {
    status: 500,
    message: 'A %s hook called done() more than once',
    when: 'A callback-style hook called its done() twice; the second call is ignored and a warning logged.',
    fix: 'Call done() exactly once per hook call.',
  },

  // ---- plugins (fastify's codes; avvio's errors are reported under these) ----
  FST_ERR_PLUGIN_NOT_VALID: {
    status: 500,
    message: 'fastify-plugin: %s',
    when: 'register() got something that is not a plugin function (or a module whose default export is one).',
    fix: 'Pass the plugin function, or import the module and pass its default export.',
  },
  FST_ERR_PLUGIN_CALLBACK_NOT_FN: {
    status: 500,
    message: 'fastify-plugin: %s',
    when: 'after(), ready(), close() or onClose() got a callback that is not a function.',
    fix: 'Pass a function, or call without an argument to get a promise.',
  },
  FST_ERR_PLUGIN_TIMEOUT: {
    status: 500,
    message: 'fastify-plugin: %s',
    when: 'A plugin did not call done() or resolve its promise within pluginTimeout (default 10 s).',
    fix: 'Call done() (callback plugins) or resolve (async plugins); raise pluginTimeout if loading takes longer.',
  },
  FST_ERR_ROOT_PLG_BOOTED: {
    status: 500,
    message: 'fastify-plugin: %s',
    when: 'register() was called after the app finished loading.',
    fix: 'Register every plugin before ready(), listen() or inject().',
  },
  FST_ERR_PARENT_PLUGIN_BOOTED: {
    status: 500,
    message: 'fastify-plugin: %s',
    when: 'A plugin registered another plugin after its own loading had finished (for example from a timer).',
    fix: 'Register nested plugins synchronously in the plugin body, or await them there.',
  },
  FST_ERR_PLUGIN_VERSION_MISMATCH: {
    status: 500,
    message: "fastify-plugin: %s - expected '%s' fastify version, '%s' is installed",
    when: "A plugin's fastify-plugin metadata asks for a fastify version range that app.version does not satisfy.",
    fix: 'Use a plugin release made for fastify 5.',
  },
  FST_ERR_PLUGIN_NOT_PRESENT_IN_INSTANCE: {
    status: 500,
    message: "The decorator '%s'%s is not present in %s",
    when: "A plugin's metadata lists a decorator it needs that the app scope does not have.",
    fix: 'Register the plugin that adds the decorator first (wrapped with fastify-plugin so it is visible).',
  },
  FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED: {
    status: 500,
    message: "The dependency '%s' of plugin '%s' is not registered",
    when: "A plugin's metadata names a dependency that was not registered before it.",
    fix: 'Register the dependency before the plugin that needs it.',
  },
  FST_ERR_PLUGIN_INVALID_ASYNC_HANDLER: {
    status: 500,
    message: 'The %s plugin being registered mixes async and callback styles. Async plugin should not mix async and callback style.',
    when: 'An async plugin function also declares the done callback parameter.',
    fix: 'Drop done from the async plugin, or make it a plain function that calls done().',
  },

  // ---- decorators (fastify's codes) ----
  FST_ERR_DEC_ALREADY_PRESENT: {
    status: 500,
    message: "The decorator '%s' has already been added!",
    when: 'decorate(), decorateRequest() or decorateReply() used a name already taken (by a decorator or a built-in property).',
    fix: 'Choose another name; check with hasDecorator() / hasRequestDecorator() / hasReplyDecorator().',
  },
  FST_ERR_DEC_REFERENCE_TYPE: {
    status: 500,
    message: "The decorator '%s' of type '%s' is a reference type. Use the { getter, setter } interface instead.",
    when: 'decorateRequest() or decorateReply() got an object or array value, which every request would share.',
    fix: 'Decorate with null and assign a fresh value in an onRequest hook, or pass { getter } to compute it.',
  },
  FST_ERR_DEC_MISSING_DEPENDENCY: {
    status: 500,
    message: "The decorator is missing dependency '%s'.",
    when: 'A decorator was added with dependencies (third argument) that are not decorators of the scope.',
    fix: 'Add the decorators it depends on first.',
  },
  FST_ERR_DEC_AFTER_START: {
    status: 500,
    message: "The decorator '%s' has been added after start!",
    when: 'decorate(), decorateRequest() or decorateReply() was called once the app was ready.',
    fix: 'Add decorators before ready(), listen() or inject(), in a plugin or at the top level.',
  },
  FST_ERR_DEC_UNDECLARED: {
    status: 500,
    message: "No decorator '%s' has been declared on %s.",
    when: 'getDecorator() asked for a name that is not a decorator of the scope.',
    fix: 'Declare it with decorate() first, or check with hasDecorator().',
  },

  // ---- app lifecycle, options ----
  FST_ERR_INSTANCE_ALREADY_LISTENING: {
    status: 500,
    message: 'Fastify instance is already listening. %s',
    when: 'A route, hook, plugin or handler was added after ready(), listen() or inject() finished loading the app.',
    fix: 'Add everything before calling ready(), listen() or inject().',
  },
  FST_ERR_REOPENED_SERVER: {
    status: 500,
    message: 'Fastify is already listening',
    when: 'listen() was called twice.',
    fix: 'Call listen() once per app; create another app for another port.',
  },
  FST_ERR_REOPENED_CLOSE_SERVER: {
    status: 500,
    message: 'Fastify has already been closed and cannot be reopened',
    when: 'listen() or inject() was called after close().',
    fix: 'Create a new app.',
  },
  FST_ERR_ERROR_HANDLER_NOT_FN: {
    status: 500,
    message: 'Error Handler must be a function',
    when: 'setErrorHandler() got something that is not a function.',
    fix: 'Pass a function (error, request, reply).',
  },
  FST_ERR_LOG_LOGGER_AND_LOGGER_INSTANCE_PROVIDED: {
    status: 500,
    message: 'You cannot provide both logger and loggerInstance. Please provide only one.',
    when: 'createApp() got both the logger and the loggerInstance option.',
    fix: 'Pass pino options as logger, or a logger object as loggerInstance, not both.',
  },
  FST_ERR_LOG_INVALID_LOGGER_INSTANCE: {
    status: 500,
    message: 'loggerInstance only accepts a logger instance.',
    when: 'The loggerInstance option is not a logger (an object with info, error, debug, fatal, warn, trace and child).',
    fix: 'Pass a pino logger (or one with the same methods) as loggerInstance.',
  },
  FST_ERR_LISTEN_OPTIONS_INVALID: {
    status: 500,
    message: "Invalid listen options: '%s'",
    when: 'listen() got a callback in a position where options were expected, or options that are not an object.',
    fix: 'Call listen(options) or listen(options, callback).',
  },
  RS_ERR_OPTION_UNSUPPORTED: {
    status: 500,
    message: 'Option "%s" is not supported by Ringside: %s',
    when: 'createApp() got a fastify option for a feature Ringside does not have (http2, https, serverFactory); the message says why.',
    fix: 'Remove the option; terminate TLS and HTTP/2 at a proxy in front of Ringside (see docs/migrating-from-fastify.md).',
  },
  RS_ERR_OPTION_INVALID: {
    status: 500,
    message: '%s',
    when: 'createApp() or listen() got an unknown option or an invalid value; the message names the option and what it accepts.',
    fix: 'Fix the option as the message says (see the options table in packages/http/README.md).',
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
