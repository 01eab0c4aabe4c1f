/**
 * Response serialization by schema, with fastify's semantics: a route's
 * `schema.response` is keyed by status (200), status class ('2xx') or
 * 'default', each a schema or `{ content: { [mediaType]: { schema } } }`.
 * The schemas are compiled once at ready() (fast-json-stringify by default);
 * a payload sent as JSON is serialized by the most specific match for the
 * reply's status (exact, then class, then default), else by JSON.stringify.
 * Properties the schema does not list are left out of the answer, which is
 * the point: a response schema cannot leak a field by accident.
 */
import { createError, statusText } from './errors.js';
import { mediaType } from './content-type-parser.js';
import { kContext, kHeaders, kSchemaController } from './symbols.js';
import type { SchemaController, SchemaSettings, SerializeFunction, SerializerCompiler } from './schemas.js';
import type { RouteSchemaOptions } from './validation.js';
import type { Reply } from './reply.js';

/** Compiled response serializers by status key; a key maps to one function or one per media type. */
export type ResponseSerializers = Record<string, SerializeFunction | Record<string, SerializeFunction>>;

const STATUS_KEY = /^[1-5](?:\d{2}|xx)$|^default$/;

/** Compile a route's response schemas; null when it has none. */
export function compileSerialization(
  options: RouteSchemaOptions,
  controller: SchemaController,
  settings: SchemaSettings,
  method: string,
  url: string,
): ResponseSerializers | null {
  const response = options.schema?.response;
  if (response === undefined) return null;
  const compiler: SerializerCompiler = options.serializerCompiler ?? controller.serializerFor(settings);
  const table: ResponseSerializers = {};
  try {
    for (const [key, schema] of Object.entries(response)) {
      const status = key.toLowerCase();
      if (!STATUS_KEY.test(status)) throw createError('FST_ERR_SCH_RESPONSE_SCHEMA_NOT_NESTED_2XX');
      const content = (schema as { content?: Record<string, { schema: unknown }> } | null)?.content;
      if (content !== null && typeof content === 'object') {
        const byType: Record<string, SerializeFunction> = {};
        for (const [type, entry] of Object.entries(content))
          byType[type] = compiler({ schema: entry.schema, method, url, httpStatus: status, contentType: type });
        table[status] = byType;
      } else {
        table[status] = compiler({ schema, method, url, httpStatus: status });
      }
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_ERR_SCH_RESPONSE_SCHEMA_NOT_NESTED_2XX') throw err;
    throw createError('FST_ERR_SCH_SERIALIZATION_BUILD', method, url, (err as Error).message);
  }
  return table;
}

/** One entry, resolved for a content type (media-type maps fall back to '*\/*'). */
function forType(entry: SerializeFunction | Record<string, SerializeFunction>, contentType: unknown): SerializeFunction | null {
  if (typeof entry === 'function') return entry;
  const type = typeof contentType === 'string' ? mediaType(contentType) : '';
  return entry[type] ?? entry['*/*'] ?? null;
}

/** The serializer for a status: exact code, then its class ('2xx'), then 'default'; null when none. */
export function responseSerializer(table: ResponseSerializers, status: number, contentType: unknown): SerializeFunction | null {
  const entry = table[status] ?? table[((status / 100) | 0) + 'xx'] ?? table.default;
  return entry === undefined ? null : forType(entry, contentType);
}

/** reply.getSerializationFunction(status or schema, contentType?). */
export function getSerializationFunction(reply: Reply, schemaOrStatus: unknown, contentType?: string): SerializeFunction | undefined {
  const ctx = reply[kContext];
  if (typeof schemaOrStatus === 'string' || typeof schemaOrStatus === 'number') {
    const entry = ctx.responseSerializers?.[String(schemaOrStatus)];
    if (entry === undefined) return undefined;
    if (typeof entry === 'function') return contentType === undefined ? entry : undefined;
    return contentType === undefined ? undefined : entry[contentType];
  }
  if (schemaOrStatus !== null && typeof schemaOrStatus === 'object') return ctx.serializerCache?.get(schemaOrStatus);
  return undefined;
}

/** reply.compileSerializationSchema(schema, httpStatus?, contentType?): compiled once per route and schema object. */
export function compileSerializationSchema(
  reply: Reply,
  schema: object,
  httpStatus: string | null = null,
  contentType: string | null = null,
): SerializeFunction {
  const ctx = reply[kContext];
  const cached = ctx.serializerCache?.get(schema);
  if (cached !== undefined) return cached;
  const compiler = ctx.schemaOptions?.serializerCompiler ?? ctx.scope[kSchemaController].serializerFor(ctx.root.schemaSettings);
  const fn = compiler({ schema, method: ctx.method, url: ctx.url, httpStatus, contentType });
  (ctx.serializerCache ??= new WeakMap()).set(schema, fn);
  return fn;
}

/** reply.serializeInput(input, schema | status, [status | contentType], [contentType]). */
export function serializeInput(reply: Reply, input: unknown, schema: object | string | number, httpStatus?: string | number, contentType?: string): string {
  if (typeof schema === 'string' || typeof schema === 'number') {
    const type = httpStatus !== undefined ? String(httpStatus) : contentType;
    const fn = getSerializationFunction(reply, schema, type);
    if (fn === undefined) throw createError('FST_ERR_MISSING_SERIALIZATION_FN', type === undefined ? schema : `${schema}:${type}`);
    return fn(input);
  }
  return compileSerializationSchema(reply, schema, httpStatus === undefined ? null : String(httpStatus), contentType ?? null)(input);
}

/**
 * The default error answer's JSON. As fastify, a response schema for the
 * status shapes it too (given the error with its statusCode, error and message);
 * a schema that cannot serialize it gives a 500 FST_ERR_FAILED_ERROR_SERIALIZATION.
 */
export function errorPayload(reply: Reply, err: Error, body: { statusCode: number; error: string; message: string }): string {
  const table = reply[kContext].responseSerializers;
  const fn = table === null ? null : responseSerializer(table, body.statusCode, reply[kHeaders]['content-type']);
  if (fn === null) return JSON.stringify(body);
  try {
    return fn(Object.create(err, { statusCode: { value: body.statusCode }, error: { value: body.error }, message: { value: body.message } }));
  } catch (e) {
    reply.statusCode = 500;
    const failed = createError('FST_ERR_FAILED_ERROR_SERIALIZATION', (e as Error).message, err.message);
    return JSON.stringify({ statusCode: 500, code: failed.code, error: statusText(500), message: failed.message });
  }
}
