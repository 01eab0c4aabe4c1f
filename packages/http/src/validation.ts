/**
 * Request validation by JSON schema, with fastify's semantics: a route's
 * `schema.params`, `body`, `querystring` (alias `query`) and `headers` are
 * compiled once at ready(); per request they are checked in that order after
 * the preValidation hooks and before preHandler. The first failure becomes a
 * 400 FST_ERR_VALIDATION error ("body/name must be string") that goes to the
 * error handler, or to `req.validationError` with `attachValidation: true`.
 * Validators may coerce and fill defaults in place (ajv's coerceTypes and
 * useDefaults), so the handler sees the validated values.
 */
import { createError } from './errors.js';
import { mediaType } from './content-type-parser.js';
import { handleError, type Reply } from './reply.js';
import { kContext, kSchemaController } from './symbols.js';
import {
  plainSchema,
  type HttpPart,
  type SchemaController,
  type SchemaErrorFormatter,
  type SchemaErrorObject,
  type SchemaSettings,
  type SerializerCompiler,
  type ValidateFunction,
  type ValidatorCompiler,
} from './schemas.js';
import type { Request } from './request.js';

/** The `schema` route option. */
export interface RouteSchema {
  body?: unknown;
  querystring?: unknown;
  /** Alias of querystring. */
  query?: unknown;
  params?: unknown;
  headers?: unknown;
  /** By status: 200, '2xx', 'default'; each a schema or { content: { [mediaType]: { schema } } }. */
  response?: Record<string | number, unknown>;
  [key: string]: unknown;
}

/** A route's compiled validators; a missing part is not checked. */
export interface RouteValidation {
  params: ValidateFunction | undefined;
  /** One validator, or one per media type (`body: { content: { 'application/json': { schema } } }`). */
  body: ValidateFunction | Record<string, ValidateFunction> | undefined;
  querystring: ValidateFunction | undefined;
  headers: ValidateFunction | undefined;
  formatter: SchemaErrorFormatter;
  attach: boolean;
}

/** Route options that concern validation. */
export interface RouteSchemaOptions {
  schema: RouteSchema | undefined;
  validatorCompiler: ValidatorCompiler | undefined;
  serializerCompiler: SerializerCompiler | undefined;
  schemaErrorFormatter: SchemaErrorFormatter | undefined;
  attachValidation: boolean;
}

