/**
 * The case table: Autobahn|Testsuite's fuzzing-client sections 1-7, 9, 12
 * and 13, one entry per case, with Autobahn's numbering. Written from the
 * case descriptions and expectations of crossbario/autobahn-testsuite.
 *
 * A case is data:
 *   steps     what the client sends, in order (see runner.js for each `op`)
 *   expected  outcome name -> the exact list of events that earns it
 *             (events: ['message', payload, binary] | ['ping', p] | ['pong', p] | ['timeout', mark])
 *   close     how the connection must end: closedByMe (the client sent the first close),
 *             codes (acceptable server close codes), requireClean (close handshake + server drops TCP),
 *             wrongEndpointIsFatal (the server missed the problem if the client had to close)
 *   after     what the client does when the steps are done: 'close' (a close with no code)
 *             or 'kill' (fail the connection with 1001) after `seconds`, unless the connection ended
 * Echo-load cases (sections 9, 12, 13) carry `load` instead of steps and expected.
 */
import { CORPUS_NAMES, corpusInfo } from './testdata.js';

const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };

/** @param {string} s */
const utf8 = (s) => Buffer.from(s, 'utf8');
/** Octets written as a Python byte string in Autobahn ('\xce\xba...'). @param {string} s */
const octets = (s) => Buffer.from(s, 'latin1');
/** @param {string} s @param {number} n */
const repeat = (s, n) => Buffer.from(s.repeat(Math.ceil(n / Math.max(s.length, 1))).slice(0, n), 'latin1');

/** @param {number} opcode @param {Buffer} [payload] @param {object} [extra] */
const frame = (opcode, payload = Buffer.alloc(0), extra = {}) => ({ op: 'frame', opcode, payload, ...extra });
const textMsg = (/** @type {Buffer} */ p) => ['message', p, false];
const binMsg = (/** @type {Buffer} */ p) => ['message', p, true];

const NORMAL = 1000;
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;

const CLEAN_NORMAL = { closedByMe: true, codes: [NORMAL], requireClean: true };
const FAILED_PROTOCOL = { closedByMe: false, codes: [PROTOCOL_ERROR], requireClean: false };
const FAILED_UTF8 = { closedByMe: false, codes: [INVALID_PAYLOAD], requireClean: false, wrongEndpointIsFatal: true };

/** @typedef {Record<string, any>} Case */
/** @type {Case[]} */
const cases = [];
/** @param {string} id @param {string} description @param {string} expectation @param {Partial<Case>} c */
function add(id, description, expectation, c) {
  cases.push({ id, section: Number(id.split('.')[0]), description, expectation, after: { action: 'kill', seconds: 1 }, ...c });
}

// 1: Framing -------------------------------------------------------------
for (const [sub, binary] of /** @type {const} */ ([
  [1, false],
  [2, true],
])) {
  const kind = binary ? 'binary' : 'text';
  const sizes = [0, 125, 126, 127, 128, 65535, 65536, 65536];
  sizes.forEach((n, i) => {
    const payload = repeat(binary ? '\xfe' : '*', n);
    const chopsize = i === 7 ? 997 : undefined;
    add(
      `1.${sub}.${i + 1}`,
      `Send ${kind} message with payload of length ${n}${chopsize ? ', sent out in chops of 997 octets' : ''}.`,
      `Receive echo'ed ${kind} message (with payload as sent). Clean close with normal code.`,
      {
        steps: [frame(binary ? OP.BINARY : OP.TEXT, payload, { chopsize })],
        expected: { OK: [binary ? binMsg(payload) : textMsg(payload)] },
        close: CLEAN_NORMAL,
        after: { action: 'kill', seconds: n >= 65535 ? 10 : 1 },
      },
    );
  });
}

