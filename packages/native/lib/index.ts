/**
 * The whole binding surface of the addon, typed in one place, plus the
 * layout of the shared memory both sides use. src/batch.h holds the C++ twin
 * of every constant here (ParseError: src/http_parser.h; NativeStats:
 * src/stats.h); test/boundary.test.ts checks they agree and
 * test/binding.test.ts that the addon exports exactly `bindingExports`.
 */

// ---- Event records (native → JS) -------------------------------------------
// One record = EVENT_WORDS int32 in `events`. Which word holds what is given
// per kind by the *Word constants below (twins of src/batch.h); the records
// are written by src/event_records.h and read only through
// @ringside/core's backends/native/event-records.ts.
export const Ev = {
  /** a connection was accepted: OpenWord */
  OPEN: 1,
  /** TCP bytes: DataWord (a span of eventData) */
  DATA: 2,
  /** peer sent FIN */
  END: 3,
  /** the send queue emptied after a write asked for drain */
  DRAIN: 4,
  /** CloseWord.ERROR: 0 or -errno */
  CLOSE: 5,
  /** HTTP request head: RequestWord */
  REQUEST: 6,
  /** body bytes, chunked framing removed: DataWord */
  BODY: 7,
  /** the body of the current request is complete */
  BODY_END: 8,
  /**
   * the parser refused the request: HttpErrorWord (HTTP status, ParseError
   * code, IN_BODY 1 for a body error that JS answers in its turn, else 0:
   * native answers, then closes)
   */
  HTTP_ERROR: 9,
  /** a coarse-tick timeout fired: TimeoutWord.KIND; native answers 408 or closes, except REQUEST with a handler running (JS decides) */
  TIMEOUT: 10,
  /** WebSocket: (a piece of) a message, WsMessageWord; the last piece has WsFlag.FIN */
  WS_MESSAGE: 11,
  /** WebSocket: a ping came (native answered it): DataWord */
  WS_PING: 12,
  /** WebSocket: a pong came: DataWord */
  WS_PONG: 13,
  /** WebSocket: the code the connection closes with and the reason, WsCloseWord; CLOSE follows */
  WS_CLOSE: 14,
} as const;

/** Every record: its kind (Ev), then the connection id (slot | generation << SLOT_BITS; read it as uint32 with >>> 0). */
export const RecordWord = { TYPE: 0, CONN: 1 } as const;
/** OPEN: listener id, remote address (latin1 text in eventData), remote port, family (4|6). */
export const OpenWord = { LISTENER: 2, ADDRESS_OFF: 3, ADDRESS_LEN: 4, PORT: 5, FAMILY: 6 } as const;
/** DATA and BODY: a span of eventData. */
export const DataWord = { OFF: 2, LEN: 3 } as const;
/** CLOSE: 0, or -errno of the failure that closed the connection. */
export const CloseWord = { ERROR: 2 } as const;
/**
 * REQUEST: method and target (spans of eventData), the head's fields (`fields`
 * records FIRST_FIELD … FIRST_FIELD + FIELD_COUNT - 1), HttpFlag bits, and
 * Content-Length as two 32-bit halves (-1, -1 when absent).
 */
export const RequestWord = {
  METHOD_OFF: 2,
  METHOD_LEN: 3,
  TARGET_OFF: 4,
  TARGET_LEN: 5,
  FIRST_FIELD: 6,
  FIELD_COUNT: 7,
  FLAGS: 8,
  CONTENT_LENGTH_LO: 9,
  CONTENT_LENGTH_HI: 10,
} as const;
/** HTTP_ERROR: the answer's status, the ParseError code, 1 for a body error. */
export const HttpErrorWord = { STATUS: 2, PARSE_ERROR: 3, IN_BODY: 4 } as const;
/** TIMEOUT: which deadline passed (Timeout). */
export const TimeoutWord = { KIND: 2 } as const;
/** WS_MESSAGE: a span of eventData and WsFlag bits. */
export const WsMessageWord = { OFF: 2, LEN: 3, FLAGS: 4 } as const;
export const WsFlag = { BINARY: 1, FIN: 2 } as const;
/** WS_CLOSE: the close code and the reason (a span of eventData). */
export const WsCloseWord = { CODE: 2, REASON_OFF: 3, REASON_LEN: 4 } as const;
/** Words per event record: the longest record's (REQUEST). */
export const EVENT_WORDS = 11;

