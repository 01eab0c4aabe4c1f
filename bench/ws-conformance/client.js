/**
 * A raw WebSocket client over node:net that can send anything (bad frames,
 * odd chops, early closes) and records what the server does, the way
 * Autobahn's fuzzing client does: the events received (messages, pings,
 * pongs) and how the connection ended (who closed first, whether the close
 * handshake was clean, the server's close code, who dropped TCP).
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { MessageDeflate, offerHeader, parseResponse } from './deflate.js';
import { applyMask, closePayload, encodeFrame, encodeHeader, FrameParser, isControl, OPCODE } from './frame.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HANDSHAKE = 16 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** @param {Buffer} b */
export function isValidUtf8(b) {
  try {
    utf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {['message', Buffer, boolean] | ['ping', Buffer] | ['pong', Buffer] | ['timeout', string]} WsEvent
 * @typedef {{
 *   offers?: import('./deflate.js').DeflateOffer[],
 *   maxMessage?: number,
 *   handshakeTimeoutMs?: number,
 *   closeHandshakeTimeoutMs?: number,
 *   serverDropTimeoutMs?: number,
 * }} ConnectOptions
 */

/**
 * Opens a TCP connection and performs the opening handshake.
 * @param {string} url ws://host:port/path
 * @param {ConnectOptions} [opts]
 * @returns {Promise<WsClient>}
 */
export function connect(url, opts = {}) {
  const u = new URL(url);
  if (u.protocol !== 'ws:') throw new Error(`only ws:// URLs are supported, got ${url}`);
  const key = randomBytes(16).toString('base64');
  const lines = [
    `GET ${u.pathname}${u.search} HTTP/1.1`,
    `Host: ${u.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (opts.offers?.length) lines.push(`Sec-WebSocket-Extensions: ${offerHeader(opts.offers)}`);
  const request = `${lines.join('\r\n')}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) });
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('opening handshake timed out')), opts.handshakeTimeoutMs ?? 5000);
    const fail = (/** @type {Error} */ err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const onData = (/** @type {Buffer} */ chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HANDSHAKE) fail(new Error('handshake response too large'));
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onEarlyClose);
      try {
        const headers = parseHandshake(head.subarray(0, end).toString('latin1'), key);
        const params = parseResponse(headers.get('sec-websocket-extensions'));
        if (params && !opts.offers?.length) throw new Error('server accepted an extension that was not offered');
        resolve(new WsClient(socket, params, head.subarray(end + 4), opts));
      } catch (err) {
        fail(/** @type {Error} */ (err));
      }
    };
    const onEarlyClose = () => fail(new Error('connection closed during the opening handshake'));
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onEarlyClose);
    socket.write(request);
  });
}

/**
 * Checks a 101 response and returns its headers (lower-case names).
 * @param {string} text @param {string} key
 */
