// Response framing rules and the keep-alive decision shared by both backends, @ringside/http's reply and inject().
import { describe, expect, it } from 'vitest';
import { bodyless, checkStatus, isHeaderName, isHeaderValue, isStandardStatus, isStatusCode, scanHeaders, validateResponse } from '../src/http-framing.js';
import { closesConnection, connectionHeader, keepAliveAfter, limitsAllowAnother } from '../src/keep-alive.js';
import { defaultHttpLimits } from '../src/index.js';

describe('response framing rules', () => {
  it('bodyless statuses: 1xx, 204, 304', () => {
    expect([100, 101, 199, 204, 304].every(bodyless)).toBe(true);
    expect([200, 205, 301, 404, 500].some(bodyless)).toBe(false);
  });

  it('status codes: three digits for the transport, 100–599 for reply.code()', () => {
    expect([100, 599, 999].every(isStatusCode)).toBe(true);
    expect([99, 1000, 200.5, NaN, '200'].some(isStatusCode)).toBe(false);
    expect(isStandardStatus(599)).toBe(true);
    expect(isStandardStatus(600)).toBe(false);
    expect(() => checkStatus(1000)).toThrow(RangeError);
  });

  it('header names are tokens; values carry no CR, LF or NUL', () => {
    expect(isHeaderName('x-custom_1')).toBe(true);
    expect(['bad name', 'a:b', '', 'é'].some(isHeaderName)).toBe(false);
    expect(isHeaderValue('a, b; q=1\t')).toBe(true);
    expect(['a\r\nb', 'a\nb', 'a\0'].some(isHeaderValue)).toBe(false);
    // A bad value must not pass because a good one was cached before.
    expect(isHeaderValue('ok')).toBe(true);
    expect(isHeaderValue('ok\r\nx: y')).toBe(false);
  });

  it('validateResponse names the bad header and throws before anything is written', () => {
    expect(() => validateResponse(200, { 'x-a': ['fine', 'evil\r\nset-cookie: x'] })).toThrow(/x-a/);
    expect(() => validateResponse(200, { 'bad name': 'v' })).toThrow(TypeError);
    expect(() => validateResponse(99, {})).toThrow(RangeError);
    expect(() => validateResponse(200, { a: 'b', n: 1, l: ['x', 'y'] })).not.toThrow();
  });

  it('scanHeaders finds the framing headers, and renders text or flat pairs', () => {
    const headers = { Date: 'x', Connection: 'Close', 'Content-Length': 3, 'transfer-encoding': 'chunked', 'set-cookie': ['a=1', 'b=2'] };
    const pairs: unknown[] = [];
    const scan = scanHeaders(headers, true, pairs);
    expect(scan).toMatchObject({ date: true, connection: 'close', contentLength: true, transferEncoding: true });
    expect(scan.text).toBe('Date: x\r\nConnection: Close\r\nContent-Length: 3\r\ntransfer-encoding: chunked\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n');
    expect(pairs).toEqual(['Date', 'x', 'Connection', 'Close', 'Content-Length', 3, 'transfer-encoding', 'chunked', 'set-cookie', ['a=1', 'b=2']]);
    expect(scanHeaders({ a: 'b' }, false, null)).toEqual({ text: '', contentLength: false, transferEncoding: false, connection: undefined, date: false });
  });
});

describe('keep-alive decision', () => {
  const limits = { ...defaultHttpLimits, maxRequestsPerSocket: 3 };

  it('the limits: keepAliveTimeout 0 closes after each request; maxRequestsPerSocket after the last allowed', () => {
    expect(limitsAllowAnother(limits, 2)).toBe(true);
    expect(limitsAllowAnother(limits, 3)).toBe(false);
    expect(limitsAllowAnother({ ...limits, maxRequestsPerSocket: 0 }, 1e6)).toBe(true);
    expect(limitsAllowAnother({ ...limits, keepAliveTimeout: 0 }, 1)).toBe(false);
  });

  it('a response keeps the connection only when the client, the connection, the body and the limits all allow it', () => {
    expect(keepAliveAfter(limits, 1, true, false, true)).toBe(true);
    expect(keepAliveAfter(limits, 1, false, false, true)).toBe(false);
    expect(keepAliveAfter(limits, 1, true, true, true)).toBe(false);
    expect(keepAliveAfter(limits, 1, true, false, false)).toBe(false);
    expect(keepAliveAfter(limits, 3, true, false, true)).toBe(false);
  });

  it('Connection header: close when closing, keep-alive only for HTTP/1.0', () => {
    expect(connectionHeader(false, '1.1')).toBe('Connection: close\r\n');
    expect(connectionHeader(true, '1.0')).toBe('Connection: keep-alive\r\n');
    expect(connectionHeader(true, '1.1')).toBe('');
  });

  it("an app's Connection header closes when close is one of its tokens", () => {
    expect(['close', 'Close', 'upgrade, close', 'close , te'].every(closesConnection)).toBe(true);
    expect([undefined, 'keep-alive', 'closed', 'x-close'].some(closesConnection)).toBe(false);
  });
});