export const HttpFlag = {
  KEEP_ALIVE: 1,
  CHUNKED: 2,
  HAS_BODY: 4,
  EXPECT_CONTINUE: 8,
  HTTP10: 16,
  UPGRADE: 32,
  /** the upgrade is a valid WebSocket opening handshake (method, version 13, key) */
  WEBSOCKET: 64,
} as const;

/** SEND: output untaken for sendTimeout (the connection is destroyed). */
export const Timeout = { HEADERS: 1, IDLE: 2, REQUEST: 3, SEND: 4 } as const;

/** HTTP_ERROR's PARSE_ERROR: why the native parser refused the request (src/http_parser.h). */
export const ParseError = {
  /** malformed request line or field → 400 */
  BadRequest: 1,
  /** HTTP/2.0, HTTP/3 … → 505 */
  BadVersion: 2,
  /** → 414 */
  UriTooLong: 3,
  /** → 431 */
  HeadTooLarge: 4,
  /** → 431 */
  TooManyHeaders: 5,
  /** Content-Length over the limit → 413 */
  BodyTooLarge: 6,
  /** CL + TE, differing CLs, TE not ending in chunked … → 400 */
  Smuggling: 7,
  /** invalid chunk size / framing → 400 */
  BadChunk: 8,
  /** unknown transfer coding → 501 */
  NotImplemented: 9,
} as const;

/** `fields`: one record per header of a REQUEST, name and value as spans of eventData. */
export const FieldWord = { NAME_OFF: 0, NAME_LEN: 1, VALUE_OFF: 2, VALUE_LEN: 3 } as const;
export const FIELD_WORDS = 4;

// ---- Output records (JS → native) ------------------------------------------
// `out` starts with OUT_HEADER_WORDS (OutHeaderWord: record count, bytes used
// in outData); records follow, OUT_WORDS int32 each (OutWord: op, connection
// id, and for WRITE ops a span of outData).
export const OutHeaderWord = { COUNT: 0, BYTES: 1 } as const;
export const OUT_HEADER_WORDS = 2;
export const OutWord = { OP: 0, CONN: 1, OFF: 2, LEN: 3 } as const;
export const OUT_WORDS = 4;
export const Op = {
  /** queue outData[off, off+len) */
  WRITE: 1,
  /** like WRITE, then emit DRAIN when the queue empties */
  WRITE_WANT_DRAIN: 2,
  /** send what is queued, then shutdown(SHUT_WR); the connection closes when the peer closes too */
  END: 3,
  /** send what is queued, then close (HTTP: Connection: close) */
  END_CLOSE: 4,
  /** close now, dropping the queue */
  DESTROY: 5,
  PAUSE: 6,
  RESUME: 7,
  /** HTTP: the response to the oldest request is complete (keep-alive bookkeeping, timeouts) */
  RESPONSE_DONE: 8,
  /** HTTP: the app will not read this request's body; discard it */
  DISCARD_BODY: 9,
  /** WebSocket: accept the upgrade; the span is WS_ACCEPT_WORDS uint32 (WsAcceptWord) then the 101 response */
  WS_ACCEPT: 10,
  /** WebSocket: one message, the span its payload (OP_FLAG_WS_BINARY, OP_FLAG_WS_COMPRESS) */
  WS_SEND: 11,
  WS_PING: 12,
  /** WebSocket: close handshake; the span is empty or a 2-byte code (network order) and the reason */
  WS_CLOSE: 13,
  /** WebSocket: the span is a topic */
  WS_SUBSCRIBE: 14,
  WS_UNSUBSCRIBE: 15,
  /** WebSocket: the span is a uint32 topic length, the topic, the payload; the id is the publisher (skipped) or NO_CONNECTION */
  WS_PUBLISH: 16,
} as const;

