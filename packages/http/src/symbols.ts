/**
 * Private state of apps, requests and replies lives under these symbols, so
 * nothing internal sits under a string key on a public object.
 */

// ---- app scopes (one object per plugin scope, prototype-linked to its parent) ----
/** Shared state of the whole app (router, routes, transport, logger). */
export const kRoot = Symbol('ringside.root');
/** This scope's hook arrays (copied from the parent when the scope is created). */
export const kHooks = Symbol('ringside.hooks');
/** URL prefix of the scope. */
export const kPrefix = Symbol('ringside.prefix');
/** The error handler set in this scope (own property only where setErrorHandler was called). */
export const kErrorHandler = Symbol('ringside.errorHandler');
/** The not-found handler set in this scope. */
export const kNotFoundHandler = Symbol('ringside.notFoundHandler');
/** Content-type parsers of the scope. */
export const kParsers = Symbol('ringside.contentTypeParsers');
/** The Request / Reply classes of the scope (subclassed on the first decorateRequest/decorateReply). */
export const kRequestClass = Symbol('ringside.Request');
export const kReplyClass = Symbol('ringside.Reply');
/** JSON serializer of the scope (setReplySerializer). */
export const kSerializer = Symbol('ringside.serializer');
/** Shared schemas and compilers of the scope (own property once the scope writes to it). */
export const kSchemaController = Symbol('ringside.schemaController');
/** setSchemaErrorFormatter() of the scope. */
export const kSchemaErrorFormatter = Symbol('ringside.schemaErrorFormatter');
/** The scope this one was created from. */
export const kParent = Symbol('ringside.parent');
/** The avvio instance that loads the app's plugins (on the root scope). */
export const kAvvio = Symbol('ringside.avvio');
/** avvio's own ready(), kept when App.ready replaces it (runs a callback in avvio's ready queue). */
export const kAvvioReady = Symbol('ringside.avvioReady');
/** Child scopes created by register(), in order (application hooks run over this tree). */
export const kChildren = Symbol('ringside.children');
/** Names of the plugins that ran in this scope: fastify's plugin name chain. */
export const kPluginNameChain = Symbol('ringside.pluginNameChain');
/** Names (plugin-meta `name`) of the plugins registered in this scope and its ancestors. */
export const kRegisteredPlugins = Symbol.for('registered-plugin');
/** Request id generator of the scope (setGenReqId; the app's genReqId / requestIdHeader at the root). */
export const kGenReqId = Symbol('ringside.genReqId');
/** The route log level of the scope (register(p, { logLevel })). */
export const kLogLevel = Symbol('ringside.logLevel');
/**
 * fastify-plugin's marks, read from a plugin function. Symbol.for, so that
 * plugins wrapped by fastify-plugin need nothing from this module.
 */
export const kSkipOverride = Symbol.for('skip-override');
export const kDisplayName = Symbol.for('fastify.display-name');
export const kPluginMeta = Symbol.for('plugin-meta');

// ---- Request / Reply classes ----
/** Instance properties added by decorateRequest / decorateReply with a primitive value. */
export const kDecoratorProps = Symbol('ringside.decoratorProps');

// ---- requests ----
export const kContext = Symbol('ringside.context');
export const kQueryString = Symbol('ringside.queryString');
export const kQuery = Symbol('ringside.query');
/** Arrival number of the request (for default ids). */
export const kSeq = Symbol('ringside.seq');
export const kId = Symbol('ringside.id');
export const kLog = Symbol('ringside.log');
export const kStart = Symbol('ringside.start');
/** 0: not read, 1: reading, 2: read (or discarded). */
export const kBodyState = Symbol('ringside.bodyState');
/** The transport's RawRequest / RawResponse (request.raw and reply.raw are the Node-shaped views, built on first use). */
export const kTransportRequest = Symbol('ringside.transportRequest');
export const kTransportResponse = Symbol('ringside.transportResponse');
/** The Node-shaped request.raw / reply.raw once built; null until first read. */
export const kNodeRequest = Symbol('ringside.nodeRequest');
export const kNodeResponse = Symbol('ringside.nodeResponse');

// ---- replies ----
export const kSent = Symbol('ringside.sent');
export const kHeaders = Symbol('ringside.headers');
/** The transport has the head (raw.send / raw.writeHead was called) or answered itself. */
export const kWritten = Symbol('ringside.written');
/** reply.serializer(fn): this reply's JSON serializer; null when not set. */
export const kReplySerializer = Symbol('ringside.replySerializer');
/** How deep in error handling the reply is (0: not, 1: handling, 2: the error handler failed). */
export const kErrorDepth = Symbol('ringside.errorDepth');
/** reply.hijack() was called: the app writes to reply.raw itself. */
export const kHijacked = Symbol('ringside.hijacked');
/** reply.trailer() functions by lower-case name; null when none. */
export const kTrailers = Symbol('ringside.trailers');
