// node:http with hand-written routing: the baseline every framework pays on top of.
import http from 'node:http';
import { HOST, PORT, announce } from './_common.js';

const HELLO = Buffer.from('Hello, World!');
const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** @param {http.ServerResponse} res @param {unknown} value */
function sendJson(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

// GET /plugins: what @fastify/cors, @fastify/helmet and @fastify/cookie add, by hand —
// helmet's default headers (fixed), CORS's `*`, the Cookie header parsed, a cookie set.
const PLUGIN_HEADERS = {
  'access-control-allow-origin': '*',
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
function cookieValue(header, name) {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

// GET /hooked: the two hooks the frameworks run, emulated as two calls.
function onRequest(req, res) {
  req.hookedAt = 1;
}
function preHandler(req, res) {
  req.hookedAt++;
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  if (req.method === 'GET') {
    if (path === '/') {
      res.writeHead(200, { 'content-type': TEXT, 'content-length': HELLO.length });
      res.end(HELLO);
      return;
    }
    if (path === '/json') return sendJson(res, { hello: 'world' });
    if (path.startsWith('/user/') && path.indexOf('/', 6) < 0 && path.length > 6) {
      return sendJson(res, { id: decodeURIComponent(path.slice(6)) });
    }
    if (path === '/plugins') {
      const body = JSON.stringify({ hello: 'world', theme: cookieValue(req.headers.cookie, 'theme') });
      res.writeHead(200, {
        ...PLUGIN_HEADERS,
        'content-type': JSON_TYPE,
        'set-cookie': 'session=abc123; Path=/; HttpOnly; SameSite=Lax',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    if (path === '/hooked') {
      onRequest(req, res);
      preHandler(req, res);
      return sendJson(res, { hello: 'world' });
    }
  } else if (req.method === 'POST' && path === '/schema') {
    // The frameworks' schema route by hand: JSON.parse, the checks the schema makes, the listed fields back.
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let b;
      try {
        b = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        b = null;
      }
      const valid =
        b !== null &&
        typeof b === 'object' &&
        typeof b.name === 'string' &&
        Number.isInteger(b.age) &&
        b.age >= 0 &&
        (b.tags === undefined || (Array.isArray(b.tags) && b.tags.every((t) => typeof t === 'string')));
      if (!valid) {
        res.writeHead(400, { 'content-type': TEXT, 'content-length': 11 });
        res.end('Bad Request');
        return;
      }
      sendJson(res, { id: 1, name: b.name, age: b.age, tags: b.tags ?? [] });
    });
    return;
  } else if (req.method === 'POST' && path === '/echo') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
    return;
  }
  res.writeHead(404, { 'content-type': TEXT, 'content-length': 9 });
  res.end('Not Found');
});

server.listen(PORT, HOST, () => announce(server.address().port, 'node:http'));
