import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';

describe('options', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ bodyLimit: -1 }, /^Option "bodyLimit" must be a positive integer \(bytes\), got -1$/],
    [{ bodyLimit: 0 }, /Option "bodyLimit" must be a positive integer \(bytes\), got 0/],
    [{ bodyLimit: 1.5 }, /Option "bodyLimit" must be a positive integer/],
    [{ maxHeaderSize: '16k' }, /Option "maxHeaderSize" must be a positive integer \(bytes\), got "16k"/],
    [{ maxHeaders: 0 }, /Option "maxHeaders" must be a positive integer \(count\)/],
    [{ maxUrlLength: -5 }, /Option "maxUrlLength" must be a positive integer/],
    [{ headersTimeout: -1 }, /Option "headersTimeout" must be a non-negative integer \(milliseconds, 0 to disable\), got -1/],
    [{ requestTimeout: 'soon' }, /Option "requestTimeout" must be a non-negative integer/],
    [{ keepAliveTimeout: 1.2 }, /Option "keepAliveTimeout" must be a non-negative integer/],
    [{ maxRequestsPerSocket: -1 }, /Option "maxRequestsPerSocket" must be a non-negative integer \(count, 0 for no limit\)/],
    [{ bodylimit: 10 }, /Unknown option "bodylimit"\. Did you mean "bodyLimit"\?/],
    [{ whatever: 1 }, /Unknown option "whatever"\. Known options: /],
    [{ backend: 'kqueue' }, /Option "backend" must be one of 'auto', 'io_uring', 'epoll', 'node', got "kqueue"/],
    [{ logger: 'yes' }, /Option "logger" must be true, false, pino options or a pino logger, got "yes"/],
    [{ genReqId: 'x' }, /Option "genReqId" must be a function/],
    [{ ignoreTrailingSlash: 'yes' }, /Option "ignoreTrailingSlash" must be true or false/],
    [{ caseSensitive: 1 }, /Option "caseSensitive" must be true or false/],
    [{ maxParamLength: 0 }, /Option "maxParamLength" must be a positive integer \(characters\), got 0/],
    [{ trustProxy: {} }, /Option "trustProxy" must be true, false, a number of hops, or proxy addresses/],
    [{ trustProxy: -1 }, /Option "trustProxy" as a number must be a non-negative integer/],
  ];
  for (const [options, message] of bad) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      let caught: unknown;
      try {
        createApp(options as never);
      } catch (e) {
        caught = e;
      }
      expect(caught).toMatchObject({ code: 'RS_ERR_OPTION_INVALID', statusCode: 500 });
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('accepts every documented option', () => {
    expect(() =>
      createApp({
        logger: false,
        backend: 'node',
        bodyLimit: 1024,
        maxHeaderSize: 8192,
        maxHeaders: 50,
        maxUrlLength: 2048,
        headersTimeout: 0,
        requestTimeout: 1000,
        keepAliveTimeout: 5000,
        maxRequestsPerSocket: 100,
        genReqId: () => 'id',
        trustProxy: '10.0.0.1,10.0.0.2',
        ignoreTrailingSlash: true,
        ignoreDuplicateSlashes: true,
        caseSensitive: false,
        maxParamLength: 200,
        exposeHeadRoutes: false,
        querystringParser: () => ({}),
        constraints: {},
      }),
    ).not.toThrow();
    expect(() => createApp()).not.toThrow();
    expect(() => createApp(undefined)).not.toThrow();
  });

  it('refuses bad listen() options', async () => {
    const app = createApp();
    await expect(app.listen({ port: -1 })).rejects.toThrow(/listen\(\) option "port" must be an integer from 0 to 65535/);
    await expect(app.listen({ port: 1, prot: 2 } as never)).rejects.toThrow(/Unknown listen\(\) option "prot"/);
    await expect(app.listen({ host: '' })).rejects.toThrow(/listen\(\) option "host" must be an address string/);
  });

  it('validates route, plugin and decorator arguments at start-up', () => {
    const app = createApp();
    expect(() => app.get('/a', { body: 'json' as never }, () => 'x')).toThrow(/option "body" must be 'parse', 'buffer' or 'stream'/);
    expect(() => app.register(async () => {}, 'x' as never)).toThrow(expect.objectContaining({ code: 'RS_ERR_OPTION_INVALID' }));
    expect(() => app.setErrorHandler('x' as never)).toThrow(expect.objectContaining({ code: 'FST_ERR_ERROR_HANDLER_NOT_FN' }));
  });
});
