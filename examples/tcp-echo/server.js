// TCP echo server: every byte a client sends comes back. Backend from RINGSIDE_BACKEND (auto by default).
import { createTcpServer } from '@ringside/core';

const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST ?? '127.0.0.1';

const server = createTcpServer({
  onData(conn, data) {
    // Back-pressure: stop reading from a client that does not read its echo.
    if (!conn.write(data)) conn.pause();
  },
  onDrain(conn) {
    conn.resume();
  },
});

const addr = await server.listen({ port, host });
console.log(`Ringside TCP echo listening on ${addr.address}:${addr.port} (backend: ${server.backend})`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await server.close({ timeout: 5000 });
    process.exit(0);
  });
}
