/**
 * permessage-deflate (RFC 7692) for the conformance client: the offers
 * Autobahn's sections 12 and 13 make, parsing of the server's answer, and
 * the per-direction compressor/decompressor with or without context takeover.
 */
import zlib from 'node:zlib';

/** The four octets a sync flush ends with; stripped on send, appended on receive (RFC 7692 7.2.1). */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * @typedef {{ requestNoContextTakeover?: boolean, requestMaxWindowBits?: number }} DeflateOffer
 * One client offer, like Autobahn's PerMessageDeflateOffer: the client always
 * declares that it accepts client_no_context_takeover and client_max_window_bits,
 * and may ask the server not to take over context or to use a smaller window.
 */

/** @param {DeflateOffer[]} offers @returns {string} the Sec-WebSocket-Extensions value */
export function offerHeader(offers) {
  return offers
    .map((o) => {
      const params = ['permessage-deflate', 'client_no_context_takeover', 'client_max_window_bits'];
      if (o.requestNoContextTakeover) params.push('server_no_context_takeover');
      if (o.requestMaxWindowBits) params.push(`server_max_window_bits=${o.requestMaxWindowBits}`);
      return params.join('; ');
    })
    .join(', ');
}

/**
 * @typedef {{ serverNoContextTakeover: boolean, clientNoContextTakeover: boolean, serverMaxWindowBits: number, clientMaxWindowBits: number }} DeflateParams
 */

/**
 * The accepted permessage-deflate parameters from a response header, or null
 * when the server accepted none. Throws on an answer the client did not allow.
 * @param {string | undefined} header @returns {DeflateParams | null}
 */
export function parseResponse(header) {
  if (!header) return null;
  const exts = header.split(',').map((e) => e.split(';').map((p) => p.trim()));
  const pmd = exts.filter((e) => e[0] === 'permessage-deflate');
  if (pmd.length === 0) return null;
  if (pmd.length > 1 || exts.length > 1) throw new Error(`server accepted more than the one extension offered: ${header}`);
  /** @type {DeflateParams} */
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  for (const p of pmd[0].slice(1)) {
    const [name, raw] = p.split('=').map((s) => s.trim());
    const value = raw === undefined ? undefined : Number(raw.replace(/^"|"$/g, ''));
    if (name === 'server_no_context_takeover') params.serverNoContextTakeover = true;
    else if (name === 'client_no_context_takeover') params.clientNoContextTakeover = true;
    else if ((name === 'server_max_window_bits' || name === 'client_max_window_bits') && value && value >= 8 && value <= 15) {
      params[name === 'server_max_window_bits' ? 'serverMaxWindowBits' : 'clientMaxWindowBits'] = value;
    } else throw new Error(`invalid permessage-deflate parameter in response: ${p}`);
  }
  return params;
}

/**
 * Runs one zlib stream operation: write `data`, sync-flush, collect the output
 * (at most `limit` octets: an inflated message is bounded like any other).
 * @param {zlib.DeflateRaw | zlib.InflateRaw} stream @param {Buffer} data @param {number} [limit]
 * @returns {Promise<Buffer>}
 */
function flushThrough(stream, data, limit = Number.POSITIVE_INFINITY) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const out = [];
    let size = 0;
    const onData = (/** @type {Buffer} */ c) => {
      size += c.length;
      if (size > limit) stream.destroy(new Error(`inflated message exceeds ${limit} octets`));
      else out.push(c);
    };
    const onError = (/** @type {Error} */ e) => {
      stream.off('data', onData);
      reject(e);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(data);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(out));
    });
  });
}

/** Compresses and decompresses whole messages for one connection. */
export class MessageDeflate {
  /** @param {DeflateParams} params @param {{ maxMessage: number }} limits */
  constructor(params, limits) {
    this.params = params;
    this.maxMessage = limits.maxMessage;
    /** @type {zlib.DeflateRaw | null} */
    this.deflater = null;
    /** @type {zlib.InflateRaw | null} */
    this.inflater = null;
  }

  /** @param {Buffer} message @returns {Promise<Buffer>} */
  async compress(message) {
    // zlib cannot make raw streams with an 8-bit window; 9 is what others use for 8.
    const windowBits = Math.max(9, this.params.clientMaxWindowBits);
    this.deflater ??= zlib.createDeflateRaw({ windowBits });
    const out = await flushThrough(this.deflater, message);
    if (this.params.clientNoContextTakeover) this.#drop('deflater');
    return out.length >= 4 && out.subarray(out.length - 4).equals(TAIL) ? out.subarray(0, out.length - 4) : out;
  }

  /** @param {Buffer} compressed @returns {Promise<Buffer>} */
  async decompress(compressed) {
    this.inflater ??= zlib.createInflateRaw({ windowBits: 15 });
    const out = await flushThrough(this.inflater, Buffer.concat([compressed, TAIL]), this.maxMessage);
    if (this.params.serverNoContextTakeover) this.#drop('inflater');
    return out;
  }

  /** @param {'deflater' | 'inflater'} which */
  #drop(which) {
    this[which]?.close();
    this[which] = null;
  }

  close() {
    this.#drop('deflater');
    this.#drop('inflater');
  }
}