// 2: Pings/Pongs -----------------------------------------------------------
{
  const pong = (/** @type {Buffer} */ p) => ['pong', p];
  const small = octets('\x00\xff\xfe\xfd\xfc\xfb\x00\xff');
  const big = repeat('\xfe', 125);
  const closeAfter1 = { action: 'close', seconds: 1 };
  add('2.1', 'Send ping without payload.', 'Pong (with empty payload) is sent in reply to Ping. Clean close with normal code.', {
    steps: [frame(OP.PING)],
    expected: { OK: [pong(Buffer.alloc(0))] },
    close: CLEAN_NORMAL,
    after: closeAfter1,
  });
  add('2.2', 'Send ping with small text payload.', "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.", {
    steps: [frame(OP.PING, utf8('Hello, world!'))],
    expected: { OK: [pong(utf8('Hello, world!'))] },
    close: CLEAN_NORMAL,
    after: closeAfter1,
  });
  add('2.3', 'Send ping with small binary (non UTF-8) payload.', "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.", {
    steps: [frame(OP.PING, small)],
    expected: { OK: [pong(small)] },
    close: CLEAN_NORMAL,
    after: closeAfter1,
  });
  add('2.4', 'Send ping with binary payload of 125 octets.', "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.", {
    steps: [frame(OP.PING, big)],
    expected: { OK: [pong(big)] },
    close: CLEAN_NORMAL,
    after: closeAfter1,
  });
  add(
    '2.5',
    'Send ping with binary payload of 126 octets.',
    'Connection is failed immediately (1002/Protocol Error), since control frames may carry at most 125 octets.',
    { steps: [frame(OP.PING, repeat('\xfe', 126))], expected: { OK: [] }, close: FAILED_PROTOCOL },
  );
  add(
    '2.6',
    'Send ping with binary payload of 125 octets, sent in octet-wise chops.',
    "Pong with payload echo'ed is sent in reply to Ping. Implementations must be TCP clean. Clean close with normal code.",
    { steps: [frame(OP.PING, big, { chopsize: 1 })], expected: { OK: [pong(big)] }, close: CLEAN_NORMAL, after: { action: 'close', seconds: 2 } },
  );
  add('2.7', 'Send unsolicited pong without payload. Verify nothing is received.', 'Nothing in reply. Clean close with normal code.', {
    steps: [frame(OP.PONG), { op: 'close', code: NORMAL }],
    expected: { OK: [] },
    close: CLEAN_NORMAL,
    after: closeAfter1,
  });
  add('2.8', 'Send unsolicited pong with payload. Verify nothing is received.', 'Nothing in reply. Clean close with normal code.', {
    steps: [frame(OP.PONG, utf8('unsolicited pong payload')), { op: 'close', code: NORMAL }],
    expected: { OK: [] },
    close: CLEAN_NORMAL,
    after: closeAfter1,
  });
  add(
    '2.9',
    'Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.',
    "Nothing in reply to own Pong, but Pong with payload echo'ed in reply to Ping. Clean close with normal code.",
    {
      steps: [frame(OP.PONG, utf8('unsolicited pong payload')), frame(OP.PING, utf8('ping payload'))],
      expected: { OK: [pong(utf8('ping payload'))] },
      close: CLEAN_NORMAL,
      after: closeAfter1,
    },
  );
  for (const [id, chopsize] of /** @type {const} */ ([
    ['2.10', undefined],
    ['2.11', 1],
  ])) {
    const payloads = Array.from({ length: 10 }, (_, i) => utf8(`payload-${i}`));
    add(
      id,
      `Send 10 Pings with payload${chopsize ? ', sent out in octet-wise chops' : ''}.`,
      'Pongs for all our Pings with all the payloads (not required by the spec, but checked). Clean close with normal code.',
      {
        steps: payloads.map((p) => frame(OP.PING, p, { chopsize })),
        expected: { OK: payloads.map(pong) },
        close: CLEAN_NORMAL,
        after: { action: 'close', seconds: 3 },
      },
    );
  }
}