/** fastify's default message: "<part><instancePath> <message>", joined with ', '. */
export const defaultSchemaErrorFormatter: SchemaErrorFormatter = (errors, dataVar) => {
  let text = '';
  for (const e of errors) text += (text === '' ? '' : ', ') + dataVar + (e.instancePath ?? '') + ' ' + e.message;
  return new Error(text);
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

/** Check the aliases and content maps of a route schema; done when the route is added. */
export function normalizeSchema(schema: RouteSchema): RouteSchema {
  const s: RouteSchema = { ...schema };
  if (s.query !== undefined) {
    if (s.querystring !== undefined) throw createError('FST_ERR_SCH_DUPLICATE', 'querystring');
    s.querystring = s.query;
    delete s.query;
  }
  for (const key of ['body', 'querystring', 'params', 'headers'] as const) s[key] = plainSchema(s[key]);
  const body = s.body;
  if (isObject(body) && isObject(body.content)) {
    for (const [type, entry] of Object.entries(body.content)) {
      if (!isObject(entry) || entry.schema === undefined) throw createError('FST_ERR_SCH_CONTENT_MISSING_SCHEMA', type);
    }
  }
  if (s.response !== undefined) {
    const response: Record<string, unknown> = {};
    for (const [code, value] of Object.entries(s.response)) {
      const v = plainSchema(value);
      if (isObject(v) && isObject(v.content)) {
        for (const [type, entry] of Object.entries(v.content)) {
          if (!isObject(entry) || entry.schema === undefined) throw createError('FST_ERR_SCH_CONTENT_MISSING_SCHEMA', type);
        }
      }
      response[code] = v;
    }
    s.response = response;
  }
  return s;
}

// Keywords whose value is a subschema (or a list of them), walked when lower-casing header names.
const SUBSCHEMA_KEYS = new Set([
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contains',
  'contentSchema',
]);
const SCHEMA_MAP_KEYS = new Set(['definitions', '$defs', 'patternProperties']);

/**
 * Header names arrive lower-case, so a headers schema's property names are
 * lower-cased before compiling (fastify does the same), in nested subschemas too.
 */
export function lowerCaseHeadersSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lowerCaseHeadersSchema);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), lowerCaseHeadersSchema(v)]));
    } else if (key === 'required' && Array.isArray(value)) {
      out[key] = value.map((n) => (typeof n === 'string' ? n.toLowerCase() : n));
    } else if ((key === 'dependentRequired' || key === 'dependencies' || key === 'dependentSchemas') && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k.toLowerCase(),
          Array.isArray(v) ? v.map((n) => (typeof n === 'string' ? n.toLowerCase() : n)) : lowerCaseHeadersSchema(v),
        ]),
      );
    } else if (SUBSCHEMA_KEYS.has(key)) {
      out[key] = lowerCaseHeadersSchema(value);
    } else if (SCHEMA_MAP_KEYS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lowerCaseHeadersSchema(v)]));
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Compile a route's request schemas; null when it has none (the request path then skips validation). */
export function compileValidation(
  options: RouteSchemaOptions,
  controller: SchemaController,
  settings: SchemaSettings,
  scopeFormatter: SchemaErrorFormatter,
  method: string,
  url: string,
): RouteValidation | null {
  const schema = options.schema;
  if (schema === undefined) return null;
  const { body, querystring, params, headers } = schema;
  if (body === undefined && querystring === undefined && params === undefined && headers === undefined) return null;
  const compiler = options.validatorCompiler ?? controller.validatorFor(settings);
  const isCustom = options.validatorCompiler !== undefined || controller.isCustomValidatorCompiler;
  const compile = (s: unknown, httpPart: HttpPart, contentType?: string): ValidateFunction =>
    compiler({ schema: s, method, url, httpPart, ...(contentType !== undefined ? { contentType } : {}) });
  try {
    let bodyFn: RouteValidation['body'];
    if (isObject(body) && isObject(body.content)) {
      const byType: Record<string, ValidateFunction> = {};
      for (const [type, entry] of Object.entries(body.content)) byType[type] = compile((entry as { schema: unknown }).schema, 'body', type);
      bodyFn = byType;
    } else if (body !== undefined) {
      bodyFn = compile(body, 'body');
    }
    const plainHeaders = isObject(headers) && Object.getPrototypeOf(headers) === Object.prototype;
    return {
      params: params !== undefined ? compile(params, 'params') : undefined,
      body: bodyFn,
      querystring: querystring !== undefined ? compile(querystring, 'querystring') : undefined,
      headers: headers !== undefined ? compile(!isCustom && plainHeaders ? lowerCaseHeadersSchema(headers) : headers, 'headers') : undefined,
      formatter: options.schemaErrorFormatter ?? scopeFormatter,
      attach: options.attachValidation,
    };
  } catch (err) {
    throw createError('FST_ERR_SCH_VALIDATION_BUILD', method, url, (err as Error).message);
  }
}

type Outcome = false | Error | Promise<false | Error>;

/** Validate one part; false when valid, else the validator's errors (or a thrown Error). */
function check(
  fn: ValidateFunction,
  req: Request,
  property: 'params' | 'body' | 'query' | 'headers',
): false | SchemaErrorObject[] | Error | Promise<false | SchemaErrorObject[] | Error> {
  const target = req as unknown as Record<string, unknown>;
  const value = target[property];
  let result: unknown;
  try {
    const data = value === undefined ? null : value;
    // ajv replaces a coerced root value only through its parent.
    result = fn.schemaEnv ? fn(data, { parentData: target, parentDataProperty: property }) : fn(data);
  } catch (thrown) {
    // A validator that throws is a server fault, not a bad request.
    const err = thrown instanceof Error ? thrown : new Error(`The ${property} validator threw ${String(thrown)}`);
    (err as { statusCode?: number }).statusCode = 500;
    return err;
  }
  if (isObject(result) && typeof (result as { then?: unknown }).then === 'function') {
    // An async (ajv $async) validator resolves to the data: pass or fail only.
    return Promise.resolve(result as unknown).then(
      (r) => (r === false ? (fn.errors ?? []) : false),
      (err: unknown) => err as Error,
    );
  }
  if (result === false) return fn.errors ?? [];
  if (isObject(result)) {
    // { error }: an Error, or a list of problems for the formatter (TypeBox's compiler gives one).
    if (result.error) return result.error instanceof Error ? result.error : toArray(result.error);
    if ('value' in result) target[property] = result.value;
  }
  return false;
}

function toArray(problems: unknown): SchemaErrorObject[] {
  return (Array.isArray(problems) ? problems : [problems]) as SchemaErrorObject[];
}

function wrap(result: SchemaErrorObject[] | Error, part: HttpPart, formatter: SchemaErrorFormatter): Error {
  const e = result instanceof Error ? result : formatter(result, part);
  const err = e as Error & { statusCode?: number; code?: string; validation?: unknown; validationContext?: string };
  err.statusCode ??= 400;
  err.code ??= 'FST_ERR_VALIDATION';
  if (!(result instanceof Error)) err.validation = result;
  err.validationContext ??= part;
  return err;
}

