/**
 * Type providers (types only), as fastify's: a provider is an interface
 * whose `validator` type is computed from its `schema` slot — TypeBox's
 * `Static<schema>`, json-schema-to-ts's `FromSchema<schema>`. Ringside reads
 * the same shape, so fastify's providers (@fastify/type-provider-typebox,
 * -json-schema-to-ts) work unchanged: `app.withTypeProvider<P>()` makes a
 * route's `req.body`, `req.query`, `req.params` and `req.headers` the types
 * P gives its schema parts. A part typed by the route's generic
 * (`app.post<{ Body: T }>`) keeps that type.
 */
import type { RouteGeneric } from './request.js';

/** fastify's `FastifyTypeProvider` shape. */
export interface TypeProvider {
  readonly schema: unknown;
  readonly validator: unknown;
  readonly serializer: unknown;
}

/** Infers nothing from schemas (the default, as fastify's). */
export interface DefaultTypeProvider extends TypeProvider {
  readonly validator: unknown;
  readonly serializer: unknown;
}

/** The type provider P gives schema S. */
type Validated<P extends TypeProvider, S> = (P & { schema: S })['validator'];

/** The type of schema part `K` (first of its names present), unknown when absent. */
type SchemaPart<P extends TypeProvider, S, K extends string> = S extends { [_ in K]: infer X } ? Validated<P, X> : unknown;

/** `{ [Key]: T }` unless the route's generic already types Key, or the provider inferred nothing. */
type Slot<RG, Key extends keyof RouteGeneric, T> = RG extends { [_ in Key]: unknown } ? unknown : unknown extends T ? unknown : { [_ in Key]: T };

/** A route's request types: its generic's parts, then what the provider infers from its schema. */
export type RouteTypes<P extends TypeProvider, RG extends RouteGeneric, S> = RG &
  Slot<RG, 'Params', SchemaPart<P, S, 'params'>> &
  Slot<RG, 'Querystring', S extends { querystring: unknown } ? SchemaPart<P, S, 'querystring'> : SchemaPart<P, S, 'query'>> &
  Slot<RG, 'Body', SchemaPart<P, S, 'body'>> &
  Slot<RG, 'Headers', SchemaPart<P, S, 'headers'>>;
