/** Status lines and header blocks for responses written by the native transport. */
import { STATUS_CODES } from 'node:http';
import { checkStatus } from '../../http-framing.js';

const statusLines: string[] = [];
export function statusLine(status: number): string {
  let line = statusLines[status];
  if (line === undefined) {
    checkStatus(status);
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
      dateTimer = setInterval(() => {
        dateLine = '';
      }, 1000);
      dateTimer.unref();
    }
  }
  return dateLine;
}
