/**
 * Side by side: the same app (a build function that registers real plugins,
 * unchanged, and routes) on fastify and on Ringside, the same request sent to
 * both, and the answers compared. fastify is the reference and is called
 * through its inject(); Ringside is called through inject() and over real
 * sockets (127.0.0.1:0, undici) on every backend — a backend that cannot run
 * here is listed, skipped, with the reason.
 */
import { afterEach, describe, expect } from 'vitest';
import { request } from 'undici';
import Fastify from 'fastify';
import { epollUnavailableReason, ioUringUnavailableReason, type BackendName } from '@ringside/core';
import { createApp } from '@ringside/http';

/** How Ringside is reached: its inject(), or a real socket on one backend. */
export type Via = 'inject' | BackendName;

/** A build function gets fastify or Ringside; plugins see either as their instance. */
export type Build = (app: any) => void | Promise<void>;

export interface Call {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Answer {
  status: number;
  /** Lower-case names; repeated headers (set-cookie) as arrays. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes as received (a compressed body, a file). */
  bytes: Buffer;
}

export interface Server {
  app: any;
  call(c: Call): Promise<Answer>;
}

/** One describe block per way of reaching Ringside; `body(via)` declares the tests. */
export function describeCompat(plugin: string, body: (via: Via) => void): void {
  const cases: { via: Via; skip: string | null }[] = [
    { via: 'inject', skip: null },
    { via: 'io_uring', skip: ioUringUnavailableReason().why || null },
    { via: 'epoll', skip: epollUnavailableReason().why || null },
    { via: 'node', skip: null },
  ];
  for (const c of cases) {
    if (c.skip) console.warn(`\n*** ${plugin} compat on ${c.via} SKIPPED: ${c.skip}\n`);
    describe.skipIf(c.skip !== null)(`${plugin}: ringside via ${c.via}${c.skip ? ` (SKIPPED: ${c.skip})` : ''}`, () => body(c.via));
  }
}

function fromInject(res: { statusCode: number; headers: Record<string, unknown>; body: string; rawPayload: Buffer }): Answer {
  return { status: res.statusCode, headers: res.headers as Answer['headers'], body: res.body, bytes: res.rawPayload };
}

function injectCall(app: any, c: Call): Promise<Answer> {
  return app.inject({ method: c.method ?? 'GET', url: c.url, headers: c.headers, payload: c.body }).then(fromInject);
}

/**
 * `start(build, options?)` → the same app on fastify and on Ringside (reached
 * `via`), ready; every app is closed after each test.
 */
export function useSideBySide(via: Via): (build: Build, options?: Record<string, unknown>) => Promise<{ fastify: Server; ringside: Server }> {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.close()));
  });
  return async (build, options = {}) => {
    const f = Fastify(options as any);
    open.push(f);
    await build(f);
    await f.ready();
    const r = createApp({ ...options, ...(via === 'inject' ? {} : { backend: via }) } as any);
    open.push(r);
    await build(r);
    const fastify: Server = { app: f, call: (c) => injectCall(f, c) };
    if (via === 'inject') {
      await r.ready();
      return { fastify, ringside: { app: r, call: (c) => injectCall(r, c) } };
    }
    await r.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${r.address()!.port}`;
    const call = async (c: Call): Promise<Answer> => {
      const res = await request(base + c.url, { method: (c.method ?? 'GET') as any, headers: c.headers, body: c.body });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers as Answer['headers'], body: bytes.toString('utf8'), bytes };
    };
    return { fastify, ringside: { app: r, call } };
  };
}

/** The parts of an answer a comparison looks at: status, the named headers (absent ones too) and, unless `body: false`, the body. */
export function pick(a: Answer, headers: string[], opts: { body?: boolean } = {}): { status: number; headers: Record<string, unknown>; body?: string } {
  const picked: Record<string, unknown> = {};
  for (const h of headers) picked[h] = a.headers[h];
  return opts.body === false ? { status: a.status, headers: picked } : { status: a.status, headers: picked, body: a.body };
}

/** Sends `c` to both and expects the same status, named headers and body; returns Ringside's answer for further checks. */
export async function expectSame(pair: { fastify: Server; ringside: Server }, c: Call, headers: string[], opts: { body?: boolean } = {}): Promise<Answer> {
  const expected = await pair.fastify.call(c);
  const actual = await pair.ringside.call(c);
  expect(pick(actual, headers, opts), `${c.method ?? 'GET'} ${c.url}`).toEqual(pick(expected, headers, opts));
  return actual;
}
