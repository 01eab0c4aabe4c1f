/**
 * Shared schemas and the compilers that turn schemas into functions, per
 * plugin scope as in fastify: addSchema() stores a schema under its $id in
 * the scope's bucket, and routes of that scope (and its children) may $ref
 * it. Validators come from @fastify/ajv-compiler (ajv with fastify's
 * defaults: coerceTypes 'array', useDefaults, removeAdditional, allErrors
 * false, ajv-formats), serializers from @fastify/fast-json-stringify-compiler.
 *
 * A scope gets its own controller on its first write (addSchema,
 * setValidatorCompiler, setSerializerCompiler); until then it reads its
 * parent's, so compilers are built once per distinct set of schemas, at
 * ready(), never per request.
 */
import { createRequire } from 'node:module';
import { createError } from './errors.js';
import { kSchemaController } from './symbols.js';

/** The parts of a request a schema can validate. */
export type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

/** What a validator compiler is given for one schema. */
export interface ValidatorCompilerRoute {
  schema: any;
  method: string;
  url: string;
  httpPart?: HttpPart;
  contentType?: string;
}

/**
 * A compiled validator: returns true/false (ajv style, errors in `.errors`),
 * `{ value }` / `{ error }` (joi / zod style), or a promise (async schemas).
 */
export type ValidateFunction = ((data: any, ctx?: { parentData: object; parentDataProperty: string }) => any) & {
  errors?: SchemaErrorObject[] | null;
  schemaEnv?: unknown;
};

export type ValidatorCompiler = (route: ValidatorCompilerRoute) => ValidateFunction;

export interface SerializerCompilerRoute {
  schema: any;
  method: string;
  url: string;
  httpStatus?: string | null;
  contentType?: string | null;
}

export type SerializeFunction = (data: any) => string;
export type SerializerCompiler = (route: SerializerCompilerRoute) => SerializeFunction;

/** One validation problem, as ajv reports it. */
export interface SchemaErrorObject {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
  [key: string]: unknown;
}

/** `setSchemaErrorFormatter((errors, dataVar) => Error)`: the Error answered for failed validation. */
export type SchemaErrorFormatter = (errors: SchemaErrorObject[], dataVar: HttpPart) => Error;

/** The `ajv` app option: ajv options on top of fastify's defaults, ajv plugins, a hook on creation. */
export interface AjvOption {
  customOptions?: Record<string, unknown>;
  plugins?: (Function | [Function, unknown])[];
  onCreate?: (ajv: unknown) => void;
}

export type BuildValidator = (externalSchemas: Record<string, unknown>, ajvOptions: AjvOption) => ValidatorCompiler;
export type BuildSerializer = (externalSchemas: Record<string, unknown>, serializerOpts?: Record<string, unknown>) => SerializerCompiler;

/** Where shared schemas live (schemaController.bucket replaces it). */
export interface SchemaBucket {
  add(schema: unknown): void;
  getSchema(id: string): unknown;
  getSchemas(): Record<string, unknown>;
}

/** The `schemaController` app option. */
export interface SchemaControllerOptions {
  bucket?: (parentSchemas?: Record<string, unknown>) => SchemaBucket;
  compilersFactory?: { buildValidator?: BuildValidator; buildSerializer?: BuildSerializer };
}

/** What the controllers need from the app options. */
export interface SchemaSettings {
  ajv: AjvOption;
  serializerOpts: Record<string, unknown> | undefined;
}

const kFluentSchema = Symbol.for('fluent-schema-object');

/** fluent-json-schema builders turn into plain schemas. */
export function plainSchema(schema: any): any {
  if (schema !== null && typeof schema === 'object' && (schema.isFluentSchema || schema.isFluentJSONSchema || schema[kFluentSchema])) {
    return schema.valueOf();
  }
  return schema;
}

/** A deep copy of a schema's plain objects and arrays (symbol keys kept: TypeBox marks schemas with them). */
function cloneSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneSchema);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(value)) out[key] = cloneSchema((value as Record<string | symbol, unknown>)[key]);
  return out;
}

/** The default bucket: schemas by $id, copied from the parent's when a scope gets its own. */
class Schemas implements SchemaBucket {
  private readonly store: Record<string, unknown>;

  constructor(initial?: Record<string, unknown>) {
    this.store = { ...initial };
  }

  add(input: unknown): void {
    const schema = cloneSchema(plainSchema(input)) as { $id?: unknown } | null;
    const id = schema !== null && typeof schema === 'object' ? schema.$id : undefined;
    if (typeof id !== 'string' || id === '') throw createError('FST_ERR_SCH_MISSING_ID');
    if (this.store[id] !== undefined) throw createError('FST_ERR_SCH_ALREADY_PRESENT', id);
    this.store[id] = schema;
  }

  getSchema(id: string): unknown {
    return this.store[id];
  }

  getSchemas(): Record<string, unknown> {
    return { ...this.store };
  }
}

