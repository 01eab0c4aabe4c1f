/**
 * @fastify/multipart 10: file uploads (form-data and undici's FormData),
 * req.file(), req.parts(), attachFieldsToBody, and limits answered 413 as on
 * fastify; an upload bigger than the limits or a client that leaves mid-upload
 * leaves the server serving.
 */
import { expect, it } from 'vitest';
import net from 'node:net';
import { createHash } from 'node:crypto';
import FormData from 'form-data';
import { FormData as UndiciFormData, request } from 'undici';
import multipart from '@fastify/multipart';
import { waitFor } from '../../packages/core/test/helpers.js';
import { describeCompat, expectSame, useSideBySide, type Build, type Call } from './helpers.js';

const HEADERS = ['content-type'];

function form(build: (f: FormData) => void): { headers: Record<string, string>; body: Buffer } {
  const f = new FormData();
  build(f);
  return { headers: f.getHeaders() as Record<string, string>, body: f.getBuffer() };
}

function post(url: string, f: { headers: Record<string, string>; body: Buffer }): Call {
  return { method: 'POST', url, headers: f.headers, body: f.body };
}

/** A 3-byte upload over a socket: the server still serves after refusing a big one. */
function postSmallUpload(port: number): ReturnType<typeof request> {
  const f = new UndiciFormData();
  f.append('upload', new Blob(['abc']), 'a');
  return request(`http://127.0.0.1:${port}/file`, { method: 'POST', body: f });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const routes: Build = async (app) => {
  app.post('/file', async (req: any) => {
    const data = await req.file();
    const bytes = await data.toBuffer();
    return {
      field: data.fieldname,
      filename: data.filename,
      mimetype: data.mimetype,
      encoding: data.encoding,
      size: bytes.length,
      sha: sha(bytes),
      fields: Object.keys(data.fields).sort(),
    };
  });
  app.post('/parts', async (req: any) => {
    const seen: unknown[] = [];
    for await (const part of req.parts()) {
      if (part.type === 'file') seen.push({ file: part.fieldname, filename: part.filename, size: (await part.toBuffer()).length });
      else seen.push({ field: part.fieldname, value: part.value });
    }
    return seen;
  });
  app.post('/files', async (req: any) => {
    const out: unknown[] = [];
    for await (const file of req.files()) out.push({ name: file.filename, size: (await file.toBuffer()).length });
    return out;
  });
  app.post('/is', async (req: any) => ({ multipart: req.isMultipart() }));
};

const build =
  (options: object = {}): Build =>
  async (app) => {
    await app.register(multipart, options);
    await routes(app);
  };

const big = Buffer.alloc(300 * 1024, 7);

describeCompat('@fastify/multipart', (via) => {
  const start = useSideBySide(via);

  it('req.file(): one file with its fields', async () => {
    const pair = await start(build());
    const f = form((f) => {
      f.append('title', 'hello');
      f.append('upload', Buffer.from('file bytes here'), { filename: 'a.txt', contentType: 'text/plain' });
    });
    const res = await expectSame(pair, post('/file', f), HEADERS);
    expect(JSON.parse(res.body)).toMatchObject({ field: 'upload', filename: 'a.txt', size: 15, fields: ['title', 'upload'] });
  });

  it('req.parts() and req.files(): fields and several files, in order', async () => {
    const pair = await start(build());
    const f = form((f) => {
      f.append('a', '1');
      f.append('one', big, { filename: 'big.bin' });
      f.append('b', 'two');
      f.append('two', Buffer.from('xy'), { filename: 'small.bin' });
    });
    const res = await expectSame(pair, post('/parts', f), HEADERS);
    expect(JSON.parse(res.body)).toEqual([
      { field: 'a', value: '1' },
      { file: 'one', filename: 'big.bin', size: big.length },
      { field: 'b', value: 'two' },
      { file: 'two', filename: 'small.bin', size: 2 },
    ]);
    await expectSame(pair, post('/files', f), HEADERS);
  });

  it('a non-multipart request: isMultipart() false, req.file() refuses it as on fastify', async () => {
    const pair = await start(build());
    expect(
      JSON.parse((await expectSame(pair, { method: 'POST', url: '/is', headers: { 'content-type': 'application/json' }, body: '{}' }, HEADERS)).body),
    ).toEqual({ multipart: false });
    expect((await expectSame(pair, { method: 'POST', url: '/file', headers: { 'content-type': 'application/json' }, body: '{}' }, HEADERS)).status).toBe(406);
  });

  it('attachFieldsToBody: fields and files on req.body', async () => {
    const pair = await start(async (app) => {
      await app.register(multipart, { attachFieldsToBody: true });
      app.post('/body', async (req: any) => ({
        title: req.body.title.value,
        file: req.body.upload.filename,
        size: (await req.body.upload.toBuffer()).length,
      }));
      app.post(
        '/values',
        {
          schema: { body: { type: 'object', required: ['title'], properties: { title: { type: 'string', minLength: 3 } } } },
        },
        async (req: any) => req.body,
      );
    });
    const f = form((f) => {
      f.append('title', 'hello');
      f.append('upload', big, { filename: 'b.bin' });
    });
    expect(JSON.parse((await expectSame(pair, post('/body', f), HEADERS)).body)).toEqual({ title: 'hello', file: 'b.bin', size: big.length });
    const pair2 = await start(async (app) => {
      await app.register(multipart, { attachFieldsToBody: 'keyValues' });
      app.post(
        '/values',
        {
          schema: { body: { type: 'object', required: ['title'], properties: { title: { type: 'string', minLength: 3 } } } },
        },
        async (req: any) => ({ title: req.body.title, upload: Buffer.isBuffer(req.body.upload) ? req.body.upload.length : req.body.upload }),
      );
    });
    expect(
      JSON.parse(
        (
          await expectSame(
            pair2,
            post(
              '/values',
              form((f) => {
                f.append('title', 'hello');
                f.append('upload', Buffer.from('abc'), { filename: 'c.bin' });
              }),
            ),
            HEADERS,
          )
        ).body,
      ),
    ).toEqual({ title: 'hello', upload: 3 });
    const bad = await expectSame(
      pair2,
      post(
        '/values',
        form((f) => f.append('title', 'x')),
      ),
      HEADERS,
    );
    expect(bad.status).toBe(400);
  });

  it('limits: a file over fileSize, too many files, too many fields → 413 as on fastify', async () => {
    const pair = await start(build({ limits: { fileSize: 1024, files: 1, fields: 1 }, throwFileSizeLimit: true }));
    const tooBig = await expectSame(
      pair,
      post(
        '/file',
        form((f) => f.append('upload', big, { filename: 'big.bin' })),
      ),
      HEADERS,
    );
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.body).code).toBe('FST_REQ_FILE_TOO_LARGE');
    const files = await expectSame(
      pair,
      post(
        '/parts',
        form((f) => {
          f.append('a', Buffer.from('1'), { filename: '1' });
          f.append('b', Buffer.from('2'), { filename: '2' });
        }),
      ),
      HEADERS,
    );
    expect(files.status).toBe(413);
    const fields = await expectSame(
      pair,
      post(
        '/parts',
        form((f) => {
          f.append('a', '1');
          f.append('b', '2');
        }),
      ),
      HEADERS,
    );
    expect(fields.status).toBe(413);
  });

  it('a body over bodyLimit → 413 (Ringside bounds the whole body by bodyLimit)', async () => {
    const pair = await start(build({ attachFieldsToBody: true }), { bodyLimit: 64 * 1024 });
    // fastify lets a streaming parser read any length and multipart's fileSize (default: bodyLimit)
    // answers FST_REQ_FILE_TOO_LARGE; Ringside refuses the body by its length first: the
    // framework (FST_ERR_CTP_BODY_TOO_LARGE), or over a socket the transport, before any
    // JavaScript runs (RS_ERR_HTTP_BODY_TOO_LARGE). Same status; the code differs (the fastify plugins table in packages/http/README.md).
    const res = await expectSame(
      pair,
      post(
        '/file',
        form((f) => f.append('upload', big, { filename: 'big.bin' })),
      ),
      HEADERS,
      { body: false },
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).code).toBe(via === 'inject' ? 'FST_ERR_CTP_BODY_TOO_LARGE' : 'RS_ERR_HTTP_BODY_TOO_LARGE');
  });

  it('a route bodyLimit above the upload lets it through', async () => {
    const pair = await start(
      async (app) => {
        await app.register(multipart, { limits: { fileSize: 4 * 1024 * 1024 } });
        app.post('/big', { bodyLimit: 4 * 1024 * 1024 }, async (req: any) => ({ size: (await (await req.file()).toBuffer()).length }));
      },
      { bodyLimit: 64 * 1024 },
    );
    const upload = Buffer.alloc(2 * 1024 * 1024, 3);
    expect(
      JSON.parse(
        (
          await expectSame(
            pair,
            post(
              '/big',
              form((f) => f.append('upload', upload, { filename: 'u.bin' })),
            ),
            HEADERS,
          )
        ).body,
      ),
    ).toEqual({ size: upload.length });
  });

  it("undici's FormData over a real socket", async () => {
    if (via === 'inject') return;
    const pair = await start(build());
    const port = pair.ringside.app.address().port;
    const fd = new UndiciFormData();
    fd.append('title', 'hi');
    fd.append('upload', new Blob([big]), 'blob.bin');
    const res = await request(`http://127.0.0.1:${port}/file`, { method: 'POST', body: fd });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ filename: 'blob.bin', size: big.length, sha: sha(big), fields: ['title', 'upload'] });
  });

  it('a client that leaves mid-upload, and an upload far over the limits: the server keeps serving', async () => {
    if (via === 'inject') return;
    let settled = 0;
    const pair = await start(async (app) => {
      await build({ limits: { fileSize: 64 * 1024 }, throwFileSizeLimit: true })(app);
      app.post('/track', async (req: any) => {
        try {
          return { size: (await (await req.file()).toBuffer()).length };
        } finally {
          settled++;
        }
      });
    });
    const port = pair.ringside.app.address().port;
    const boundary = 'XBOUNDARYX';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    // Leaves after 32 KiB of a declared 900 KiB body (under bodyLimit: the plugin is reading it).
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write(`POST /track HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${900 * 1024}\r\n\r\n${head}`);
        s.write(Buffer.alloc(32 * 1024, 1), () => s.destroy());
      });
      s.on('close', () => resolve());
      s.on('error', () => {});
    });
    // The handler waiting on the file is not left hanging: its stream fails.
    await waitFor(() => settled === 1, 5000, 'the upload handler to settle after the client left');
    // 4 MiB against a 64 KiB fileSize limit: 413, whatever the client still sends.
    const fd = new UndiciFormData();
    fd.append('upload', new Blob([Buffer.alloc(4 * 1024 * 1024, 2)]), 'big.bin');
    const res = await request(`http://127.0.0.1:${port}/file`, { method: 'POST', body: fd }).catch((e: Error) => e);
    if (!(res instanceof Error)) {
      expect(res.statusCode).toBe(413);
      await res.body.text();
    }
    const ok = await postSmallUpload(port);
    expect(ok.statusCode).toBe(200);
    expect(((await ok.body.json()) as { size: number }).size).toBe(3);
  });

  it('a chunked upload past bodyLimit (no Content-Length to refuse by) is cut off with 413', async () => {
    if (via === 'inject') return;
    const pair = await start(build({ limits: { fileSize: 8 * 1024 * 1024 } }), { bodyLimit: 256 * 1024 });
    const port = pair.ringside.app.address().port;
    const boundary = 'CHUNKEDX';
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let data = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        data += d;
      });
      s.on('close', () => resolve(data));
      s.on('error', () => {});
      s.write(`POST /file HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="x.bin"\r\n\r\n`;
      s.write(`${Buffer.byteLength(head).toString(16)}\r\n${head}\r\n`);
      // Up to 4 MiB in 64 KiB chunks, stopping once the server has answered or closed.
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 5);
      const pump = (): void => {
        while (sent < 4 * 1024 * 1024 && data === '' && !s.destroyed) {
          sent += chunk.length;
          if (!s.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]))) {
            s.once('drain', pump);
            return;
          }
        }
        if (data !== '') s.end();
      };
      pump();
      setTimeout(() => s.destroy(), 10_000).unref();
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    const ok = await postSmallUpload(port);
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });
});
