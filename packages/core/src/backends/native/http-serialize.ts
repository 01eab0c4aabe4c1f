/** Status lines and header blocks for responses written by the native transport. */
import { STATUS_CODES } from 'node:http';
import type { OutgoingHeaders } from '../../http-types.js';
import { checkName, checkValue } from '../../http-validate.js';

const statusLines: string[] = [];
export function statusLine(status: number): string {
  let line = statusLines[status];
  if (line === undefined) {
    if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`Invalid status code: ${status} (must be an integer from 100 to 999)`);
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    statusLines[status] = line;
  }
  return line;
}

// The Date header, rendered at most once a second: a timer (unref'd, so it
// never keeps the process alive) marks it stale; the next response renders it.
let dateLine = '';
let dateTimer: NodeJS.Timeout | undefined;
export function dateHeader(): string {
  if (dateLine === '') {
    dateLine = `Date: ${new Date().toUTCString()}\r\n`;
    if (dateTimer === undefined) {
      dateTimer = setInterval(() => { dateLine = ''; }, 1000);
      dateTimer.unref();
    }
  }
  return dateLine;
}

export interface HeaderScan {
  text: string;
  contentLength: boolean;
  transferEncoding: boolean;
  connection: string | undefined;
  date: boolean;
}

/** Render user headers; throws a TypeError naming the bad header. */
export function renderHeaders(headers: OutgoingHeaders): HeaderScan {
  let text = '';
  let contentLength = false;
  let transferEncoding = false;
  let connection: string | undefined;
  let date = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    switch (name.length) {
      case 4: if (name.toLowerCase() === 'date') date = true; break;
      case 10: if (name.toLowerCase() === 'connection') connection = String(value).toLowerCase(); break;
      case 14: if (name.toLowerCase() === 'content-length') contentLength = true; break;
      case 17: if (name.toLowerCase() === 'transfer-encoding') transferEncoding = true; break;
    }
    checkName(name);
    if (typeof value === 'object') {
      for (const v of value) {
        const s = String(v);
        checkValue(name, s);
        text += name + ': ' + s + '\r\n';
      }
    } else {
      const s = typeof value === 'string' ? value : String(value);
      checkValue(name, s);
      text += name + ': ' + s + '\r\n';
    }
  }
  return { text, contentLength, transferEncoding, connection, date };
}

