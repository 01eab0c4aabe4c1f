/**
 * @ringside/http: a fastify-shaped framework over Ringside's HTTP transport
 * (io_uring, or node:http where io_uring cannot run).
 *
 *   import createApp from '@ringside/http';
 *   const app = createApp();
 *   app.get('/', () => 'Hello, World!');
 *   await app.listen({ port: 3000 });
 */
import { createApp } from './app.js';

export { App, createApp } from './app.js';
export type {
  AppHook,
  DecoratorAccessor,
  HookDone,
  ListenOptions,
  OnCloseHook,
  OnErrorHook,
  OnRegisterHook,
  OnRequestAbortHook,
  OnRouteHook,
  OnSendDone,
  OnSendHook,
  PreParsingHook,
  RequestHook,
  RequestIdGenerator,
} from './app.js';
export { Request } from './request.js';
export type { BodyOf, HeadersOf, ParamsOf, QueryOf, RouteGeneric } from './request.js';
export { Reply } from './reply.js';
export type { ErrorHandler, HeaderInput, TrailerFn } from './reply.js';
export type { RawIncomingMessage, RawSocket } from './raw-request.js';
export type { RawServerResponse } from './raw-response.js';
export type { RouteHandler, RouteOptions, RouteOptionsView, RouteShorthandOptions } from './route.js';
export { HTTP_METHODS } from './route.js';
export { plugin } from './plugin.js';
export { metrics, type MetricsOptions } from './metrics.js';
export type { Plugin, PluginInput, PluginMeta, PluginOptions } from './plugin.js';
export { kSkipOverride as skipOverride } from './symbols.js';
export { createError, errorCodes, RingsideError, statusText } from './errors.js';
export type { ErrorCode, ErrorDefinition } from './errors.js';
export { nullLogger } from './logger.js';
export type { Logger, LoggerOption } from './logger.js';
export type { AppOptions, ConstraintStrategy, InitialConfig } from './options.js';
export type { ContentTypeParserFn, ContentTypeParserOptions, ParseAs } from './content-type-parser.js';
export type { InjectChain, InjectOptions, InjectResponse } from './inject.js';
export type {
  AjvOption,
  BuildSerializer,
  BuildValidator,
  HttpPart,
  SchemaBucket,
  SchemaControllerOptions,
  SchemaErrorFormatter,
  SchemaErrorObject,
  SerializeFunction,
  SerializerCompiler,
  SerializerCompilerRoute,
  ValidateFunction,
  ValidatorCompiler,
  ValidatorCompilerRoute,
} from './schemas.js';
export type { RouteSchema } from './validation.js';
export type { DefaultTypeProvider, RouteTypes, TypeProvider } from './type-provider.js';
export type { HookName } from './hooks.js';
export { ServerWebSocket, WebSocketLike, fastifyWebsocket } from './websocket.js';
export type { UpgradeDecision, WebSocketHandlers, WebSocketRouteOptions } from './websocket.js';
export type { WebSocketAccept, WebSocketCompression, WebSocketOptions } from '@ringside/core';

export default createApp;
// Several event loops (threads) on one port: see @ringside/core's runWorkers.
export { runWorkers, workerIndex } from '@ringside/core';
export type { WorkersHandle, WorkersOptions } from '@ringside/core';