// 3: Reserved bits ---------------------------------------------------------
{
  const hello = utf8('Hello, world!');
  const failFast = 'The connection is failed immediately (1002), since RSV must be 0 when no extension defining RSV meaning has been negotiated.';
  const echoThenFail =
    'Echo for the first message is received, then the connection is failed immediately, since RSV must be 0 when no extension defining RSV meaning has been negotiated. The Pong is not received.';
  add('3.1', 'Send small text message with RSV = 1.', failFast, {
    steps: [frame(OP.TEXT, hello, { rsv: 1 })],
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  /** @type {[string, number, object, string][]} */
  const seq = [
    ['3.2', 2, {}, ''],
    ['3.3', 3, { sync: true }, ' Octets are sent in frame-wise chops.'],
    ['3.4', 4, { chopsize: 1 }, ' Octets are sent in octet-wise chops.'],
  ];
  for (const [id, rsv, how, note] of seq) {
    add(id, `Send small text message, then send again with RSV = ${rsv}, then send Ping.${note}`, echoThenFail, {
      steps: [frame(OP.TEXT, hello, how), frame(OP.TEXT, hello, { ...how, rsv }), frame(OP.PING, undefined, how)],
      expected: { OK: [textMsg(hello)], 'NON-STRICT': [] },
      close: FAILED_PROTOCOL,
    });
  }
  add('3.5', 'Send small binary message with RSV = 5.', failFast, {
    steps: [frame(OP.BINARY, octets('\x00\xff\xfe\xfd\xfc\xfb\x00\xff'), { rsv: 5 })],
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  add('3.6', 'Send Ping with RSV = 6.', failFast, { steps: [frame(OP.PING, hello, { rsv: 6 })], expected: { OK: [] }, close: FAILED_PROTOCOL });
  add('3.7', 'Send Close with RSV = 7.', failFast, { steps: [frame(OP.CLOSE, undefined, { rsv: 7 })], expected: { OK: [] }, close: FAILED_PROTOCOL });
}

// 4: Opcodes ---------------------------------------------------------------
for (const [sub, base, kind] of /** @type {const} */ ([
  [1, 3, 'non-control'],
  [2, 11, 'control'],
])) {
  const hello = utf8('Hello, world!');
  const reserved = utf8('reserved opcode payload');
  add(`4.${sub}.1`, `Send frame with reserved ${kind} Opcode = ${base}.`, 'The connection is failed immediately.', {
    steps: [frame(base)],
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  add(`4.${sub}.2`, `Send frame with reserved ${kind} Opcode = ${base + 1} and non-empty payload.`, 'The connection is failed immediately.', {
    steps: [frame(base + 1, reserved)],
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  /** @type {[number, Buffer | undefined, object][]} */
  const seq = [
    [base + 2, undefined, {}],
    [base + 3, hello, {}],
    [base + 4, hello, { chopsize: 1 }],
  ];
  seq.forEach(([opcode, payload, how], i) => {
    add(
      `4.${sub}.${i + 3}`,
      `Send small text message, then send frame with reserved ${kind} Opcode = ${opcode}${payload ? ' and non-empty payload' : ''}, then send Ping.${'chopsize' in how ? ' Octets are sent in octet-wise chops.' : ''}`,
      'Echo for the first message is received, then the connection is failed immediately, since a reserved opcode is used. A Pong is not received.',
      {
        steps: [frame(OP.TEXT, hello, how), frame(opcode, payload, how), frame(OP.PING, undefined, how)],
        expected: { OK: [textMsg(hello)], 'NON-STRICT': [] },
        close: FAILED_PROTOCOL,
      },
    );
  });
}

// 5: Fragmentation ---------------------------------------------------------
{
  const f1 = utf8('fragment1');
  const f2 = utf8('fragment2');
  const both = utf8('fragment1fragment2');
  const nonCont = utf8('non-continuation payload');
  const hello = utf8('Hello, world!');
  const pingPayload = utf8('ping payload');
  const fail = 'The connection is failed immediately, since the fragmentation is not valid.';
  add('5.1', 'Send Ping fragmented into 2 fragments.', 'Connection is failed immediately, since control messages must not be fragmented.', {
    steps: [frame(OP.PING, f1, { fin: false }), frame(OP.CONT, f2)],
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  add('5.2', 'Send Pong fragmented into 2 fragments.', 'Connection is failed immediately, since control messages must not be fragmented.', {
    steps: [frame(OP.PONG, f1, { fin: false }), frame(OP.CONT, f2)],
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  const chops = /** @type {const} */ ([
    [{}, ''],
    [{ sync: true }, ' Octets are sent in frame-wise chops.'],
    [{ chopsize: 1 }, ' Octets are sent in octet-wise chops.'],
  ]);
  chops.forEach(([how, note], i) => {
    add(`5.${3 + i}`, `Send text message fragmented into 2 fragments.${note}`, "Message is processed and echo'ed back to us.", {
      steps: [frame(OP.TEXT, f1, { fin: false, ...how }), frame(OP.CONT, f2, how)],
      expected: { OK: [textMsg(both)] },
      close: CLEAN_NORMAL,
      after: { action: 'close', seconds: 1 },
    });
  });
  chops.forEach(([how, note], i) => {
    add(
      `5.${6 + i}`,
      `Send text message fragmented into 2 fragments, one ping with payload in-between.${note}`,
      "A pong is received, then the message is echo'ed back to us.",
      {
        steps: [frame(OP.TEXT, f1, { fin: false, ...how }), frame(OP.PING, pingPayload, how), frame(OP.CONT, f2, how)],
        expected: { OK: [['pong', pingPayload], textMsg(both)] },
        close: CLEAN_NORMAL,
        after: { action: 'close', seconds: 1 },
      },
    );
  });
  chops.forEach(([how, note], i) => {
    add(`5.${9 + i}`, `Send unfragmented Text Message after Continuation Frame with FIN = true, where there is nothing to continue.${note}`, fail, {
      steps: [frame(OP.CONT, nonCont, how), frame(OP.TEXT, hello, how)],
      expected: { OK: [] },
      close: FAILED_PROTOCOL,
    });
  });
  chops.forEach(([how, note], i) => {
    add(`5.${12 + i}`, `Send unfragmented Text Message after Continuation Frame with FIN = false, where there is nothing to continue.${note}`, fail, {
      steps: [frame(OP.CONT, nonCont, { fin: false, ...how }), frame(OP.TEXT, hello, how)],
      expected: { OK: [] },
      close: FAILED_PROTOCOL,
    });
  });
  const frags = ['fragment1', 'fragment2', 'fragment3', 'fragment4'].map(utf8);
  add(
    '5.15',
    'Send text message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message.',
    "The connection is failed immediately, since the fragmentation is not valid (the first message may be echo'ed).",
    {
      steps: [frame(OP.TEXT, frags[0], { fin: false }), frame(OP.CONT, frags[1]), frame(OP.CONT, frags[2], { fin: false }), frame(OP.TEXT, frags[3])],
      expected: { OK: [textMsg(both)], 'NON-STRICT': [] },
      close: FAILED_PROTOCOL,
    },
  );
  const twice = (/** @type {boolean} */ firstFin) =>
    [0, 1].flatMap(() => [frame(OP.CONT, frags[0], { fin: firstFin }), frame(OP.TEXT, frags[1], { fin: false }), frame(OP.CONT, frags[2])]);
  add('5.16', 'Repeated 2x: Continuation Frame with FIN = false (where there is nothing to continue), then text Message fragmented into 2 fragments.', fail, {
    steps: twice(false),
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  add('5.17', 'Repeated 2x: Continuation Frame with FIN = true (where there is nothing to continue), then text Message fragmented into 2 fragments.', fail, {
    steps: twice(true),
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  add('5.18', 'Send text Message fragmented into 2 fragments, with both frame opcodes set to text.', fail, {
    steps: [frame(OP.TEXT, f1, { fin: false }), frame(OP.TEXT, f2)],
    expected: { OK: [] },
    close: FAILED_PROTOCOL,
  });
  const five = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'].map(utf8);
  const pings = [utf8('pongme 1!'), utf8('pongme 2!')];
  for (const [id, how, note] of /** @type {const} */ ([
    ['5.19', {}, ''],
    ['5.20', { sync: true }, ' Octets are sent in frame-wise chops.'],
  ])) {
    add(
      id,
      `A fragmented text message is sent in multiple frames. After sending the first 2 frames, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment.${note} Everything is legal.`,
      "The peer immediately answers the first Ping before it has received the last text message fragment. The peer pong's back the Ping's payload exactly, and echo's the payload of the fragmented message back to us.",
      {
        steps: [
          frame(OP.TEXT, five[0], { fin: false, ...how }),
          frame(OP.CONT, five[1], { fin: false, ...how }),
          frame(OP.PING, pings[0], how),
          { op: 'wait', seconds: 1 },
          frame(OP.CONT, five[2], { fin: false, ...how }),
          frame(OP.CONT, five[3], { fin: false, ...how }),
          frame(OP.PING, pings[1], how),
          frame(OP.CONT, five[4], how),
        ],
        expected: { OK: [['pong', pings[0]], ['pong', pings[1]], textMsg(Buffer.concat(five))] },
        close: CLEAN_NORMAL,
        after: { action: 'close', seconds: 1 },
      },
    );
  }
}

// 6: UTF-8 handling --------------------------------------------------------
{
  const echo = "The message is echo'ed back to us.";
  const failUtf8 = 'The connection is failed immediately, since the payload is not valid UTF-8.';
  const validCase = (/** @type {string} */ id, /** @type {string} */ d, /** @type {object[]} */ steps, /** @type {Buffer} */ p) =>
    add(id, d, echo, { steps, expected: { OK: [textMsg(p)] }, close: CLEAN_NORMAL, after: { action: 'close', seconds: 1 } });
  validCase('6.1.1', 'Send text message of length 0.', [frame(OP.TEXT)], Buffer.alloc(0));
  validCase(
    '6.1.2',
    'Send fragmented text message, 3 fragments each of length 0.',
    [frame(OP.TEXT, undefined, { fin: false }), frame(OP.CONT, undefined, { fin: false }), frame(OP.CONT)],
    Buffer.alloc(0),
  );
  const middle = utf8('middle frame payload');
  validCase(
    '6.1.3',
    'Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.',
    [frame(OP.TEXT, undefined, { fin: false }), frame(OP.CONT, middle, { fin: false }), frame(OP.CONT)],
    middle,
  );
  const hello = utf8('Hello-µ@ßöäüàá-UTF-8!!');
  const kosme = octets('\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5');
  validCase('6.2.1', 'Send a valid UTF-8 text message in one fragment.', [{ op: 'message', payload: hello }], hello);
  const [h1, h2] = [utf8('Hello-µ@ßöä'), utf8('üàá-UTF-8!!')];
  validCase(
    '6.2.2',
    'Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.',
    [frame(OP.TEXT, h1, { fin: false }), frame(OP.CONT, h2)],
    hello,
  );
  validCase(
    '6.2.3',
    'Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
    [{ op: 'message', payload: hello, fragmentSize: 1 }],
    hello,
  );
  validCase(
    '6.2.4',
    `Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends. MESSAGE: ${kosme.toString('hex')}`,
    [{ op: 'message', payload: kosme, fragmentSize: 1 }],
    kosme,
  );
  const bad = Buffer.concat([kosme, octets('\xed\xa0\x80'), octets('\x65\x64\x69\x74\x65\x64')]);
  add('6.3.1', `Send invalid UTF-8 text message unfragmented. MESSAGE: ${bad.toString('hex')}`, failUtf8, {
    steps: [{ op: 'message', payload: bad }],
    expected: { OK: [] },
    close: FAILED_UTF8,
  });
  add('6.3.2', 'Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.', failUtf8, {
    steps: [{ op: 'message', payload: bad, fragmentSize: 1 }],
    expected: { OK: [] },
    close: FAILED_UTF8,
  });
  // 6.4: fail fast. The invalid octet must be rejected when it arrives, not when the message ends.
  const p64 = Buffer.concat([kosme, octets('\xf4\x90\x80\x80'), octets('\x65\x64\x69\x74\x65\x64')]);
  const failFast =
    'The first part is accepted (we time out on the first wait). The 2nd part should be rejected immediately (fail fast on UTF-8); if we time out again, the connection must be failed at least then.';
  const parts41 = [p64.subarray(0, 11), p64.subarray(11, 15), p64.subarray(15)];
  const parts42 = [p64.subarray(0, 12), p64.subarray(12, 13), p64.subarray(13)];
  const fastOutcomes = {
    OK: [['timeout', 'A']],
    'NON-STRICT': [
      ['timeout', 'A'],
      ['timeout', 'B'],
    ],
  };
  /** @param {Buffer[]} parts */
  const inFrames = (parts) => [
    frame(OP.TEXT, parts[0], { fin: false }),
    { op: 'wait', seconds: 1, mark: 'A' },
    frame(OP.CONT, parts[1], { fin: false }),
    { op: 'wait', seconds: 1, mark: 'B' },
    frame(OP.CONT, parts[2]),
  ];
  /** @param {Buffer[]} parts */
  const inChops = (parts) => [
    { op: 'frameBegin', opcode: OP.TEXT, length: p64.length },
    { op: 'frameData', payload: parts[0] },
    { op: 'wait', seconds: 1, mark: 'A' },
    { op: 'frameData', payload: parts[1] },
    { op: 'wait', seconds: 1, mark: 'B' },
    { op: 'frameData', payload: parts[2] },
  ];
  const hex = (/** @type {Buffer[]} */ p) => p.map((x) => x.toString('hex')).join(' | ');
  add('6.4.1', `Send invalid UTF-8 text message in 3 fragments (frames); the 2nd makes the sequence invalid: ${hex(parts41)}`, failFast, {
    steps: inFrames(parts41),
    expected: fastOutcomes,
    close: FAILED_UTF8,
  });
  add('6.4.2', `Same as 6.4.1, but the 2nd frame holds only the octet making the payload invalid: ${hex(parts42)}`, failFast, {
    steps: inFrames(parts42),
    expected: fastOutcomes,
    close: FAILED_UTF8,
  });
  add('6.4.3', `Same as 6.4.1, but in 3 chops of one frame: ${hex(parts41)}`, failFast, {
    steps: inChops(parts41),
    expected: fastOutcomes,
    close: FAILED_UTF8,
  });
  add('6.4.4', `Same as 6.4.2, but in 3 chops of one frame: ${hex(parts42)}`, failFast, {
    steps: inChops(parts42),
    expected: fastOutcomes,
    close: FAILED_UTF8,
  });
  // 6.5-6.23: Markus Kuhn's UTF-8 decoder capability and stress test, one message each.
  utf8Sequences().forEach(([, list], i) => {
    list.forEach(([valid, payload], j) => {
      add(
        `6.${i + 5}.${j + 1}`,
        `Send a text message with payload which is ${valid ? '' : 'not '}valid UTF-8 in one fragment. Payload: 0x${payload.toString('hex')}`,
        valid ? echo : failUtf8,
        valid
          ? { steps: [{ op: 'message', payload }], expected: { OK: [textMsg(payload)] }, close: CLEAN_NORMAL, after: { action: 'kill', seconds: 0.5 } }
          : { steps: [{ op: 'message', payload }], expected: { OK: [] }, close: FAILED_UTF8, after: { action: 'kill', seconds: 0.5 } },
      );
    });
  });
}

/**
 * The UTF-8 sequences of sections 6.5-6.23, after Markus Kuhn's UTF-8-test.txt.
 * @returns {[string, [boolean, Buffer][]][]}
 */
function utf8Sequences() {
  const v = (/** @type {string} */ s) => /** @type {[boolean, Buffer]} */ ([true, octets(s)]);
  const x = (/** @type {string} */ s) => /** @type {[boolean, Buffer]} */ ([false, octets(s)]);
  const kosme = '\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5';
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const isValid = (/** @type {Buffer} */ b) => {
    try {
      decoder.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  const range = (/** @type {number} */ from, /** @type {number} */ to, /** @type {(i: number) => string} */ f) =>
    Array.from({ length: to - from }, (_, k) => f(from + k)).join('');
  const missingLast = [
    '\xc0',
    '\xe0\x80',
    '\xf0\x80\x80',
    '\xf8\x80\x80\x80',
    '\xfc\x80\x80\x80\x80',
    '\xdf',
    '\xef\xbf',
    '\xf7\xbf\xbf',
    '\xfb\xbf\xbf\xbf',
    '\xfd\xbf\xbf\xbf\xbf',
  ];
  /** @type {[boolean, Buffer][]} */
  const nonChars = [v('\xef\xbf\xbe'), v('\xef\xbf\xbf')];
  for (const z1 of ['\xf0', '\xf1', '\xf2', '\xf3', '\xf4']) {
    for (const z2 of ['\x8f', '\x9f', '\xaf', '\xbf']) {
      if (z1 === '\xf4' && z2 !== '\x8f') continue; // beyond U+10FFFF
      for (const z3 of ['\xbe', '\xbf']) {
        const zz = z1 + z2 + '\xbf' + z3;
        if (zz !== '\xf0\x8f\xbf\xbe' && zz !== '\xf0\x8f\xbf\xbf') nonChars.push(v(zz)); // not overlong
      }
    }
  }
  return [
    ['Some valid UTF-8 sequences', [v('hello\x24world'), v('hello\xc2\xa2world'), v('hello\xe2\x82\xacworld'), v('hello\xf0\xa4\xad\xa2world'), v(kosme)]],
    [
      'All prefixes of a valid UTF-8 string that contains multi-byte code points',
      Array.from({ length: kosme.length }, (_, i) => {
        const b = octets(kosme.slice(0, i + 1));
        return /** @type {[boolean, Buffer]} */ ([isValid(b), b]);
      }),
    ],
    ['First possible sequence of a certain length', [v('\x00'), v('\xc2\x80'), v('\xe0\xa0\x80'), v('\xf0\x90\x80\x80')]],
    ['First possible sequence length 5/6 (invalid codepoints)', [x('\xf8\x88\x80\x80\x80'), x('\xfc\x84\x80\x80\x80\x80')]],
    ['Last possible sequence of a certain length', [v('\x7f'), v('\xdf\xbf'), v('\xef\xbf\xbf'), v('\xf4\x8f\xbf\xbf')]],
    ['Last possible sequence length 4/5/6 (invalid codepoints)', [x('\xf7\xbf\xbf\xbf'), x('\xfb\xbf\xbf\xbf\xbf'), x('\xfd\xbf\xbf\xbf\xbf\xbf')]],
    ['Other boundary conditions', [v('\xed\x9f\xbf'), v('\xee\x80\x80'), v('\xef\xbf\xbd'), v('\xf4\x8f\xbf\xbf'), x('\xf4\x90\x80\x80')]],
    [
      'Unexpected continuation bytes',
      [
        x('\x80'),
        x('\xbf'),
        x('\x80\xbf'),
        x('\x80\xbf\x80'),
        x('\x80\xbf\x80\xbf'),
        x('\x80\xbf\x80\xbf\x80'),
        x('\x80\xbf\x80\xbf\x80\xbf'),
        x(range(0x80, 0xbf, (i) => String.fromCharCode(i))),
      ],
    ],
    [
      'Lonely start characters',
      [
        [0xc0, 0xdf],
        [0xe0, 0xef],
        [0xf0, 0xf7],
        [0xf8, 0xfb],
        [0xfc, 0xfd],
      ].map(([a, b]) => x(range(a, b, (i) => `${String.fromCharCode(i)} `))),
    ],
    ['Sequences with last continuation byte missing', missingLast.map(x)],
    ['Concatenation of incomplete sequences', [x(missingLast.join(''))]],
    ['Impossible bytes', [x('\xfe'), x('\xff'), x('\xfe\xfe\xff\xff')]],
    [
      'Examples of an overlong ASCII character',
      [x('\xc0\xaf'), x('\xe0\x80\xaf'), x('\xf0\x80\x80\xaf'), x('\xf8\x80\x80\x80\xaf'), x('\xfc\x80\x80\x80\x80\xaf')],
    ],
    ['Maximum overlong sequences', [x('\xc1\xbf'), x('\xe0\x9f\xbf'), x('\xf0\x8f\xbf\xbf'), x('\xf8\x87\xbf\xbf\xbf'), x('\xfc\x83\xbf\xbf\xbf\xbf')]],
    [
      'Overlong representation of the NUL character',
      [x('\xc0\x80'), x('\xe0\x80\x80'), x('\xf0\x80\x80\x80'), x('\xf8\x80\x80\x80\x80'), x('\xfc\x80\x80\x80\x80\x80')],
    ],
    ['Single UTF-16 surrogates', ['\xed\xa0\x80', '\xed\xad\xbf', '\xed\xae\x80', '\xed\xaf\xbf', '\xed\xb0\x80', '\xed\xbe\x80', '\xed\xbf\xbf'].map(x)],
    [
      'Paired UTF-16 surrogates',
      [
        '\xed\xa0\x80\xed\xb0\x80',
        '\xed\xa0\x80\xed\xbf\xbf',
        '\xed\xad\xbf\xed\xb0\x80',
        '\xed\xad\xbf\xed\xbf\xbf',
        '\xed\xae\x80\xed\xb0\x80',
        '\xed\xae\x80\xed\xbf\xbf',
        '\xed\xaf\xbf\xed\xb0\x80',
        '\xed\xaf\xbf\xed\xbf\xbf',
      ].map(x),
    ],
    ['Non-character code points (valid UTF-8)', nonChars],
    [
      'Unicode specials (i.e. replacement char)',
      ['\xef\xbf\xb9', '\xef\xbf\xba', '\xef\xbf\xbb', '\xef\xbf\xbc', '\xef\xbf\xbd', '\xef\xbf\xbe', '\xef\xbf\xbf'].map(v),
    ],
  ];
}

// 7: Close handling --------------------------------------------------------
{
  const hello = utf8('Hello World!');
  const closeCase = { suppressClose: true, wrongCodeIsFatal: true, expected: { OK: [] } };
  add('7.1.1', 'Send a message followed by a close frame.', 'Echoed message followed by clean close with normal code.', {
    steps: [frame(OP.TEXT, hello)],
    expected: { OK: [textMsg(hello)] },
    close: CLEAN_NORMAL,
    wrongCodeIsFatal: true,
  });
  add('7.1.2', 'Send two close frames.', 'Clean close with normal code. Second close frame ignored.', {
    ...closeCase,
    steps: [{ op: 'close', code: NORMAL }, frame(OP.CLOSE)],
    close: CLEAN_NORMAL,
  });
  add('7.1.3', 'Send a ping after close message.', 'Clean close with normal code, no pong.', {
    ...closeCase,
    steps: [{ op: 'close', code: NORMAL }, frame(OP.PING)],
    close: CLEAN_NORMAL,
  });
  add('7.1.4', 'Send text message after sending a close frame.', 'Clean close with normal code. Text message ignored.', {
    ...closeCase,
    steps: [{ op: 'close', code: NORMAL }, frame(OP.TEXT, hello)],
    close: CLEAN_NORMAL,
  });
  add('7.1.5', 'Send message fragment1 followed by close then fragment.', 'Clean close with normal code.', {
    ...closeCase,
    steps: [frame(OP.TEXT, utf8('fragment1'), { fin: false }), { op: 'close', code: NORMAL }, frame(OP.CONT, utf8('fragment2'))],
    close: CLEAN_NORMAL,
  });
  add(
    '7.1.6',
    'Send 256K message followed by close then a ping.',
    'Implementation defined: if the close frame is processed before the text message write is complete, the text message may not be received.',
    {
      suppressClose: true,
      informational: true,
      steps: [frame(OP.TEXT, repeat('BAsd7&jh23', 256 * 1024)), frame(OP.TEXT, hello), { op: 'close', code: NORMAL }, frame(OP.PING)],
      expected: { OK: [textMsg(hello)], 'NON-STRICT': [] },
      close: CLEAN_NORMAL,
    },
  );
  add('7.3.1', 'Send a close frame with payload length 0 (no close code, no close reason).', 'Clean close with normal code.', {
    ...closeCase,
    steps: [{ op: 'close' }],
    close: CLEAN_NORMAL,
  });
  add('7.3.2', 'Send a close frame with payload length 1.', 'Clean close with protocol error or drop TCP.', {
    ...closeCase,
    steps: [{ op: 'close', reason: utf8('a') }],
    close: { closedByMe: true, codes: [PROTOCOL_ERROR], requireClean: false },
  });
  add('7.3.3', 'Send a close frame with payload length 2 (regular close with a code).', 'Clean close with normal code.', {
    ...closeCase,
    steps: [{ op: 'close', code: NORMAL }],
    close: CLEAN_NORMAL,
  });
  add('7.3.4', 'Send a close frame with close code and close reason.', 'Clean close with normal code.', {
    ...closeCase,
    steps: [{ op: 'close', code: NORMAL, reason: hello }],
    close: CLEAN_NORMAL,
  });
  add('7.3.5', 'Send a close frame with close code and close reason of maximum length (123).', 'Clean close with normal code.', {
    ...closeCase,
    steps: [{ op: 'close', code: NORMAL, reason: repeat('*', 123) }],
    close: CLEAN_NORMAL,
  });
  add(
    '7.3.6',
    'Send a close frame with close code and close reason which is too long (124) - total frame payload 126 octets.',
    'Clean close with protocol error code or dropped TCP connection.',
    {
      ...closeCase,
      steps: [{ op: 'close', code: NORMAL, reason: repeat('*', 124) }],
      close: { closedByMe: true, codes: [PROTOCOL_ERROR], requireClean: false },
    },
  );
  add('7.5.1', 'Send a close frame with invalid UTF8 payload.', 'Clean close with protocol error or invalid utf8 code or dropped TCP.', {
    ...closeCase,
    steps: [{ op: 'close', code: NORMAL, reason: octets('\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64') }],
    close: { closedByMe: true, codes: [PROTOCOL_ERROR, INVALID_PAYLOAD], requireClean: false },
  });
  [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].forEach((code, i) => {
    add(`7.7.${i + 1}`, `Send close with valid close code ${code}.`, 'Clean close with normal or echoed code.', {
      ...closeCase,
      steps: [{ op: 'close', code }],
      close: { closedByMe: true, codes: [NORMAL, code], requireClean: true },
    });
  });
  [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999].forEach((code, i) => {
    add(`7.9.${i + 1}`, `Send close with invalid close code ${code}.`, 'Clean close with protocol error code or drop TCP.', {
      ...closeCase,
      steps: [{ op: 'close', code }],
      close: { closedByMe: true, codes: [PROTOCOL_ERROR], requireClean: false },
    });
  });
  [5000, 65535].forEach((code, i) => {
    add(`7.13.${i + 1}`, `Send close with close code ${code}.`, 'Actual events are undefined by the spec.', {
      suppressClose: true,
      informational: true,
      steps: [{ op: 'close', code }],
      expected: { OK: [] },
      close: { closedByMe: true, codes: [NORMAL, code, PROTOCOL_ERROR], requireClean: false },
    });
  });
}

// 9: Limits/performance (echo loads; sizes and counts are capped by the runner's limits) --
{
  const MiB = 1024 * 1024;
  const KiB = 1024;
  const human = (/** @type {number} */ n) => (n >= MiB ? `${n / MiB}M` : n >= KiB ? `${n / KiB}k` : `${n}`);
  const load = (/** @type {string} */ id, /** @type {string} */ d, /** @type {object} */ l) =>
    add(id, d, "Receive echo'ed message(s) (with payload as sent).", { load: { count: 1, ...l }, close: CLEAN_NORMAL });
  const sizes = [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB];
  const waits = [10, 10, 20, 40, 80, 100];
  for (const [sub, binary] of /** @type {const} */ ([
    [1, false],
    [2, true],
  ])) {
    sizes.forEach((size, i) => {
      load(`9.${sub}.${i + 1}`, `Send ${binary ? 'binary' : 'text'} message with payload of length ${human(size)}.`, {
        size,
        binary,
        pattern: binary ? '\xfe' : 'BAsd7&jh23',
        waitSeconds: waits[i],
      });
    });
  }
  const fragSizes = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB];
  for (const [sub, binary] of /** @type {const} */ ([
    [3, false],
    [4, true],
  ])) {
    fragSizes.forEach((fragmentSize, i) => {
      load(
        `9.${sub}.${i + 1}`,
        `Send fragmented ${binary ? 'binary' : 'text'} message with message payload of length 4M, sent out in fragments of ${human(fragmentSize)}.`,
        { size: 4 * MiB, binary, pattern: binary ? '\xfe' : '*', fragmentSize, waitSeconds: 100 },
      );
    });
  }
  for (const [sub, binary] of /** @type {const} */ ([
    [5, false],
    [6, true],
  ])) {
    [64, 128, 256, 512, 1024, 2048].forEach((chopsize, i) => {
      load(`9.${sub}.${i + 1}`, `Send ${binary ? 'binary' : 'text'} message with payload of length 1M, sent out in chops of ${chopsize} octets.`, {
        size: MiB,
        binary,
        pattern: binary ? '\xfe' : 'BAsd7&jh23',
        chopsize,
        waitSeconds: 100,
      });
    });
  }
  for (const [sub, binary] of /** @type {const} */ ([
    [7, false],
    [8, true],
  ])) {
    [
      [0, 60],
      [16, 60],
      [64, 60],
      [256, 120],
      [1024, 240],
      [4096, 480],
    ].forEach(([size, waitSeconds], i) => {
      load(`9.${sub}.${i + 1}`, `Send 1000 ${binary ? 'binary' : 'text'} messages of payload size ${size} to measure round trip time.`, {
        size,
        count: 1000,
        binary,
        pattern: binary ? '\xfe' : '*',
        waitSeconds,
      });
    });
  }
}

// 12, 13: permessage-deflate -------------------------------------------------
{
  // [message size, count, seconds allowed, auto-fragment size of the compressed frames]
  const MSG_SIZES = [
    [16, 1000, 60, 0],
    [64, 1000, 60, 0],
    [256, 1000, 120, 0],
    [1024, 1000, 240, 0],
    [4096, 1000, 480, 0],
    [8192, 1000, 480, 0],
    [16384, 1000, 480, 0],
    [32768, 1000, 480, 0],
    [65536, 1000, 480, 0],
    [131072, 1000, 480, 0],
    [8192, 1000, 480, 256],
    [16384, 1000, 480, 256],
    [32768, 1000, 480, 256],
    [65536, 1000, 480, 256],
    [131072, 1000, 480, 256],
    [131072, 1000, 480, 1024],
    [131072, 1000, 480, 4096],
    [131072, 1000, 480, 32768],
  ];
  const expectation = "Receive echo'ed messages (with payload as sent), compressed or not.";
  /** @param {string} prefix @param {string} corpusName @param {object[]} offers @param {string} offerDesc */
  const series = (prefix, corpusName, offers, offerDesc) =>
    MSG_SIZES.forEach(([size, count, waitSeconds, fragmentSize], i) => {
      const info = corpusInfo(/** @type {any} */ (corpusName));
      add(
        `${prefix}.${i + 1}`,
        `Send ${count} compressed messages each of payload size ${size}, auto-fragment to ${fragmentSize} octets. ${info.desc}. Offer: ${offerDesc}.`,
        expectation,
        { load: { size, count, binary: info.binary, corpus: corpusName, fragmentSize, offers, waitSeconds }, close: CLEAN_NORMAL },
      );
    });
  for (const [j, name] of CORPUS_NAMES.entries()) series(`12.${j + 1}`, name, [{}], 'default permessage-deflate offer');
  /** @type {[string, object[]][]} */
  const params = [
    ['(false, 0)', [{}]],
    ['(true, 0)', [{ requestNoContextTakeover: true }]],
    ['(false, 9)', [{ requestMaxWindowBits: 9 }]],
    ['(false, 15)', [{ requestMaxWindowBits: 15 }]],
    ['(true, 9)', [{ requestNoContextTakeover: true, requestMaxWindowBits: 9 }]],
    ['(true, 15)', [{ requestNoContextTakeover: true, requestMaxWindowBits: 15 }]],
    ['(true, 9), (true, 0), (false, 0)', [{ requestNoContextTakeover: true, requestMaxWindowBits: 9 }, { requestNoContextTakeover: true }, {}]],
  ];
  for (const [j, [desc, offers]] of params.entries()) {
    series(`13.${j + 1}`, 'json_data1', offers, `client offers (requestNoContextTakeover, requestMaxWindowBits): ${desc}`);
  }
}

export const CASES = Object.freeze(cases);

/**
 * Cases whose id matches one of the patterns: '6.4.*', '1.*', '7.7.3', or a
 * whole section '9'. No patterns: every case.
 * @param {string[] | undefined} patterns
 */
export function selectCases(patterns) {
  if (!patterns?.length) return [...CASES];
  const res = patterns.map((p) => new RegExp(`^${p.trim().replace(/\./g, '\\.').replace(/\*/g, '.*')}${p.includes('*') ? '' : '(\\..*)?'}$`));
  return CASES.filter((c) => res.some((re) => re.test(c.id)));
}