const PARTS: readonly [keyof Omit<RouteValidation, 'formatter' | 'attach'>, 'params' | 'body' | 'query' | 'headers', HttpPart][] = [
  ['params', 'params', 'params'],
  ['body', 'body', 'body'],
  ['querystring', 'query', 'querystring'],
  ['headers', 'headers', 'headers'],
];

/** The validator for the body: the route's one, or the one for the request's media type. */
function bodyValidator(v: RouteValidation, req: Request): ValidateFunction | undefined {
  const body = v.body;
  if (body === undefined || typeof body === 'function') return body;
  const ct = req.headers['content-type'];
  return body[mediaType(typeof ct === 'string' ? ct : (ct?.[0] ?? ''))];
}

/** Validate the parts from `start` on: false, the first error, or a promise of either (async validators). */
function validateFrom(v: RouteValidation, req: Request, start: number): Outcome {
  for (let i = start; i < PARTS.length; i++) {
    const [key, property, part] = PARTS[i]!;
    const fn = key === 'body' ? bodyValidator(v, req) : (v[key] as ValidateFunction | undefined);
    if (fn === undefined) continue;
    const result = check(fn, req, property);
    if (result === false) continue;
    if (result instanceof Promise) {
      return result.then((r) => (r === false ? validateFrom(v, req, i + 1) : wrap(r, part, v.formatter)));
    }
    return wrap(result, part, v.formatter);
  }
  return false;
}

/**
 * The validation step of the request lifecycle: validate, then `next(reply)`;
 * a failure goes to the error handler unless the route attaches it to the request.
 */
export function validateRequest(reply: Reply, next: (reply: Reply) => void): void {
  const v = reply[kContext].validation!;
  const outcome = validateFrom(v, reply.request, 0);
  if (outcome === false) {
    next(reply);
  } else if (outcome instanceof Error) {
    validated(reply, outcome, next);
  } else {
    outcome.then(
      (err) => validated(reply, err, next),
      (err: unknown) => validated(reply, err as Error, next),
    );
  }
}

function validated(reply: Reply, err: Error | false, next: (reply: Reply) => void): void {
  if (err !== false) {
    if (!reply[kContext].validation!.attach) {
      handleError(reply, err);
      return;
    }
    reply.request.validationError = err;
  }
  next(reply);
}

// ---- req.getValidationFunction / compileValidationSchema / validateInput ----

const PART_KEYS: Record<string, keyof Omit<RouteValidation, 'formatter' | 'attach'>> = {
  body: 'body',
  headers: 'headers',
  params: 'params',
  querystring: 'querystring',
  query: 'querystring',
};

/** The route's validator for an HTTP part (the body's for the request's media type), or the one compiled for a schema object. */
export function getValidationFunction(req: Request, partOrSchema: unknown): ValidateFunction | undefined {
  const ctx = req[kContext];
  if (typeof partOrSchema === 'string') {
    const key = PART_KEYS[partOrSchema];
    const v = ctx.validation;
    if (key === undefined || v === null) return undefined;
    return key === 'body' ? bodyValidator(v, req) : (v[key] as ValidateFunction | undefined);
  }
  if (partOrSchema !== null && typeof partOrSchema === 'object') return ctx.validatorCache?.get(partOrSchema);
  return undefined;
}

/** Compile a schema with the route's validator compiler, once per route and schema object. */
export function compileValidationSchema(req: Request, schema: object, httpPart: HttpPart | null = null): ValidateFunction {
  const ctx = req[kContext];
  const cached = ctx.validatorCache?.get(schema);
  if (cached !== undefined) return cached;
  const compiler = ctx.schemaOptions?.validatorCompiler ?? ctx.scope[kSchemaController].validatorFor(ctx.root.schemaSettings);
  const fn = compiler({ schema, method: ctx.method, url: ctx.url, ...(httpPart !== null ? { httpPart } : {}) });
  (ctx.validatorCache ??= new WeakMap()).set(schema, fn);
  return fn;
}

/** Validate `input` with a schema, or with the route's validator for an HTTP part: the validator's own result. */
export function validateInput(req: Request, input: unknown, schema: unknown, httpPart?: string): unknown {
  const part = typeof schema === 'string' ? schema : httpPart;
  let fn = part !== undefined ? getValidationFunction(req, part) : undefined;
  if (fn === undefined) {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw createError('FST_ERR_REQ_INVALID_VALIDATION_INVOCATION', part);
    fn = compileValidationSchema(req, schema, (part as HttpPart | undefined) ?? null);
  }
  return fn(input);
}
