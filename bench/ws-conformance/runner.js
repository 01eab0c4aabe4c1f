/**
 * Runs one case of cases.js against a server and judges it the way Autobahn
 * does: `behavior` from the events received (OK / NON-STRICT / FAILED, or
 * INFORMATIONAL / UNIMPLEMENTED), `behaviorClose` from how the connection
 * ended (OK / FAILED / UNCLEAN / WRONG CODE / FAILED BY CLIENT), and one
 * `verdict` that combines both.
 */
import { connect, sleep } from './client.js';
import { slices } from './testdata.js';

export const VERDICTS = /** @type {const} */ (['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED']);

/**
 * @typedef {{
 *   url: string,
 *   timeScale?: number,
 *   limits?: { maxPayload?: number, maxMessages?: number },
 * }} RunOptions
 * timeScale multiplies Autobahn's waits (1 = Autobahn's own); waits never go below 50 ms.
 * limits cap the echo loads of sections 9, 12 and 13 (message size in octets, message count).
 *
 * @typedef {{
 *   id: string, section: number, behavior: string, behaviorClose: string, verdict: string,
 *   result: string, resultClose: string, remoteCloseCode: number | null, durationMs: number, capped?: string,
 * }} CaseResult
 */

/** @param {import('./client.js').WsEvent[]} a @param {unknown[][]} b */
function sameEvents(a, b) {
  if (a.length !== b.length) return false;
  return a.every(
    (e, i) =>
      e.length === b[i].length &&
      e.every((v, k) => (Buffer.isBuffer(v) ? Buffer.isBuffer(b[i][k]) && v.equals(/** @type {Buffer} */ (b[i][k])) : v === b[i][k])),
  );
}

/** @param {import('./client.js').WsEvent} e */
const describeEvent = (e) =>
  e[0] === 'timeout' ? `timeout ${e[1]}` : `${e[0]}(${e[1].length} octets${e[0] === 'message' ? (e[2] ? ', binary' : ', text') : ''})`;

/**
 * Autobahn's close judgement: who closed first, whether it was clean, which code.
 * @param {import('./client.js').WsClient} ws @param {{ closedByMe: boolean, codes: number[], requireClean: boolean }} expected
 */
function judgeClose(ws, expected) {
  if (expected.closedByMe !== ws.closedByMe) return ['FAILED', 'The connection was failed by the wrong endpoint'];
  if (expected.requireClean && !ws.wasClean) return ['UNCLEAN', 'The spec requires the connection to be failed cleanly here'];
  if (ws.remoteCloseCode !== null && !expected.codes.includes(ws.remoteCloseCode)) {
    return ['WRONG CODE', `The close code should have been ${expected.codes.join(',')} or empty`];
  }
  if (ws.droppedByMe) return ['FAILED BY CLIENT', 'It is preferred that the server close the TCP connection'];
  return ['OK', 'Connection was properly closed'];
}

/**
 * One verdict from both judgements: a close that is wrong (FAILED, UNCLEAN)
 * fails the case; a close that is merely late or has an unexpected code
 * (FAILED BY CLIENT, WRONG CODE) makes an OK case NON-STRICT.
 * @param {string} behavior @param {string} behaviorClose
 */
export function combinedVerdict(behavior, behaviorClose) {
  if (behavior === 'FAILED' || behaviorClose === 'FAILED' || behaviorClose === 'UNCLEAN') return 'FAILED';
  if (behavior === 'OK' && (behaviorClose === 'WRONG CODE' || behaviorClose === 'FAILED BY CLIENT')) return 'NON-STRICT';
  return behavior;
}

/**
 * @param {Record<string, any>} c a case from cases.js
 * @param {RunOptions} opts
 * @returns {Promise<CaseResult>}
 */
export async function runCase(c, opts) {
  const started = performance.now();
  const scale = opts.timeScale ?? 1;
  const ms = (/** @type {number} */ seconds) => Math.max(50, seconds * 1000 * scale);
  const limits = { maxPayload: Number.POSITIVE_INFINITY, maxMessages: Number.POSITIVE_INFINITY, ...opts.limits };
  /** @type {Omit<CaseResult, 'verdict' | 'durationMs'>} */
  let r;
  let ws;
  try {
    ws = await connect(opts.url, { offers: c.load?.offers, closeHandshakeTimeoutMs: ms(1), serverDropTimeoutMs: ms(1) });
  } catch (err) {
    r = {
      id: c.id,
      section: c.section,
      behavior: 'FAILED',
      behaviorClose: 'FAILED',
      result: `opening handshake failed: ${/** @type {Error} */ (err).message}`,
      resultClose: 'The WebSocket opening handshake was never completed!',
      remoteCloseCode: null,
    };
  }
  if (ws) r = c.load ? await runLoad(c, ws, ms, limits) : await runSteps(c, ws, ms);
  const done = /** @type {Omit<CaseResult, 'verdict' | 'durationMs'>} */ (r);
  return { ...done, verdict: combinedVerdict(done.behavior, done.behaviorClose), durationMs: Math.round(performance.now() - started) };
}

/**
 * Sections 1-7: send the steps, record the events, close or kill after the
 * case's delay, wait for the connection to end, then judge.
 * @param {Record<string, any>} c @param {import('./client.js').WsClient} ws @param {(s: number) => number} ms
 */
