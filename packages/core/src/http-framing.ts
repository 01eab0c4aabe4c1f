/**
 * Response framing rules, written once for both backends, the framework
 * (reply.ts) and inject(): which statuses carry no body, which status codes
 * and header names and values may be written. Header checks stop response
 * splitting: names are tokens, values carry no CR, LF or NUL.
 */
import type { OutgoingHeaders } from './http-types.js';

/** Status codes whose responses never carry a body (1xx, 204, 304; RFC 9110 §6.4.1). */
export function bodyless(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** A status the transport can write: three digits (RFC 9110 §15). */
export function isStatusCode(status: unknown): status is number {
  return Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 999;
}

/** A status of the defined classes 1xx to 5xx, what reply.code() accepts (as fastify). */
export function isStandardStatus(status: unknown): status is number {
  return Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599;
}

/** Throws a RangeError unless the transport can write `status`. */
export function checkStatus(status: number): void {
  if (!isStatusCode(status)) throw new RangeError(`Invalid status code: ${status} (must be an integer from 100 to 999)`);
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
// Names and values already checked: apps send the same few again and again.
const goodNames = new Set<string>();
const goodValues = new Set<string>();
const CACHE_MAX = 4096;

/** A header name is an HTTP token. */
export function isHeaderName(name: string): boolean {
  if (goodNames.has(name)) return true;
  if (!TOKEN.test(name)) return false;
  if (goodNames.size >= CACHE_MAX) goodNames.clear();
  goodNames.add(name);
  return true;
}

/** A header value has no CR, LF or NUL. */
export function isHeaderValue(value: string): boolean {
  // A long value is never cached: scan it without hashing it first (a CSP header built per request).
  if (value.length > 256) return !BAD_VALUE.test(value);
  if (goodValues.has(value)) return true;
  if (BAD_VALUE.test(value)) return false;
  if (goodValues.size >= CACHE_MAX) goodValues.clear();
  goodValues.add(value);
  return true;
}

/** Throws a TypeError naming the header, before anything is written, so the response stays usable. */
export function checkName(name: string): void {
  if (!isHeaderName(name)) throw new TypeError(`Invalid header name ${JSON.stringify(name)}: header names must be HTTP tokens`);
}

export function checkValue(name: string, value: string): void {
  if (!isHeaderValue(value)) throw new TypeError(`Invalid value for header "${name}": CR, LF and NUL are not allowed`);
}

/** The framing headers an app set itself, found while checking its headers. */
export interface HeaderScan {
  /** The header block as `name: value\r\n` lines ('' unless asked for). */
  text: string;
  contentLength: boolean;
  transferEncoding: boolean;
  /** Lower-cased value of the app's Connection header. */
  connection: string | undefined;
  date: boolean;
}

/**
 * Check every header of a response (a TypeError names the first bad one) and
 * note the framing headers among them, in one pass. With `text`, also render
 * the block (the native transport writes it); with `pairs`, append each name
 * and value (node:http's writeHead takes that flat form, and renders it much
 * faster than a copy of the object).
 */
export function scanHeaders(headers: OutgoingHeaders, text: boolean, pairs: unknown[] | null): HeaderScan {
  let block = '';
  let contentLength = false;
  let transferEncoding = false;
  let connection: string | undefined;
  let date = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'date') date = true;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') connection = String(value).toLowerCase();
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') contentLength = true;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') transferEncoding = true;
        break;
    }
    checkName(name);
    if (typeof value === 'object') {
      for (const v of value) {
        const s = String(v);
        checkValue(name, s);
        if (text) block += name + ': ' + s + '\r\n';
      }
    } else {
      const s = typeof value === 'string' ? value : String(value);
      checkValue(name, s);
      if (text) block += name + ': ' + s + '\r\n';
    }
    if (pairs !== null) pairs.push(name, value);
  }
  return { text: block, contentLength, transferEncoding, connection, date };
}

/** Check a response's status code and every header (what a transport's send()/writeHead() refuses). */
export function validateResponse(status: number, headers: OutgoingHeaders): void {
  checkStatus(status);
  scanHeaders(headers, false, null);
}