function parseHandshake(text, key) {
  const [status, ...rest] = text.split('\r\n');
  if (!/^HTTP\/1\.1 101 /.test(status)) throw new Error(`handshake refused: ${status}`);
  /** @type {Map<string, string>} */
  const headers = new Map();
  for (const line of rest) {
    const i = line.indexOf(':');
    if (i <= 0) throw new Error(`malformed handshake header: ${line}`);
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  if (headers.get('sec-websocket-accept') !== accept) throw new Error('wrong Sec-WebSocket-Accept');
  if (!/\bwebsocket\b/i.test(headers.get('upgrade') ?? '')) throw new Error('missing Upgrade: websocket');
  if (!/\bupgrade\b/i.test(headers.get('connection') ?? '')) throw new Error('missing Connection: Upgrade');
  return headers;
}

/** An open connection: raw sends, and a record of everything the server does. */
export class WsClient {
  /**
   * @param {net.Socket} socket
   * @param {import('./deflate.js').DeflateParams | null} deflateParams
   * @param {Buffer} rest octets that came after the handshake response
   * @param {ConnectOptions} opts
   */
  constructor(socket, deflateParams, rest, opts) {
    this.socket = socket;
    const maxMessage = opts.maxMessage ?? 64 * 1024 * 1024;
    this.deflate = deflateParams ? new MessageDeflate(deflateParams, { maxMessage }) : null;
    this.closeHandshakeTimeoutMs = opts.closeHandshakeTimeoutMs ?? 1000;
    this.serverDropTimeoutMs = opts.serverDropTimeoutMs ?? 1000;
    /** @type {'OPEN' | 'CLOSING' | 'CLOSED'} */
    this.state = 'OPEN';
    this.closedByMe = false;
    this.droppedByMe = false;
    this.wasClean = false;
    this.closeSent = false;
    this.closeReceived = false;
    /** @type {number | null} */
    this.remoteCloseCode = null;
    /** @type {string | null} */
    this.remoteCloseReason = null;
    /** Why the client failed the connection (the server broke the protocol), if it did. */
    /** @type {string | null} */
    this.violation = null;
    /** @type {(e: WsEvent) => void} */
    this.onEvent = () => {};
    this.parser = new FrameParser({ maxPayload: maxMessage });
    /** @type {{ opcode: number, compressed: boolean, parts: Buffer[], size: number } | null} */
    this.message = null;
    this.maxMessage = maxMessage;
    /** Frames are handled one after the other, also across async inflation. */
    this.chain = Promise.resolve();
    /** @type {NodeJS.Timeout | undefined} */
    this.timer = undefined;
    /** @type {{ mask: Buffer, offset: number } | null} */
    this.partial = null;
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.chain = this.chain.then(() => {
          clearTimeout(this.timer);
          this.wasClean = this.closeSent && this.closeReceived && !this.droppedByMe;
          this.state = 'CLOSED';
          this.deflate?.close();
          resolve(undefined);
        });
      });
    });
    socket.on('error', () => {}); // a reset is an outcome to record, not an exception
    socket.on('data', (chunk) => this.#receive(chunk));
    if (rest.length) this.#receive(rest);
  }

  /** @param {Buffer} chunk */
  #receive(chunk) {
    if (this.state === 'CLOSED') return;
    let frames;
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.#violate(/** @type {Error} */ (err).message, 1009);
      return;
    }
    for (const frame of frames) this.chain = this.chain.then(() => this.#handle(frame));
  }

  /** @param {import('./frame.js').Frame} f */
  async #handle(f) {
    if (this.closeReceived || this.violation || this.state === 'CLOSED') return;
    if (f.masked) return this.#violate('server sent a masked frame');
    const rsvAllowed = this.deflate && (f.opcode === OPCODE.TEXT || f.opcode === OPCODE.BINARY) ? 4 : 0;
    if (f.rsv & ~rsvAllowed) return this.#violate(`server set RSV bits ${f.rsv}`);
    if (isControl(f.opcode)) {
      if (!f.fin || f.payload.length > 125) return this.#violate('server sent a fragmented or oversized control frame');
      if (f.opcode === OPCODE.PING) {
        this.onEvent(['ping', f.payload]);
        if (this.state === 'OPEN') this.write(encodeFrame({ opcode: OPCODE.PONG, payload: f.payload }));
      } else if (f.opcode === OPCODE.PONG) this.onEvent(['pong', f.payload]);
      else if (f.opcode === OPCODE.CLOSE) this.#onClose(f.payload);
      else this.#violate(`server sent reserved opcode ${f.opcode}`);
      return;
    }
    if (f.opcode === OPCODE.CONTINUATION) {
      if (!this.message) return this.#violate('server sent a continuation without a message');
    } else if (f.opcode === OPCODE.TEXT || f.opcode === OPCODE.BINARY) {
      if (this.message) return this.#violate('server started a message inside a message');
      this.message = { opcode: f.opcode, compressed: (f.rsv & 4) !== 0, parts: [], size: 0 };
    } else return this.#violate(`server sent reserved opcode ${f.opcode}`);
    const m = this.message;
    m.parts.push(f.payload);
    m.size += f.payload.length;
    if (m.size > this.maxMessage) return this.#violate(`server message exceeds ${this.maxMessage} octets`, 1009);
    if (!f.fin) return;
    this.message = null;
    let data = Buffer.concat(m.parts);
    if (m.compressed) {
      try {
        data = await /** @type {MessageDeflate} */ (this.deflate).decompress(data);
      } catch (err) {
        return this.#violate(`bad compressed message: ${/** @type {Error} */ (err).message}`, 1007);
      }
    }
    if (m.opcode === OPCODE.TEXT && !isValidUtf8(data)) return this.#violate('server sent invalid UTF-8', 1007);
    this.onEvent(['message', data, m.opcode === OPCODE.BINARY]);
  }

  /** @param {Buffer} payload */
  #onClose(payload) {
    this.closeReceived = true;
    if (payload.length === 1) return this.#violate('server sent a 1-octet close payload');
    if (payload.length >= 2) {
      this.remoteCloseCode = payload.readUInt16BE(0);
      const reason = payload.subarray(2);
      if (!isValidUtf8(reason)) return this.#violate('server sent an invalid UTF-8 close reason', 1007);
      this.remoteCloseReason = reason.toString('utf8');
    }
    if (this.state === 'OPEN') {
      // Echo the server's close (with its code, as Autobahn does), then wait for it to drop TCP.
      this.state = 'CLOSING';
      this.closeSent = true;
      this.write(encodeFrame({ opcode: OPCODE.CLOSE, payload: closePayload(this.remoteCloseCode ?? undefined) }));
    }
    this.#expectDrop(this.serverDropTimeoutMs);
  }

  /** The server must close TCP after the close handshake; if it does not in time, the client does. */
  /** @param {number} ms */
  #expectDrop(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.drop(), ms);
  }

  /** Fails the connection because the server broke the protocol. */
  /** @param {string} why @param {number} [code] */
  #violate(why, code = 1002) {
    this.violation ??= why;
    if (this.state === 'OPEN') this.sendClose(code);
    else this.drop();
  }

  /** @param {Buffer} data @returns {Promise<void>} */
  write(data) {
    if (this.socket.destroyed || !this.socket.writable) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  /**
   * Writes `data` in pieces of `chopsize` octets, each its own write; or, with
   * `sync`, in one write after which the client pauses so that frames do not
   * share a TCP segment.
   * @param {Buffer} data @param {{ chopsize?: number, sync?: boolean, syncDelayMs?: number }} [how]
   */
  async send(data, how = {}) {
    if (how.chopsize) {
      for (let i = 0; i < data.length; i += how.chopsize) await this.write(data.subarray(i, i + how.chopsize));
    } else await this.write(data);
    if (how.sync) await sleep(how.syncDelayMs ?? 10);
  }

  /**
   * @param {{ opcode: number, fin?: boolean, rsv?: number, payload?: Buffer, chopsize?: number, sync?: boolean }} f
   */
  sendFrame(f) {
    return this.send(encodeFrame(f), f);
  }

  /**
   * Starts a frame announcing `length` octets whose payload follows in pieces (sendFrameData).
   * @param {{ opcode: number, fin?: boolean, rsv?: number, length: number }} f
   */
  beginFrame(f) {
    const mask = randomBytes(4);
    this.partial = { mask, offset: 0 };
    return this.write(encodeHeader({ ...f, mask }));
  }

  /** @param {Buffer} data */
  sendFrameData(data) {
    const p = /** @type {{ mask: Buffer, offset: number }} */ (this.partial);
    const masked = applyMask(data, p.mask, p.offset);
    p.offset += data.length;
    return this.write(masked);
  }

  /**
   * Sends a whole message, compressed when permessage-deflate was agreed,
   * split into frames of `fragmentSize` octets (0: one frame).
   * @param {Buffer} payload @param {{ binary?: boolean, fragmentSize?: number, chopsize?: number }} [opts]
   */
  async sendMessage(payload, { binary = false, fragmentSize = 0, chopsize } = {}) {
    const data = this.deflate ? await this.deflate.compress(payload) : payload;
    const size = fragmentSize > 0 ? fragmentSize : Math.max(data.length, 1);
    /** @type {Buffer[]} */
    const frames = [];
    for (let i = 0; i === 0 || i < data.length; i += size) {
      const fin = i + size >= data.length;
      const opcode = i === 0 ? (binary ? OPCODE.BINARY : OPCODE.TEXT) : OPCODE.CONTINUATION;
      frames.push(encodeFrame({ opcode, fin, rsv: i === 0 && this.deflate ? 4 : 0, payload: data.subarray(i, i + size) }));
    }
    await this.send(frames.length === 1 ? frames[0] : Buffer.concat(frames), { chopsize });
  }

  /**
   * Sends a close frame (any code, any reason octets: this client is allowed
   * to break the rules). The first close from the client starts the closing
   * handshake: the server has closeHandshakeTimeoutMs to answer.
   * @param {number} [code] @param {Buffer} [reason]
   */
  sendClose(code, reason) {
    if (this.state === 'OPEN') {
      this.state = 'CLOSING';
      this.closedByMe = true;
      this.closeSent = true;
      this.#expectDrop(this.closeHandshakeTimeoutMs + this.serverDropTimeoutMs);
    }
    return this.write(encodeFrame({ opcode: OPCODE.CLOSE, payload: closePayload(code, reason) }));
  }

  /** Autobahn's killAfter: fail the connection (close 1001), or drop it when already closing. */
  kill() {
    if (this.state === 'OPEN') this.sendClose(1001, Buffer.from('Going Away'));
    else if (this.state === 'CLOSING' && !this.closeReceived) this.drop();
  }

  /** Closes TCP from the client side. */
  drop() {
    if (this.socket.destroyed) return;
    this.droppedByMe = true;
    this.socket.destroy();
  }
}
