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
/** Plugins and after() callbacks registered in the scope, loaded in order. */
export const kQueue = Symbol('ringside.queue');
/** The scope this one was created from. */
export const kParent = Symbol('ringside.parent');
/** Plugin options given to register() (for `app.pluginOptions`-like introspection). */
export const kPluginName = Symbol('ringside.pluginName');
/**
 * Marks a plugin that registers into its parent's scope instead of a new one
 * (fastify-plugin's `skip-override`). Symbol.for so that separately bundled
 * plugins can set it without importing this module.
 */
export const kSkipOverride = Symbol.for('ringside.skip-override');

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

// ---- replies ----
export const kSent = Symbol('ringside.sent');
export const kHeaders = Symbol('ringside.headers');
/** The transport has the head (raw.send / raw.writeHead was called) or answered itself. */
export const kWritten = Symbol('ringside.written');
/** How deep in error handling the reply is (0: not, 1: handling, 2: the error handler failed). */
export const kErrorDepth = Symbol('ringside.errorDepth');
