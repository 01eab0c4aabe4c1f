/**
 * fastify-plugin 6: a wrapped plugin registers into its parent scope (its
 * decorators and hooks are seen by siblings), and its metadata is checked as
 * fastify checks it: name (hasPlugin), dependencies, decorators, fastify range.
 */
import { expect, it } from 'vitest';
import fp from 'fastify-plugin';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const shared: Build = (app) => {
  app.register(
    fp(
      async (a: any) => {
        a.decorate('db', { name: 'main' });
        a.decorateRequest('user', null);
        a.addHook('onRequest', async (req: any) => {
          req.user = req.headers['x-user'] ?? 'anonymous';
        });
      },
      { name: 'db-plugin', fastify: '5.x' },
    ),
  );
  app.register(
    fp(
      async (a: any) => {
        a.decorate('usesDb', () => a.db.name);
      },
      { name: 'uses-db', dependencies: ['db-plugin'], decorators: { fastify: ['db'] } },
    ),
  );
  app.register(async (child: any) => {
    child.decorate('encapsulated', true);
  });
  app.get('/', function (this: any, req: any) {
    return { db: this.db.name, user: req.user, usesDb: this.usesDb(), hasDb: this.hasPlugin('db-plugin'), leaked: this.hasDecorator('encapsulated') };
  });
};

describeCompat('fastify-plugin', (via) => {
  const start = useSideBySide(via);

  it('registers into the parent scope with its metadata', async () => {
    const pair = await start(shared);
    const res = await expectSame(pair, { url: '/', headers: { 'x-user': 'ann' } }, ['content-type']);
    expect(JSON.parse(res.body)).toEqual({ db: 'main', user: 'ann', usesDb: 'main', hasDb: true, leaked: false });
    expect(pair.ringside.app.hasPlugin('db-plugin')).toBe(true);
    expect(pair.ringside.app.hasPlugin('uses-db')).toBe(true);
  });
});

// Metadata errors happen at ready(), before any request: checked once, beside fastify's.
async function readyError(make: () => any, build: Build): Promise<string | undefined> {
  const app = make();
  await build(app);
  try {
    await app.ready();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  } finally {
    await app.close().catch(() => {});
  }
}

it("fastify-plugin: a missing dependency, a missing decorator and a fastify range mismatch fail with fastify's codes", async () => {
  const { default: Fastify } = await import('fastify');
  const { createApp } = await import('@ringside/http');
  const cases: Build[] = [
    (a) => {
      a.register(fp(async () => {}, { name: 'needs', dependencies: ['absent'] }));
    },
    (a) => {
      a.register(fp(async () => {}, { name: 'needs-dec', decorators: { fastify: ['absent'] } }));
    },
    (a) => {
      a.register(fp(async () => {}, { name: 'old', fastify: '4.x' }));
    },
  ];
  for (const build of cases) {
    const expected = await readyError(() => Fastify(), build);
    expect(expected).toMatch(/^FST_ERR_/);
    expect(await readyError(() => createApp(), build)).toBe(expected);
  }
});
