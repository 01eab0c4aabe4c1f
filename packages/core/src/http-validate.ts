/**
 * Response header checks shared by both backends: names are tokens, values
 * carry no CR, LF or NUL (response splitting). Throws a TypeError naming the
 * header, before anything is written, so the response stays usable.
 */
import type { OutgoingHeaders } from './http-types.js';

// A header name is a token; a value has no CR, LF or NUL (response splitting).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
// Names and values already checked: apps send the same few again and again.
const goodNames = new Set<string>();
const goodValues = new Set<string>();
const CACHE_MAX = 4096;

export function checkName(name: string): void {
  if (goodNames.has(name)) return;
  if (!TOKEN.test(name)) throw new TypeError(`Invalid header name ${JSON.stringify(name)}: header names must be HTTP tokens`);
  if (goodNames.size >= CACHE_MAX) goodNames.clear();
  goodNames.add(name);
}

export function checkValue(name: string, value: string): void {
  if (goodValues.has(value)) return;
  if (BAD_VALUE.test(value)) throw new TypeError(`Invalid value for header "${name}": CR, LF and NUL are not allowed`);
  if (value.length <= 256) {
    if (goodValues.size >= CACHE_MAX) goodValues.clear();
    goodValues.add(value);
  }
}

/** Check every header of a response and its status code. */
export function validateResponse(status: number, headers: OutgoingHeaders): void {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`Invalid status code: ${status} (must be an integer from 100 to 999)`);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    checkName(name);
    if (typeof value === 'object') for (const v of value) checkValue(name, String(v));
    else checkValue(name, typeof value === 'string' ? value : String(value));
  }
}