const requireHere = createRequire(import.meta.url);

/**
 * A compiler builder whose package is loaded on its first call: an app
 * without schemas never loads ajv or fast-json-stringify (about 100 modules,
 * several MiB of heap and code at start).
 */
function loadedOnFirstUse<B extends (...args: any[]) => any>(load: () => B): B {
  let built: B | undefined;
  return ((...args: Parameters<B>) => (built ??= load())(...args)) as B;
}

const defaultBuildValidator = (): BuildValidator => loadedOnFirstUse(() => requireHere('@fastify/ajv-compiler')() as BuildValidator);
const defaultBuildSerializer = (): BuildSerializer => loadedOnFirstUse(() => requireHere('@fastify/fast-json-stringify-compiler')() as BuildSerializer);

const defaultBucket = (parentSchemas?: Record<string, unknown>): SchemaBucket => new Schemas(parentSchemas);

/** One scope's shared schemas and compilers (fastify's SchemaController). */
export class SchemaController {
  readonly bucket: SchemaBucket;
  private readonly makeBucket: (parentSchemas?: Record<string, unknown>) => SchemaBucket;
  private buildValidator: BuildValidator;
  private buildSerializer: BuildSerializer;
  /** The compiler in use; built lazily from the builder and the scope's schemas. */
  private validator: ValidatorCompiler | undefined;
  private serializer: SerializerCompiler | undefined;
  /** setValidatorCompiler / a custom builder: headers schemas are passed as written (Joi, TypeBox…). */
  isCustomValidatorCompiler: boolean;
  isCustomSerializerCompiler: boolean;
  /** Schemas were added here since the compilers were built: rebuild them. */
  private addedSchemas = false;

  constructor(parent: SchemaController | null, options: SchemaControllerOptions = {}) {
    if (parent !== null) {
      this.makeBucket = parent.makeBucket;
      this.bucket = this.makeBucket(parent.bucket.getSchemas());
      this.buildValidator = parent.buildValidator;
      this.buildSerializer = parent.buildSerializer;
      this.validator = parent.validator;
      this.serializer = parent.serializer;
      this.isCustomValidatorCompiler = parent.isCustomValidatorCompiler;
      this.isCustomSerializerCompiler = parent.isCustomSerializerCompiler;
      return;
    }
    if (options.bucket !== undefined && typeof options.bucket !== 'function')
      throw createError('FST_ERR_SCHEMA_CONTROLLER_BUCKET_OPT_NOT_FN', typeof options.bucket);
    this.makeBucket = options.bucket ?? defaultBucket;
    this.bucket = this.makeBucket();
    const factory = options.compilersFactory ?? {};
    this.buildValidator = factory.buildValidator ?? defaultBuildValidator();
    this.buildSerializer = factory.buildSerializer ?? defaultBuildSerializer();
    this.isCustomValidatorCompiler = typeof factory.buildValidator === 'function';
    this.isCustomSerializerCompiler = typeof factory.buildSerializer === 'function';
  }

  add(schema: unknown): void {
    this.bucket.add(schema);
    this.addedSchemas = true;
  }

  setValidatorCompiler(compiler: ValidatorCompiler): void {
    this.buildValidator = () => compiler;
    this.validator = compiler;
    this.isCustomValidatorCompiler = true;
  }

  setSerializerCompiler(compiler: SerializerCompiler): void {
    this.buildSerializer = () => compiler;
    this.serializer = compiler;
    this.isCustomSerializerCompiler = true;
  }

  /** The validator compiler set or built so far (undefined until a route needed one). */
  get validatorCompiler(): ValidatorCompiler | undefined {
    return this.validator;
  }

  get serializerCompiler(): SerializerCompiler | undefined {
    return this.serializer;
  }

  /** The validator compiler for this scope's schemas, built on first need. */
  validatorFor(settings: SchemaSettings): ValidatorCompiler {
    this.dropStaleCompilers();
    return (this.validator ??= this.buildValidator(this.bucket.getSchemas(), settings.ajv));
  }

  serializerFor(settings: SchemaSettings): SerializerCompiler {
    this.dropStaleCompilers();
    return (this.serializer ??= this.buildSerializer(this.bucket.getSchemas(), settings.serializerOpts));
  }

  /** Compilers built (or inherited) before schemas were added here do not know them: rebuild both. */
  private dropStaleCompilers(): void {
    if (!this.addedSchemas) return;
    this.addedSchemas = false;
    this.validator = undefined;
    this.serializer = undefined;
  }
}

/** The scope's own controller, created from the inherited one on the scope's first write (encapsulation). */
export function ownSchemaController(scope: { [kSchemaController]: SchemaController }): SchemaController {
  if (!Object.hasOwn(scope, kSchemaController)) scope[kSchemaController] = new SchemaController(scope[kSchemaController]);
  return scope[kSchemaController];
}