/** Flag on a WRITE record: the response it ends is complete (saves a RESPONSE_DONE record). */
export const OP_FLAG_RESPONSE_DONE = 0x100;
export const OP_FLAG_WS_BINARY = 0x200;
export const OP_FLAG_WS_COMPRESS = 0x400;
/** WS_PUBLISH from the server, not from a socket. */
export const NO_CONNECTION = 0xffffffff;

// Limits and waits both transports share with the loop (src/transport_limits.h).
/** Unsent output past which a connection's next request is not parsed, and a response's write() returns false. */
export const OUTPUT_HIGH_WATER = 64 * 1024;
/** Requests parsed and not yet answered past which a connection's input is not parsed. */
export const MAX_OUTSTANDING_REQUESTS = 256;
/** After its FIN, a closing connection reads and drops input this long, waiting for the peer's, so unread input never turns into an RST. */
export const LINGER_MS = 2000;
/** How long a WebSocket waits for the peer's close frame after sending its own. */
export const WS_CLOSE_WAIT_MS = 2000;
/** WS_ACCEPT's header words (uint32, host order) before the 101 response. */
export const WsAcceptWord = {
  MAX_PAYLOAD: 0,
  MAX_BACKPRESSURE: 1,
  IDLE_TIMEOUT_MS: 2,
  FLAGS: 3,
  SERVER_WINDOW_BITS: 4,
  CLIENT_WINDOW_BITS: 5,
  COMPRESS_THRESHOLD: 6,
} as const;
export const WS_ACCEPT_WORDS = 7;
export const WsAcceptFlag = { SEND_PINGS: 1, DEFLATE: 2, SERVER_NO_CONTEXT: 4, CLIENT_NO_CONTEXT: 8 } as const;

export const SLOT_BITS = 20;
export const slotOf = (id: number): number => id & ((1 << SLOT_BITS) - 1);

// ---- Functions ----------------------------------------------------------------
export interface ProbeResult {
  /** io_uring can run this server here. */
  usable: boolean;
  /** Why not, in words; empty when usable. */
  reason: string;
  /** errno of the failed step (EPERM: seccomp or io_uring_disabled; ENOSYS: kernel too old). */
  errno: number;
  kernel: string;
  /** sysctl kernel.io_uring_disabled (0, 1, 2) or -1 when absent. */
  ioUringDisabled: number;
  setupFlags: string[];
  features: Record<string, boolean>;
}

export interface LoopOptions {
  /** SQ entries (the CQ gets 8×). */
  entries: number;
  /** Provided buffers (power of two), or 0 for the default: 512, or 128 where the kernel consumes them incrementally. */
  bufferCount: number;
  bufferSize: number;
  /** Connection slots; ids beyond it are refused (accept closes at once). */
  maxConnections: number;
  /** Shared memory, allocated by JS: */
  events: Int32Array;
  eventData: Uint8Array;
  fields: Int32Array;
  out: Int32Array;
  outData: Uint8Array;
  /** Per slot: bytes queued natively and not yet sent. */
  queued: Float64Array;
  /**
   * Batch capacities to use, below the arrays' (tests: every resume path runs);
   * listen() raises them to what one request head needs. Omitted: the arrays'.
   */
  batchEvents?: number;
  batchData?: number;
  batchFields?: number;
  /** Called once per batch with the number of event records. */
  onBatch: (count: number) => void;
  /** How sockets are driven: io_uring (default) or epoll, where io_uring is blocked. */
  driver?: 'io_uring' | 'epoll';
  /** false: whole-buffer consumption even where the kernel consumes incrementally (tests of the pre-6.12 path). Default true. */
  incrementalBuffers?: boolean;
  /** After a busy spell (1,000 events), this many ms without an event hands memory back once (0: never). Default 10000. */
  quietReleaseMs?: number;
}

export interface HttpListenOptions {
  maxHeaderSize: number;
  maxHeaders: number;
  maxUrlLength: number;
  bodyLimit: number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  sendTimeout: number;
}

