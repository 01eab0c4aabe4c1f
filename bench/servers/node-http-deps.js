// node-http.js plus the registry code the framework servers load (ringside.js
// and fastify.js): the three plugins of GET /plugins and the schema compilers
// of POST /schema (ajv for the body, fast-json-stringify for the answer),
// their schemas compiled once. The routes are node-http.js's. For memory
// only (bench/memory.js): what such an app costs on node:http without a
// framework, so a framework's RSS is read against the code the app brings.
import { createRequire } from 'node:module';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import { schemaRouteOptions } from './_schema-route.js';

// The compilers both frameworks use by default (dependencies of @ringside/http and fastify).
const require = createRequire(import.meta.resolve('@ringside/http'));
const buildValidatorCompiler = require('@fastify/ajv-compiler')();
const buildSerializerCompiler = require('@fastify/fast-json-stringify-compiler')();
const route = { method: 'POST', url: '/schema' };
const validateBody = buildValidatorCompiler({}, { customOptions: {}, plugins: [] })({ ...route, schema: schemaRouteOptions.schema.body, httpPart: 'body' });
const serializeAnswer = buildSerializerCompiler({}, {})({ ...route, schema: schemaRouteOptions.schema.response[200], httpStatus: '200' });

// Held, as an app holds its plugins and compiled schemas.
export const loaded = { plugins: [cookie, cors, helmet], validateBody, serializeAnswer };

await import('./node-http.js');
