// Backend selection: explicit choice, RINGSIDE_BACKEND, invalid values, io_uring unavailable (or available).
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTransport, createTcpServer, epollUnavailableReason, ioUringUnavailableReason, probe } from '../src/index.js';
import type { BackendChoice } from '../src/index.js';

const why = ioUringUnavailableReason().why;
const saved = process.env.RINGSIDE_BACKEND;

describe('backend selection', () => {
  afterEach(() => {
    if (saved === undefined) delete process.env.RINGSIDE_BACKEND;
    else process.env.RINGSIDE_BACKEND = saved;
  });

  it("backend: 'node' gives the node backend with a reason", async () => {
    const s = createTcpServer({ backend: 'node', log: false });
    expect(s.backend).toBe('node');
    expect(s.backendReason).toMatch(/^node: /);
    await s.listen({ port: 0 });
    expect(s.stats().backend).toBe('node');
    await s.close();
  });

  it('RINGSIDE_BACKEND=node gives the node backend (TCP and HTTP)', async () => {
    process.env.RINGSIDE_BACKEND = 'node';
    const s = createTcpServer({ log: false });
    expect(s.backend).toBe('node');
    expect(s.backendReason).toMatch(/RINGSIDE_BACKEND/);
    const h = createHttpTransport({ log: false, onRequest: (_req, res) => res.send(204, {}, null) });
    expect(h.backend).toBe('node');
    await s.close();
    await h.close();
  });

  it('an invalid backend option throws a clear error', () => {
    expect(() => createTcpServer({ backend: 'kqueue' as BackendChoice, log: false })).toThrow(
      /Option "backend" must be one of 'auto', 'io_uring', 'epoll', 'node', got "kqueue"/,
    );
  });

  it('probe() reports io_uring and the epoll driver, each usable or with the reason', () => {
    const p = probe();
    expect(p.usable).toBe(why === '');
    if (!p.usable) expect(p.reason).toBe(why);
    expect(p.epoll.usable).toBe(epollUnavailableReason().why === '');
    expect(p.epoll.reason).toBe(epollUnavailableReason().why);
  });

  it('an invalid RINGSIDE_BACKEND throws a clear error', () => {
    process.env.RINGSIDE_BACKEND = 'uring';
    expect(() => createTcpServer({ log: false })).toThrow(/RINGSIDE_BACKEND must be one of/);
  });

  it('the selection line goes to the log option; log: false silences it', () => {
    const lines: string[] = [];
    createTcpServer({ backend: 'node', log: (l) => lines.push(l) });
    expect(lines).toEqual(['ringside: backend node: requested by option backend']);
  });

  it.runIf(why !== '')(`io_uring requested where it cannot run throws the reason (${why || 'n/a: io_uring is available'})`, () => {
    expect(() => createTcpServer({ backend: 'io_uring', log: false })).toThrow(why);
    expect(() => createTcpServer({ backend: 'io_uring', log: false })).toThrow(/Use backend 'auto', 'epoll' or 'node'/);
    // auto falls back to the native engine on epoll when the addon loads, else to node.
    const auto = createTcpServer({ backend: 'auto', log: false });
    expect(auto.backend).toBe(epollUnavailableReason().why ? 'node' : 'epoll');
    expect(auto.backendReason).toContain(why);
  });

  it.runIf(why === '')('io_uring where it can run: requested and auto both pick it, with a reason', async () => {
    const s = createTcpServer({ backend: 'io_uring', log: false });
    expect(s.backend).toBe('io_uring');
    expect(s.backendReason).toMatch(/^io_uring: /);
    await s.listen({ port: 0 });
    expect(s.stats().backend).toBe('io_uring');
    await s.close();
    const auto = createTcpServer({ backend: 'auto', log: false });
    expect(auto.backend).toBe('io_uring');
    expect(auto.backendReason).toBeTruthy();
  });
});

describe('createTcpServer options', () => {
  it('refuses invalid options with messages that say what to do', async () => {
    const { createTcpServer } = await import('../src/index.js');
    expect(() => createTcpServer({ bufferCount: 100, log: false })).toThrow(/"bufferCount" must be a power of two/);
    expect(() => createTcpServer({ bufferSize: 10, log: false })).toThrow(/"bufferSize" must be an integer from 512/);
    expect(() => createTcpServer({ highWaterMark: -1, log: false })).toThrow(/"highWaterMark" must be a positive integer/);
    expect(() => createTcpServer({ onData: 5 as unknown as () => void, log: false })).toThrow(/"onData" must be a function/);
  });
});