async function runSteps(c, ws, ms) {
  /** @type {import('./client.js').WsEvent[]} */
  const received = [];
  const outcomes = Object.entries(c.expected);
  ws.onEvent = (e) => {
    received.push(e);
    // Autobahn's finishWhenDone: once the events match (every) expected outcome, the client closes.
    if (!c.suppressClose && c.close.closedByMe && outcomes.every(([, ev]) => sameEvents(received, ev))) ws.sendClose(c.close.codes[0]);
  };
  /** @type {NodeJS.Timeout | undefined} */
  let after;
  const hardStop = setTimeout(() => ws.drop(), ms(30));
  try {
    for (const step of c.steps) {
      if (step.op === 'wait') {
        await Promise.race([sleep(ms(step.seconds)), ws.closed]);
        if (ws.state !== 'OPEN') break;
        if (step.mark) received.push(['timeout', step.mark]);
      } else if (step.op === 'frame') await ws.sendFrame(step);
      else if (step.op === 'frameBegin') await ws.beginFrame(step);
      else if (step.op === 'frameData') await ws.sendFrameData(step.payload);
      else if (step.op === 'message') await ws.sendMessage(step.payload, step);
      else if (step.op === 'close') await ws.sendClose(step.code, step.reason);
      else throw new Error(`case ${c.id}: unknown step ${step.op}`);
    }
    after = setTimeout(() => (c.after.action === 'close' ? ws.sendClose() : ws.kill()), ms(c.after.seconds));
    await ws.closed;
  } finally {
    clearTimeout(after);
    clearTimeout(hardStop);
  }
  const matched = outcomes.find(([, ev]) => sameEvents(received, ev));
  let behavior = matched ? matched[0] : 'FAILED';
  let result = matched
    ? 'Actual events match at least one expected.'
    : `Actual events differ from any expected: got [${received.map(describeEvent).join(', ')}]`;
  let [behaviorClose, resultClose] = judgeClose(ws, c.close);
  if (ws.violation) result += ` (client failed the connection: ${ws.violation})`;
  if (c.close.wrongEndpointIsFatal && c.close.closedByMe !== ws.closedByMe) {
    behavior = 'FAILED';
    result = 'The server did not fail the connection: it missed the invalid payload.';
  }
  if (c.wrongCodeIsFatal && behaviorClose === 'WRONG CODE') {
    behavior = 'FAILED';
    result = resultClose;
  }
  if (c.informational) {
    result = `Actual events are implementation defined; got [${received.map(describeEvent).join(', ')}].`;
    behavior = 'INFORMATIONAL';
    behaviorClose = 'INFORMATIONAL';
  }
  return { id: c.id, section: c.section, behavior, behaviorClose, result, resultClose, remoteCloseCode: ws.remoteCloseCode };
}

/**
 * Sections 9, 12, 13: send `count` messages one at a time, each after the
 * echo of the previous one, and check every echo octet for octet.
 * @param {Record<string, any>} c @param {import('./client.js').WsClient} ws @param {(s: number) => number} ms
 * @param {{ maxPayload: number, maxMessages: number }} limits
 */
async function runLoad(c, ws, ms, limits) {
  const l = c.load;
  const size = Math.min(l.size, limits.maxPayload);
  const count = Math.min(l.count, limits.maxMessages);
  const capped = size < l.size || count < l.count ? `${count} x ${size} octets` : undefined;
  let behavior = 'FAILED';
  let result = `Case did not finish within ${l.waitSeconds} seconds.`;
  if (l.offers && !ws.deflate) {
    behavior = 'UNIMPLEMENTED';
    result = 'The server did not accept permessage-deflate.';
    ws.sendClose(1000);
  } else {
    const source = l.corpus ? slices(l.corpus, size) : null;
    const fixed = source ? null : Buffer.from(l.pattern.repeat(Math.ceil(size / l.pattern.length)).slice(0, size), 'latin1');
    const next = () => /** @type {Buffer} */ (source ? source.next().value : fixed);
    let sent = 0;
    /** @type {Buffer} */
    let expected = next();
    const sendOne = () => {
      sent++;
      return ws.sendMessage(expected, { binary: l.binary, fragmentSize: l.fragmentSize, chopsize: l.chopsize }).catch(() => ws.drop());
    };
    ws.onEvent = (e) => {
      if (e[0] !== 'message' || behavior !== 'FAILED' || ws.state !== 'OPEN') return;
      if (e[2] !== l.binary || !e[1].equals(expected)) {
        result = `Echo ${sent} differs from what was sent (binary ${e[2]}, ${e[1].length} octets; expected binary ${l.binary}, ${expected.length} octets).`;
        ws.sendClose(1000);
      } else if (sent < count) {
        expected = next();
        sendOne();
      } else {
        behavior = 'OK';
        result = `Received all ${count} echo'ed messages.`;
        ws.sendClose(1000);
      }
    };
    sendOne();
  }
  const timer = setTimeout(() => ws.sendClose(), ms(l.waitSeconds));
  const hardStop = setTimeout(() => ws.drop(), ms(l.waitSeconds) + ms(5));
  await ws.closed;
  clearTimeout(timer);
  clearTimeout(hardStop);
  const [behaviorClose, resultClose] = judgeClose(ws, c.close);
  if (ws.violation) result += ` (client failed the connection: ${ws.violation})`;
  return { id: c.id, section: c.section, behavior, behaviorClose, result, resultClose, remoteCloseCode: ws.remoteCloseCode, ...(capped ? { capped } : {}) };
}
