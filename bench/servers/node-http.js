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
    if (path === '/hooked') {
      onRequest(req, res);
      preHandler(req, res);
      return sendJson(res, { hello: 'world' });
    }
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
