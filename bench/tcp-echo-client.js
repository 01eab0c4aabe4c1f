// Load generator for bench/tcp-echo.js: `connections` sockets, each sending a
// `size`-byte message and waiting for its echo before the next, for `seconds`.
// Prints one JSON line. Bounded in time; every socket is closed at the end.
import net from 'node:net';

const [port, connections, seconds, size] = process.argv.slice(2).map(Number);
const payload = Buffer.alloc(size, 0x61);
const end = Date.now() + seconds * 1000;
let messages = 0;

await Promise.all(
  Array.from(
    { length: connections },
    () =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.setNoDelay(true);
        let pending = 0;
        s.on('connect', () => s.write(payload));
        s.on('data', (d) => {
          pending += d.length;
          while (pending >= size) {
            pending -= size;
            messages++;
            if (Date.now() < end) s.write(payload);
            else {
              s.end();
              return;
            }
          }
        });
        s.on('close', resolve);
        s.on('error', resolve);
        setTimeout(() => s.destroy(), seconds * 1000 + 5000).unref();
      }),
  ),
);
process.stdout.write(JSON.stringify({ messages, seconds }) + '\n');
