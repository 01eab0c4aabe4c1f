/**
 * trustProxy as in fastify: true, a hop count, addresses and CIDR ranges
 * (string, comma list, array, proxy-addr's names) and functions decide which
 * X-Forwarded-For entries count for req.ip / req.ips, and whether
 * X-Forwarded-Host / -Proto do. Over real sockets, every backend reports an
 * IPv4 peer of a dual-stack listener as '127.0.0.1', never '::ffff:127.0.0.1'.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/index.js';
import { describeAppBackends } from './app-backends.js';

type Options = Parameters<typeof createApp>[0];

function ipApp(options: Options): App {
  const app = createApp(options);
  app.get('/', (req) => ({ ip: req.ip, ips: req.ips, host: req.host, protocol: req.protocol }));
  return app;
}

async function seen(
  options: Options,
  headers: Record<string, string>,
  remoteAddress = '127.0.0.1',
): Promise<{ ip: string; ips: string[]; host: string; protocol: string }> {
  const res = await ipApp(options).inject({ url: '/', headers: { host: 'origin.test', ...headers }, remoteAddress });
  return res.json();
}

const xff = { 'x-forwarded-for': '1.1.1.1, 10.1.1.1, 8.8.8.8', 'x-forwarded-host': 'a.test, b.test', 'x-forwarded-proto': 'http, https' };

describe('trustProxy', () => {
  it('false (default): the peer, and the Host header', async () => {
    expect(await seen({}, xff)).toEqual({ ip: '127.0.0.1', ips: ['127.0.0.1'], host: 'origin.test', protocol: 'http' });
  });

  it('true: every hop; X-Forwarded-Host/-Proto by their last entry (the nearest proxy), as fastify', async () => {
    expect(await seen({ trustProxy: true }, xff)).toEqual({
      ip: '1.1.1.1',
      ips: ['127.0.0.1', '8.8.8.8', '10.1.1.1', '1.1.1.1'],
      host: 'b.test',
      protocol: 'https',
    });
  });

  it('a hop count trusts that many hops from the peer', async () => {
    expect((await seen({ trustProxy: 1 }, xff)).ip).toBe('8.8.8.8');
    expect((await seen({ trustProxy: 2 }, xff)).ips).toEqual(['127.0.0.1', '8.8.8.8', '10.1.1.1']);
    expect((await seen({ trustProxy: 0 }, xff)).ip).toBe('127.0.0.1');
  });

  it('addresses and CIDR ranges: a string, a comma list, an array, proxy-addr names; the chain stops at the first untrusted hop', async () => {
    expect((await seen({ trustProxy: '127.0.0.1' }, xff)).ip).toBe('8.8.8.8');
    expect((await seen({ trustProxy: '127.0.0.0/8, 8.8.8.0/24' }, xff)).ip).toBe('10.1.1.1');
    expect((await seen({ trustProxy: ['127.0.0.1', '8.8.8.8', '10.0.0.0/8'] }, xff)).ip).toBe('1.1.1.1');
    expect((await seen({ trustProxy: 'loopback' }, xff)).ip).toBe('8.8.8.8');
    // 10.0.0.0/8 is trusted, but 8.8.8.8 sits between it and the peer: the chain stops there.
    expect((await seen({ trustProxy: ['127.0.0.1', '10.0.0.0/8'] }, xff)).ips).toEqual(['127.0.0.1', '8.8.8.8']);
    expect((await seen({ trustProxy: '::1/128, 127.0.0.1' }, xff, '::ffff:127.0.0.1')).ip).toBe('8.8.8.8');
  });

  it('an untrusted peer: its own address, and X-Forwarded-Host/-Proto are ignored', async () => {
    expect(await seen({ trustProxy: '10.0.0.0/8' }, xff, '192.0.2.1')).toEqual({ ip: '192.0.2.1', ips: ['192.0.2.1'], host: 'origin.test', protocol: 'http' });
  });

  it('a function (address, hop) => boolean', async () => {
    const calls: [string, number][] = [];
    const trustProxy = (address: string, hop: number): boolean => {
      calls.push([address, hop]);
      return hop === 0 || address.startsWith('10.');
    };
    const res = await seen({ trustProxy }, xff);
    expect(res.ip).toBe('8.8.8.8');
    expect(calls).toContainEqual(['127.0.0.1', 0]);
    expect(calls).toContainEqual(['8.8.8.8', 1]);
  });

  it('refuses addresses proxy-addr cannot parse, naming the option', () => {
    expect(() => createApp({ trustProxy: '10.0.0.0/99' })).toThrow(/Option "trustProxy"/);
    expect(() => createApp({ trustProxy: ['not-an-ip'] })).toThrow(/Option "trustProxy"/);
    expect(() => createApp({ trustProxy: {} as never })).toThrow(/Option "trustProxy" must be/);
  });
});

/** Whether this machine can listen on '::' (dual-stack). */
async function dualStackReason(): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (e) => resolve(`cannot listen on '::': ${(e as Error).message}`));
    s.listen({ port: 0, host: '::', ipv6Only: false }, () => s.close(() => resolve(null)));
  });
}

describeAppBackends('peer address over a socket', (backend) => {
  let app: App | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it("reports an IPv4 peer of a dual-stack listener as '127.0.0.1', and trusts a CIDR proxy", async (ctx) => {
    const why = await dualStackReason();
    if (why) {
      console.warn(`\n*** dual-stack peer address test SKIPPED: ${why}\n`);
      ctx.skip();
    }
    app = createApp({ backend, trustProxy: '127.0.0.0/8' });
    app.get('/', (req) => ({ ip: req.ip, ips: req.ips }));
    await app.listen({ port: 0, host: '::' });
    const port = app.address()!.port;
    const direct = await (await fetch(`http://127.0.0.1:${port}/`)).json();
    expect(direct).toEqual({ ip: '127.0.0.1', ips: ['127.0.0.1'] });
    const proxied = await (await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).json();
    expect(proxied).toEqual({ ip: '203.0.113.9', ips: ['127.0.0.1', '203.0.113.9'] });
  });
});
