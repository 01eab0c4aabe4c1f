/**
 * RFC 6455 frame encoding (client side: always masked) and an incremental
 * frame parser for what the server sends (never masked).
 *
 * Frame header, first two octets:
 *   bit 7 of octet 0: FIN, bits 6..4: RSV1..RSV3, bits 3..0: opcode
 *   bit 7 of octet 1: MASK, bits 6..0: payload length (126: 16-bit length follows, 127: 64-bit)
 */
import { randomBytes } from 'node:crypto';

export const OPCODE = Object.freeze({ CONTINUATION: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 });

/** @param {number} opcode */
export const isControl = (opcode) => (opcode & 0x8) !== 0;

/**
 * The header of a masked client frame announcing `length` payload octets.
 * @param {{ opcode: number, fin?: boolean, rsv?: number, length: number, mask: Buffer }} f
 */
export function encodeHeader({ opcode, fin = true, rsv = 0, length, mask }) {
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const head = Buffer.allocUnsafe(2 + ext + 4);
  head[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf);
  if (ext === 0) head[1] = 0x80 | length;
  else if (ext === 2) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(length, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  mask.copy(head, 2 + ext);
  return head;
}

/**
 * XORs `data` with the 4-octet `mask`, starting at mask position `offset`
 * (a frame's payload may be sent in several pieces).
 * @param {Buffer} data @param {Buffer} mask @param {number} [offset]
 */
export function applyMask(data, mask, offset = 0) {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ mask[(offset + i) & 3];
  return out;
}

/**
 * One complete masked frame.
 * @param {{ opcode: number, fin?: boolean, rsv?: number, payload?: Buffer }} f
 */
export function encodeFrame({ opcode, fin = true, rsv = 0, payload = Buffer.alloc(0) }) {
  const mask = randomBytes(4);
  return Buffer.concat([encodeHeader({ opcode, fin, rsv, length: payload.length, mask }), applyMask(payload, mask)]);
}

/**
 * The payload of a close frame: nothing, or a 2-octet code and raw reason octets.
 * @param {number | undefined} code @param {Buffer} [reason]
 */
export function closePayload(code, reason = Buffer.alloc(0)) {
  if (code === undefined) return reason;
  const out = Buffer.allocUnsafe(2 + reason.length);
  out.writeUInt16BE(code, 0);
  reason.copy(out, 2);
  return out;
}

/**
 * @typedef {{ fin: boolean, rsv: number, opcode: number, masked: boolean, payload: Buffer }} Frame
 */

/**
 * Incremental parser: push() chunks, get back the frames completed so far.
 * `maxPayload` bounds what one frame may announce, so a hostile peer cannot
 * make the client allocate without limit.
 */
export class FrameParser {
  /** @param {{ maxPayload: number }} opts */
  constructor({ maxPayload }) {
    this.maxPayload = maxPayload;
    /** @type {Buffer[]} */
    this.chunks = [];
    this.buffered = 0;
  }

  /** @param {Buffer} chunk @returns {Frame[]} */
  push(chunk) {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    /** @type {Frame[]} */
    const frames = [];
    for (;;) {
      const frame = this.#next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  /** @returns {Frame | null} */
  #next() {
    if (this.buffered < 2) return null;
    const head = this.#peek(Math.min(this.buffered, 14));
    const lenField = head[1] & 0x7f;
    const headerLen = 2 + (lenField === 126 ? 2 : lenField === 127 ? 8 : 0) + (head[1] & 0x80 ? 4 : 0);
    if (head.length < headerLen) return null;
    let length = lenField;
    if (lenField === 126) length = head.readUInt16BE(2);
    else if (lenField === 127) {
      const big = head.readBigUInt64BE(2);
      if (big > BigInt(this.maxPayload)) throw new Error(`server frame announces ${big} octets (limit ${this.maxPayload})`);
      length = Number(big);
    }
    if (length > this.maxPayload) throw new Error(`server frame announces ${length} octets (limit ${this.maxPayload})`);
    if (this.buffered < headerLen + length) return null;
    const all = this.#take(headerLen + length);
    const masked = (head[1] & 0x80) !== 0;
    let payload = all.subarray(headerLen);
    if (masked) payload = applyMask(payload, all.subarray(headerLen - 4, headerLen));
    return { fin: (head[0] & 0x80) !== 0, rsv: (head[0] >> 4) & 7, opcode: head[0] & 0xf, masked, payload };
  }

  /** @param {number} n */
  #peek(n) {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  /** @param {number} n */
  #take(n) {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
