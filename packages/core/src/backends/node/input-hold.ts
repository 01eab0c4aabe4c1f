/**
 * Stopping a node:http connection's input while it has MAX_OUTSTANDING_REQUESTS
 * requests parsed and unanswered, as the native loop does, by node's own means:
 * node stops a connection whose output backs up with `socket._paused = true`
 * and `socket.pause()` (parserOnIncoming), pauses its parser after the read in
 * hand is parsed (onParserExecuteCommon), and undoes both when output drains
 * (socketOnDrain: `_paused = false`, `parser.resume()`, `socket.resume()`).
 * That drain must not undo a hold for requests: a held socket's resume() is
 * refused, whoever calls it, until releaseInput().
 *
 * node parses the whole read in hand before it stops (at most 64 KiB, its
 * parser's read buffer): requests past the limit in that read are parsed, and
 * the transport holds their handlers back (see NodeHttpTransport.onRequest).
 */
import net from 'node:net';

type HttpSocket = net.Socket & {
  /** node:http's flag: input stopped (for output, or here for requests); socketOnDrain clears it. */
  _paused: boolean;
  /** node:http's parser of this socket (null once detached: upgrade, close). */
  parser: { resume(): void } | null;
  [kHeld]?: boolean;
};

const kHeld = Symbol('ringside.inputHeld');
const socketResume = net.Socket.prototype.resume;

/** A held socket's resume(): refused, and node's flag set again so that its parser pauses after the read in hand. */
function resumeUnlessHeld(this: HttpSocket): HttpSocket {
  if (this[kHeld] === true) this._paused = true;
  else socketResume.call(this);
  return this;
}

/** Stop reading and parsing `socket` until releaseInput(). Only held sockets get the resume() guard. */
export function holdInput(socket: net.Socket): void {
  const s = socket as HttpSocket;
  if (s[kHeld] === true) return;
  s[kHeld] = true;
  if (s.resume !== resumeUnlessHeld) s.resume = resumeUnlessHeld;
  s._paused = true;
  s.pause();
}

/**
 * Read and parse `socket` again, as socketOnDrain does. A socket whose output
 * still waits for 'drain' stays paused: node's socketOnDrain resumes it then.
 */
export function releaseInput(socket: net.Socket): void {
  const s = socket as HttpSocket;
  if (s[kHeld] !== true) return;
  s[kHeld] = false;
  if (s.writableNeedDrain) return;
  s._paused = false;
  s.parser?.resume();
  s.resume();
}

/** The socket leaves node:http (a WebSocket): its new owner reads it, no hold applies. */
export function forgetHold(socket: net.Socket): void {
  const s = socket as HttpSocket;
  if (s[kHeld] === true) s[kHeld] = false;
}
