/**
 * The few pieces of RFC 6455 framing the load generator needs: masked client
 * frames built once (with the conformance client's encoder), and an
 * incremental reader of server frames that keeps its state on the connection
 * and allocates nothing per frame.
 */
import { applyMask, encodeHeader } from '../ws-conformance/frame.js';

/** Client frames must be masked (RFC 6455 §5.3); a fixed mask is enough for a benchmark. */
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/**
 * One masked client frame (FIN set), built once and sent many times.
 * @param {Buffer} payload
 * @param {number} opcode 1 text, 2 binary
 * @returns {Buffer}
 */
export function maskedFrame(payload, opcode = 1) {
  return Buffer.concat([encodeHeader({ opcode, length: payload.length, mask: MASK }), applyMask(payload, MASK)]);
}

/**
 * A text payload of exactly `bytes` ASCII bytes that starts with `label`.
 * @param {string} label
 * @param {number} bytes
 */
export function textPayload(label, bytes) {
  return Buffer.from(label.padEnd(bytes, '.').slice(0, bytes), 'latin1');
}

/**
 * Incremental reader of server frames (unmasked; a mask is skipped if
 * present). State lives on the connection; nothing is allocated per frame.
 * `onMessage(conn)` runs at the end of each data message; `expected(conn)`,
 * asked at the start of each single-frame data message, returns the payload
 * to compare it with (or null to skip the check).
 */
export class FrameReader {
  constructor() {
    this.hdr = new Uint8Array(14);
    this.hdrLen = 0;
    this.hdrNeed = 2;
    this.inPayload = false;
    this.remaining = 0;
    this.opcode = 0;
    this.fin = false;
    /** @type {Buffer | null} */
    this.expected = null;
    this.pos = 0;
    this.mismatch = false;
  }
}

/**
 * Feeds `buf[off, end)` to the reader.
 * @param {FrameReader} r
 * @param {Uint8Array} buf
 * @param {number} off
 * @param {number} end
 * @param {{ expected: (r: FrameReader) => Buffer | null, onMessage: (mismatch: boolean, checked: boolean) => void, onClose: () => void }} sink
 */
export function readFrames(r, buf, off, end, sink) {
  while (off < end) {
    if (!r.inPayload) {
      while (r.hdrLen < r.hdrNeed && off < end) r.hdr[r.hdrLen++] = buf[off++];
      if (r.hdrLen < r.hdrNeed) return;
      const len7 = r.hdr[1] & 0x7f;
      const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (r.hdr[1] & 0x80 ? 4 : 0);
      if (r.hdrNeed < need) {
        r.hdrNeed = need;
        continue;
      }
      let len = len7;
      if (len7 === 126) len = (r.hdr[2] << 8) | r.hdr[3];
      else if (len7 === 127) {
        len = 0;
        for (let i = 2; i < 10; i++) len = len * 256 + r.hdr[i];
      }
      r.fin = (r.hdr[0] & 0x80) !== 0;
      r.opcode = r.hdr[0] & 0x0f;
      r.inPayload = true;
      r.remaining = len;
      r.pos = 0;
      r.hdrLen = 0;
      r.hdrNeed = 2;
      r.mismatch = false;
      r.expected = r.fin && (r.opcode === 1 || r.opcode === 2) ? sink.expected(r) : null;
      if (r.expected !== null && r.expected.length !== len) r.mismatch = true;
    }
    const take = Math.min(r.remaining, end - off);
    const exp = r.expected;
    if (exp !== null && !r.mismatch) {
      for (let i = 0; i < take; i++) {
        if (buf[off + i] !== exp[r.pos + i]) {
          r.mismatch = true;
          break;
        }
      }
    }
    off += take;
    r.pos += take;
    r.remaining -= take;
    if (r.remaining === 0) {
      r.inPayload = false;
      if (r.opcode === 8) sink.onClose();
      else if (r.fin && r.opcode < 8) sink.onMessage(r.mismatch, r.expected !== null);
    }
  }
}
