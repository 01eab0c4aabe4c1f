/**
 * POST /schema, served the same way by Ringside and fastify: the JSON body is
 * validated by ajv (the `body` schema) and the answer serialized by
 * fast-json-stringify (the `200` response schema), each framework with its
 * default compilers.
 */

export const schemaRouteOptions = {
  schema: {
    body: {
      type: 'object',
      required: ['name', 'age'],
      properties: {
        name: { type: 'string', maxLength: 64 },
        age: { type: 'integer', minimum: 0 },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 8 },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: { id: { type: 'integer' }, name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
      },
    },
  },
};

/** The handler: the validated body back, with an id (and a field the response schema leaves out). */
export function schemaHandler(req) {
  const { name, age, tags } = req.body;
  return { id: 1, name, age, tags: tags ?? [], internal: 'not sent' };
}
