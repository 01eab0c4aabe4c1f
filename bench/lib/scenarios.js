/**
 * Load scenarios. Every server in servers.js serves the same routes; each
 * scenario says what to send and what a correct answer looks like (checked
 * once per server before any load, so a wrong answer is reported instead of
 * being benchmarked).
 *
 * To add a scenario, append an entry; `connections` and `pipelining` default
 * to the run's options (100 connections, no pipelining).
 */

/** 1 KiB of printable text, the POST /echo body. */
export const ECHO_BODY = 'ringside-echo-'.repeat(80).slice(0, 1024);

/**
 * @typedef {object} Scenario
 * @property {string} name           id used with --scenarios
 * @property {string} title          shown in the table
 * @property {string} short          shown under the chart's bars
 * @property {'GET'|'POST'} method
 * @property {string} path
 * @property {Record<string,string>} [headers]
 * @property {string} [body]
 * @property {number} [connections]  overrides --connections
 * @property {number} [pipelining]   requests per write (autocannon pipelining / wrk Lua batch)
 * @property {string} [dynamicPath]  when set, every request goes to this prefix + a counter (1, 2, 3…), so no two
 *                                   consecutive responses are the same bytes (wrk cycles through 65,536 prepared
 *                                   ids: load.js DYNAMIC_BATCHES); `path` is the one checked before the load
 * @property {{ status: number, body?: string, json?: unknown, contentType?: RegExp, headers?: Record<string, RegExp> }} expect
 *                                   headers: lower-case name → what its value (repeated ones joined with ', ') must match
 */

/** The POST /schema body: valid for the route's ajv schema. */
export const SCHEMA_BODY = JSON.stringify({ name: 'Ada Lovelace', age: 36, tags: ['math', 'engines'] });

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    name: 'plaintext',
    short: 'Plaintext',
    title: 'Plaintext GET /',
    method: 'GET',
    path: '/',
    expect: { status: 200, body: 'Hello, World!', contentType: /^text\/plain/ },
  },
  {
    name: 'json',
    short: 'JSON',
    title: 'JSON GET /json',
    method: 'GET',
    path: '/json',
    expect: { status: 200, json: { hello: 'world' }, contentType: /^application\/json/ },
  },
  {
    name: 'params',
    short: 'Params',
    title: 'Params GET /user/123',
    method: 'GET',
    path: '/user/123',
    expect: { status: 200, json: { id: '123' }, contentType: /^application\/json/ },
  },
  {
    name: 'echo',
    short: 'Echo 1 KiB',
    title: 'POST /echo 1 KiB',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: ECHO_BODY,
    expect: { status: 200, body: ECHO_BODY, contentType: /^text\/plain/ },
  },
  {
    name: 'pipelined',
    short: 'Pipelined ×16',
    title: 'Pipelined GET / ×16',
    method: 'GET',
    path: '/',
    pipelining: 16,
    expect: { status: 200, body: 'Hello, World!', contentType: /^text\/plain/ },
  },
  {
    name: 'dynamic',
    short: 'Dynamic',
    title: 'Dynamic GET /user/<n>, n different each request',
    method: 'GET',
    path: '/user/1',
    dynamicPath: '/user/',
    expect: { status: 200, json: { id: '1' }, contentType: /^application\/json/ },
  },
  {
    name: 'dynamic-pipelined',
    short: 'Dynamic ×16',
    title: 'Pipelined ×16 GET /user/<n>, n different each request',
    method: 'GET',
    path: '/user/1',
    dynamicPath: '/user/',
    pipelining: 16,
    expect: { status: 200, json: { id: '1' }, contentType: /^application\/json/ },
  },
  {
    name: 'connections-1000',
    short: '1,000 conns',
    title: '1,000 connections GET /',
    method: 'GET',
    path: '/',
    connections: 1000,
    expect: { status: 200, body: 'Hello, World!', contentType: /^text\/plain/ },
  },
  {
    name: 'hooked',
    short: 'Hooked',
    title: 'Hooked GET /hooked',
    method: 'GET',
    path: '/hooked',
    expect: { status: 200, json: { hello: 'world' }, contentType: /^application\/json/ },
  },
  {
    name: 'schema',
    short: 'Schema',
    title: 'Schema POST /schema (ajv body, fast-json-stringify response)',
    method: 'POST',
    path: '/schema',
    headers: { 'content-type': 'application/json' },
    body: SCHEMA_BODY,
    expect: { status: 200, json: { id: 1, name: 'Ada Lovelace', age: 36, tags: ['math', 'engines'] }, contentType: /^application\/json/ },
  },
  {
    name: 'plugins',
    short: 'CORS+Helmet+Cookie',
    title: 'GET /plugins with @fastify/cors, @fastify/helmet, @fastify/cookie (sets a cookie)',
    method: 'GET',
    path: '/plugins',
    headers: { origin: 'https://app.example', cookie: 'theme=dark' },
    expect: {
      status: 200,
      json: { hello: 'world', theme: 'dark' },
      contentType: /^application\/json/,
      headers: {
        'access-control-allow-origin': /^\*$/,
        'content-security-policy': /default-src 'self'/,
        'x-frame-options': /^SAMEORIGIN$/,
        'set-cookie': /^session=abc123; Path=\/; HttpOnly; SameSite=Lax$/,
      },
    },
  },
];

/**
 * Selects scenarios by name, in the order of SCENARIOS.
 * @param {string[] | undefined} names
 * @returns {Scenario[]}
 */
export function selectScenarios(names) {
  if (!names || names.length === 0) return SCENARIOS.slice();
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    throw new Error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return SCENARIOS.filter((s) => names.includes(s.name));
}

/**
 * Checks one response against a scenario's expectation.
 * @param {Scenario} scenario
 * @param {{ status: number, headers: Record<string, string | string[] | undefined>, body: string }} res
 * @returns {string | null} what is wrong, or null when it is right
 */
export function checkResponse(scenario, res) {
  const e = scenario.expect;
  if (res.status !== e.status) return `${scenario.method} ${scenario.path}: status ${res.status}, expected ${e.status}`;
  const ct = String(res.headers['content-type'] ?? '');
  if (e.contentType && !e.contentType.test(ct)) {
    return `${scenario.method} ${scenario.path}: content-type ${JSON.stringify(ct)}, expected ${e.contentType}`;
  }
  for (const [name, re] of Object.entries(e.headers ?? {})) {
    const value = res.headers[name];
    const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
    if (!re.test(text)) return `${scenario.method} ${scenario.path}: ${name} ${JSON.stringify(text)}, expected ${re}`;
  }
  if (e.body !== undefined && res.body !== e.body) {
    return `${scenario.method} ${scenario.path}: body ${JSON.stringify(res.body.slice(0, 60))}${res.body.length > 60 ? '…' : ''} (${res.body.length} B), expected ${JSON.stringify(e.body.slice(0, 60))}${e.body.length > 60 ? '…' : ''} (${e.body.length} B)`;
  }
  if (e.json !== undefined) {
    let parsed;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      return `${scenario.method} ${scenario.path}: body is not JSON: ${JSON.stringify(res.body.slice(0, 60))}`;
    }
    if (JSON.stringify(parsed) !== JSON.stringify(e.json)) {
      return `${scenario.method} ${scenario.path}: body ${JSON.stringify(parsed)}, expected ${JSON.stringify(e.json)}`;
    }
  }
  return null;
}
