// WebSocket echo on @ringside/http: every path upgrades and echoes each message
// as it came (text as text, binary as binary), permessage-deflate offered.
//   PORT (default 3000), HOST (default 127.0.0.1), RINGSIDE_BACKEND=auto|io_uring|epoll|node
//   try: npx wscat -c ws://127.0.0.1:3000/anything
import createApp from '@ringside/http';

const app = createApp(); // the backend comes from RINGSIDE_BACKEND (default: auto)

app.websocket(
  '/*',
  {
    message: (ws, data, isBinary) => ws.send(data, isBinary),
  },
  // Compression when the client offers it; messages under 64 bytes go out as they are.
  { compression: { threshold: 64 }, maxPayload: 16 * 1024 * 1024 },
);

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const address = await app.listen({ port, host });
console.log(`WebSocket echo on ${address.replace('http', 'ws')} (backend: ${app.backend})`);

// Graceful shutdown: open sockets get a close frame (1001), then the server stops.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await app.close({ timeout: 10_000 });
    process.exit(0);
  });
}
