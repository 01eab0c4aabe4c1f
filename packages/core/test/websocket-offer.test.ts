import { describe, expect, it } from 'vitest';
import { negotiateDeflate, websocketAccept, websocketOffer } from '../src/websocket-offer.js';
import type { IncomingHeaders, WebSocketCompression } from '../src/index.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='; // RFC 6455 §1.3's sample key

function headers(extra: IncomingHeaders = {}): IncomingHeaders {
  return { host: 'x', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-version': '13', 'sec-websocket-key': KEY, ...extra };
}

describe('websocketOffer (RFC 6455 §4.2.1)', () => {
  const valid: [string, string, string, IncomingHeaders][] = [
    ['the minimal handshake', 'GET', '1.1', headers()],
    ['Upgrade and Connection in any case', 'GET', '1.1', headers({ upgrade: 'WebSocket', connection: 'UPGRADE' })],
    ['Connection as a token list', 'GET', '1.1', headers({ connection: 'keep-alive, Upgrade' })],
    ['Upgrade as a token list', 'GET', '1.1', headers({ upgrade: 'h2c, websocket' })],
    ['repeated Connection fields', 'GET', '1.1', headers({ connection: ['keep-alive', 'upgrade'] })],
    ['version with spaces', 'GET', '1.1', headers({ 'sec-websocket-version': ' 13 ' })],
  ];
  for (const [what, method, version, h] of valid) {
    it(`accepts ${what}`, () => {
      expect(websocketOffer(method, version, h)).toEqual({ key: KEY, protocols: [], extensions: '' });
    });
  }

  const invalid: [string, string, string, IncomingHeaders][] = [
    ['POST', 'POST', '1.1', headers()],
    ['HEAD', 'HEAD', '1.1', headers()],
    ['HTTP/1.0', 'GET', '1.0', headers()],
    ['no Upgrade', 'GET', '1.1', headers({ upgrade: undefined })],
    ['Upgrade: h2c', 'GET', '1.1', headers({ upgrade: 'h2c' })],
    ['Upgrade: websocketx', 'GET', '1.1', headers({ upgrade: 'websocketx' })],
    ['no Connection', 'GET', '1.1', headers({ connection: undefined })],
    ['Connection: keep-alive', 'GET', '1.1', headers({ connection: 'keep-alive' })],
    ['Connection: upgrades', 'GET', '1.1', headers({ connection: 'upgrades' })],
    ['version 8', 'GET', '1.1', headers({ 'sec-websocket-version': '8' })],
    ['version 13 twice', 'GET', '1.1', headers({ 'sec-websocket-version': ['13', '13'] })],
    ['no version', 'GET', '1.1', headers({ 'sec-websocket-version': undefined })],
    ['no key', 'GET', '1.1', headers({ 'sec-websocket-key': undefined })],
    ['a key of 15 bytes', 'GET', '1.1', headers({ 'sec-websocket-key': Buffer.alloc(15, 1).toString('base64') })],
    ['a key of 17 bytes', 'GET', '1.1', headers({ 'sec-websocket-key': Buffer.alloc(17, 1).toString('base64') })],
    ['a key that is not base64', 'GET', '1.1', headers({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ!=' })],
    ['a key with non-zero padding bits', 'GET', '1.1', headers({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZR==' })],
    ['two keys', 'GET', '1.1', headers({ 'sec-websocket-key': [KEY, KEY] })],
    ['a protocol that is not a token', 'GET', '1.1', headers({ 'sec-websocket-protocol': 'chat, a b' })],
  ];
  for (const [what, method, version, h] of invalid) {
    it(`refuses ${what}`, () => {
      expect(websocketOffer(method, version, h)).toBeNull();
    });
  }

  it('keeps a 16-byte key of any value', () => {
    for (const fill of [0, 0xff, 0x3e]) {
      const key = Buffer.alloc(16, fill).toString('base64');
      expect(websocketOffer('GET', '1.1', headers({ 'sec-websocket-key': key }))?.key).toBe(key);
    }
  });

  it('lists protocols from comma lists and repeated fields, trimmed, in order', () => {
    const offer = websocketOffer('GET', '1.1', headers({ 'sec-websocket-protocol': ['chat , superchat', ' ,v2.json'] }));
    expect(offer?.protocols).toEqual(['chat', 'superchat', 'v2.json']);
  });

  it('passes the extensions header through, repeated fields joined', () => {
    const offer = websocketOffer('GET', '1.1', headers({ 'sec-websocket-extensions': ['permessage-deflate', 'x-foo'] }));
    expect(offer?.extensions).toBe('permessage-deflate,x-foo');
  });

  it('computes the accept value of RFC 6455 §1.3', () => {
    expect(websocketAccept(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

describe('negotiateDeflate (RFC 7692 §7)', () => {
  const all: WebSocketCompression = {};
  const cases: [string, string, WebSocketCompression, string | null][] = [
    ['no header', '', all, null],
    ['another extension only', 'x-webkit-deflate-frame', all, null],
    ['a bare offer', 'permessage-deflate', all, 'permessage-deflate'],
    ['a name in another case', 'Permessage-Deflate', all, 'permessage-deflate'],
    ['client_max_window_bits without value', 'permessage-deflate; client_max_window_bits', all, 'permessage-deflate'],
    ['client_max_window_bits with a value', 'permessage-deflate; client_max_window_bits=10', all, 'permessage-deflate; client_max_window_bits=10'],
    [
      'client_max_window_bits limited by the server',
      'permessage-deflate; client_max_window_bits',
      { clientMaxWindowBits: 12 },
      'permessage-deflate; client_max_window_bits=12',
    ],
    ['a client window limit the client cannot take', 'permessage-deflate', { clientMaxWindowBits: 12 }, null],
    ['server_max_window_bits answered', 'permessage-deflate; server_max_window_bits=15', all, 'permessage-deflate; server_max_window_bits=15'],
    ['server_max_window_bits lowered', 'permessage-deflate; server_max_window_bits=10', all, 'permessage-deflate; server_max_window_bits=10'],
    [
      'the server window smaller than offered',
      'permessage-deflate; server_max_window_bits=12',
      { serverMaxWindowBits: 9 },
      'permessage-deflate; server_max_window_bits=9',
    ],
    ['the server window limited unasked', 'permessage-deflate', { serverMaxWindowBits: 11 }, 'permessage-deflate; server_max_window_bits=11'],
    ['a quoted value', 'permessage-deflate; server_max_window_bits="10"', all, 'permessage-deflate; server_max_window_bits=10'],
    ['server_no_context_takeover asked', 'permessage-deflate; server_no_context_takeover', all, 'permessage-deflate; server_no_context_takeover'],
    ['server_no_context_takeover by the server', 'permessage-deflate', { serverNoContextTakeover: true }, 'permessage-deflate; server_no_context_takeover'],
    ['client_no_context_takeover offered', 'permessage-deflate; client_no_context_takeover', all, 'permessage-deflate; client_no_context_takeover'],
    ['client_no_context_takeover by the server', 'permessage-deflate', { clientNoContextTakeover: true }, 'permessage-deflate; client_no_context_takeover'],
    [
      'every parameter',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8',
      all,
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8',
    ],
    ['a duplicate parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', all, null],
    ['an unknown parameter', 'permessage-deflate; foo', all, null],
    ['server_max_window_bits without value', 'permessage-deflate; server_max_window_bits', all, null],
    ['server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=7', all, null],
    ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16', all, null],
    ['server_max_window_bits=010', 'permessage-deflate; server_max_window_bits=010', all, null],
    ['client_max_window_bits=abc', 'permessage-deflate; client_max_window_bits=abc', all, null],
    ['a value on a flag', 'permessage-deflate; server_no_context_takeover=1', all, null],
    ['a malformed header', 'permessage-deflate; =1', all, null],
    ['an unterminated quote', 'permessage-deflate; server_max_window_bits="10', all, null],
    [
      'the first acceptable offer',
      'permessage-deflate; foo, permessage-deflate; server_max_window_bits=10, permessage-deflate',
      all,
      'permessage-deflate; server_max_window_bits=10',
    ],
    ['an offer after another extension', 'x-foo; a=1, permessage-deflate; client_max_window_bits', all, 'permessage-deflate'],
  ];
  for (const [what, header, compression, response] of cases) {
    it(`${what}: ${response === null ? 'none' : response}`, () => {
      expect(negotiateDeflate(header, compression)?.response ?? null).toBe(response);
    });
  }

  it('reports the agreed parameters', () => {
    expect(negotiateDeflate('permessage-deflate; client_max_window_bits=9; server_no_context_takeover', {})?.params).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 9,
    });
    expect(negotiateDeflate('permessage-deflate', {})?.params.clientMaxWindowBits).toBe(15);
  });
});