export interface NativeListenOptions {
  host: string;
  port: number;
  backlog: number;
  reusePort: boolean;
  ipv6Only: boolean;
  /** Parse HTTP/1.1 on this listener's connections (REQUEST/BODY events) instead of DATA. */
  http: HttpListenOptions | null;
}

export interface NativeStats {
  connections: number;
  accepted: number;
  /** Accepted sockets closed at once: no free connection slot, or the listener was closing. */
  refused: number;
  /** accept() calls that failed (EMFILE, ENFILE, ENOMEM…): clients wait in the backlog; the sweep retries each tick. */
  acceptErrors: number;
  bytesRead: number;
  bytesWritten: number;
  enobufs: number;
  batches: number;
  events: number;
  enters: number;
  /** Loop turns that found the CQ overflowed (the kernel held completions back); should stay 0. */
  cqOverflows: number;
  /** HTTP connections destroyed because output did not move for sendTimeout (a client that does not read). */
  sendStalls: number;
  /** headersTimeout passed before a head was complete (answered 408). */
  headersTimeouts: number;
  /** requestTimeout passed: answered 408 (or closed, when the handler had started its response). */
  requestTimeouts: number;
  /** Idle keep-alive connections (and idle WebSockets) closed after their timeout. */
  idleTimeouts: number;
  /** WebSocket messages published to a subscriber already buffering past its maxBackpressure: skipped. */
  wsDropped: number;
  /** Bytes of empty send and receive buffers freed from connections that stayed idle for a tick (loop_sweep.cc). */
  idleBufferBytesFreed: number;
  /** Times the loop, quiet after a busy spell, asked V8 to reduce memory (loop_sweep.cc). */
  quietMemoryReleases: number;
}

/** The keys of NativeStats at run time; the compiler refuses a key missing here or extra. */
export const nativeStatsKeys = Object.keys({
  connections: true,
  accepted: true,
  refused: true,
  acceptErrors: true,
  bytesRead: true,
  bytesWritten: true,
  enobufs: true,
  batches: true,
  events: true,
  enters: true,
  cqOverflows: true,
  sendStalls: true,
  headersTimeouts: true,
  requestTimeouts: true,
  idleTimeouts: true,
  wsDropped: true,
  idleBufferBytesFreed: true,
  quietMemoryReleases: true,
} satisfies Record<keyof NativeStats, true>) as readonly (keyof NativeStats)[];

export interface Binding {
  probe(): ProbeResult;
  /** Create this thread's loop. Throws with a message on failure. */
  init(options: LoopOptions): void;
  /** Returns listener id >= 0 and the bound port, or throws with errno text. */
  listen(options: NativeListenOptions): { id: number; port: number; address: string; family: 4 | 6 };
  /** Stop accepting on a listener and close its socket. */
  closeListener(id: number): void;
  /** Process the output records now (JS calls it when outData is full). */
  flush(): void;
  /**
   * One output record (Op with its flag bits) whose bytes are `data` rather
   * than a span of outData: large writes and WebSocket messages (copied).
   */
  output(op: number, id: number, data: Uint8Array): void;
  stats(): NativeStats;
  /** Destroy every connection and listener and release the loop (it can be init'ed again). */
  shutdown(): void;
  /**
   * Hand back what starting used: V8 is told memory is under critical
   * pressure (one memory-reducing full collection runs now; it shrinks the
   * young generation start-up grew), then malloc_trim. True when V8's step ran (its entry points are missing in
   * some runtimes).
   */
  releaseMemory(): boolean;
}

export const bindingExports = ['probe', 'init', 'listen', 'closeListener', 'flush', 'output', 'stats', 'shutdown', 'releaseMemory'] as const;

// ---- Loading ------------------------------------------------------------------
// Where the addon comes from (RINGSIDE_ADDON, the local build, a prebuild): load.ts.
export {
  ADDON_BUILD_FIX,
  addonCandidates,
  libc,
  libcFromMaps,
  loadBinding,
  loadBindingFrom,
  prebuildDir,
  type AddonCandidate,
  type AddonOrigin,
  type LoadResult,
} from './load.js';
