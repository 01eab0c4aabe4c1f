/**
 * The JS half of this thread's native loop (io_uring or epoll driver): owns the shared memory, reads
 * each batch of event records and hands them to the server that owns the
 * listener or connection, and appends writes to the output area that the
 * native side drains after every batch and before libuv sleeps.
 */
import { errnoName } from './errors.js';
import {
  EVENT_WORDS,
  Ev,
  FIELD_WORDS,
  OP_FLAG_RESPONSE_DONE,
  OUT_HEADER_WORDS,
  OUT_WORDS,
  Op,
  OutHeaderWord,
  OutWord,
  slotOf,
  type Binding,
} from '@ringside/native';
import { OpenRecord, recordAt, recordConn, recordType } from './event-records.js';

export interface LoopClient {
  /** A connection was accepted on one of this client's listeners. */
  onOpen(id: number, address: string, port: number, family: 4 | 6): void;
  /** Any other event of a connection this client owns; `at` indexes `loop.events` (read it with event-records.ts). */
  onEvent(type: number, id: number, at: number): void;
}

export interface LoopTuning {
  bufferCount?: number;
  bufferSize?: number;
  /** How sockets are driven; one per thread at a time. Default io_uring. */
  driver?: 'io_uring' | 'epoll';
}

const EVENT_CAPACITY = 16384;
const EVENT_DATA_BYTES = 8 * 1024 * 1024;
const FIELD_CAPACITY = 65536;
const OUT_RECORDS = 8192;
const OUT_DATA_BYTES = 4 * 1024 * 1024;
const MAX_CONNECTIONS = 65536;
/** Writes larger than this skip the output area (one copy straight into the send queue). */
const DIRECT_WRITE_BYTES = 256 * 1024;
/**
 * RINGSIDE_TEST_TINY=1 (tests only): a batch of a few records and a buffer
 * ring of a few small buffers, so every "batch full, resume next batch" and
 * ENOBUFS path runs. Behaviour must not change, only the number of batches.
 * The buffers are consumed whole, as on kernels before 6.12 (the other test
 * run has them consumed incrementally where the kernel can).
 */
function tinyCapacities() {
  return process.env.RINGSIDE_TEST_TINY === '1'
    ? { batchEvents: 4, batchData: 4096, batchFields: 8, bufferCount: 16, bufferSize: 1024, incrementalBuffers: false }
    : null;
}

/**
 * RINGSIDE_QUIET_RELEASE_MS: how long the loop waits, quiet after a busy
 * spell, before it hands memory back (loop_sweep.cc; 0: never). Unset: the
 * addon's 10 s.
 */
function quietReleaseMs(): number | undefined {
  const text = process.env.RINGSIDE_QUIET_RELEASE_MS;
  if (text === undefined || text === '') return undefined; // unset, as RINGSIDE_BACKEND
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms > 0xffffffff)
    throw new Error(`Ringside: RINGSIDE_QUIET_RELEASE_MS must be a whole number of milliseconds (0: never hand memory back when quiet), not "${text}"`);
  return ms;
}

export class NativeLoop {
  readonly events = new Int32Array(EVENT_CAPACITY * EVENT_WORDS);
  readonly eventData = Buffer.alloc(EVENT_DATA_BYTES);
  /** eventData for multi-byte reads (comparing spans four bytes at a time). */
  readonly eventView = new DataView(this.eventData.buffer, this.eventData.byteOffset, this.eventData.byteLength);
  readonly fields = new Int32Array(FIELD_CAPACITY * FIELD_WORDS);
  readonly out = new Int32Array(OUT_HEADER_WORDS + OUT_RECORDS * OUT_WORDS);
  readonly outData = Buffer.alloc(OUT_DATA_BYTES);
  readonly queued = new Float64Array(MAX_CONNECTIONS);
  /** Bumped whenever the output area is found empty (the native side took it). */
  epoch = 0;
  private readonly listeners = new Map<number, LoopClient>();
  /**
   * Per slot: the client owning the connection and the connection's full id
   * (slot + generation), -1 when free. Grown to the highest slot opened, not
   * MAX_CONNECTIONS up front (1 MiB a thread that serves a few connections
   * would never use).
   */
  private readonly owners: (LoopClient | undefined)[] = [];
  private ownerIds = new Float64Array(0);
  private users = 0;
  private live = false;

  private bufferCount = 0;
  private bufferSize = 0;
  private driver: 'io_uring' | 'epoll' = 'io_uring';

  constructor(readonly binding: Binding) {}

  /**
   * Start the native loop on first use. The buffer ring is per thread: the
   * first server sets its size; a server asking for another size while
   * others run shares theirs.
   */
  acquire(tuning: LoopTuning): void {
    const tiny = tinyCapacities();
    const quietRelease = quietReleaseMs(); // a bad setting throws before this server counts as a user
    const count = tuning.bufferCount ?? tiny?.bufferCount ?? 0; // 0: the addon's default (512, or 128 consumed incrementally)
    const size = tuning.bufferSize ?? tiny?.bufferSize ?? 8192;
    const driver = tuning.driver ?? 'io_uring';
    if (this.live && this.users === 0 && (count !== this.bufferCount || size !== this.bufferSize || driver !== this.driver)) this.stop();
    if (this.live && driver !== this.driver) {
      throw new Error(`Ringside: this thread's native loop runs on ${this.driver}; a server on ${driver} cannot share it (one driver per thread at a time)`);
    }
    this.users++;
    if (this.live) return;
    this.bufferCount = count;
    this.bufferSize = size;
    this.driver = driver;
    this.binding.init({
      entries: 4096,
      bufferCount: count,
      bufferSize: size,
      maxConnections: MAX_CONNECTIONS,
      events: this.events,
      eventData: this.eventData,
      fields: this.fields,
      out: this.out,
      outData: this.outData,
      queued: this.queued,
      onBatch: (count) => this.onBatch(count),
      driver,
      quietReleaseMs: quietRelease,
      ...(tiny && { batchEvents: tiny.batchEvents, batchData: tiny.batchData, batchFields: tiny.batchFields, incrementalBuffers: tiny.incrementalBuffers }),
    });
    this.live = true;
  }

  /** The last user gone: release the ring and its fds (deferred out of any batch). */
  release(): void {
    if (--this.users > 0) return;
    setImmediate(() => {
      if (this.users === 0 && this.live) this.stop();
    });
  }

  private stop(): void {
    this.binding.flush();
    this.binding.shutdown();
    this.live = false;
    this.out[OutHeaderWord.COUNT] = 0;
    this.out[OutHeaderWord.BYTES] = 0;
  }

  listen(client: LoopClient, options: Parameters<Binding['listen']>[0]): ReturnType<Binding['listen']> {
    let r: ReturnType<Binding['listen']>;
    try {
      r = this.binding.listen(options);
    } catch (e) {
      // Node-style: EADDRINUSE & co. as `code`, like net.Server's errors.
      const errno = (e as { errno?: number }).errno;
      if (errno) Object.assign(e as object, { code: errnoName(errno), syscall: 'listen', address: options.host, port: options.port });
      throw e;
    }
    this.listeners.set(r.id, client);
    return r;
  }

  closeListener(id: number): void {
    this.listeners.delete(id);
    this.binding.closeListener(id);
  }

  /**
   * One batch, atomic for bookkeeping: an exception from a client (user code)
   * never loses the rest of the batch; the first one is rethrown after it
   * (to the app's uncaughtException), later ones are reported as warnings.
   * Events act only on the connection with their full id: a stale one (a
   * closed connection whose slot was reused) is dropped.
   */
  private onBatch(count: number): void {
    const ev = this.events;
    let thrown: { error: unknown } | null = null;
    for (let i = 0; i < count; i++) {
      const at = recordAt(i);
      const type = recordType(ev, at);
      const id = recordConn(ev, at);
      const slot = slotOf(id);
      try {
        if (type === Ev.OPEN) {
          const client = this.listeners.get(OpenRecord.listener(ev, at));
          if (!client) continue;
          if (slot >= this.ownerIds.length) this.growOwners(slot);
          this.owners[slot] = client;
          this.ownerIds[slot] = id;
          client.onOpen(id, OpenRecord.address(ev, at, this.eventData), OpenRecord.port(ev, at), OpenRecord.family(ev, at));
          continue;
        }
        const owner = this.owners[slot];
        if (owner === undefined || this.ownerIds[slot] !== id) continue;
        if (type === Ev.CLOSE) {
          this.owners[slot] = undefined;
          this.ownerIds[slot] = -1;
        }
        owner.onEvent(type, id, at);
      } catch (error) {
        if (thrown) process.emitWarning(`ringside: an event handler threw: ${(error as Error)?.stack ?? String(error)}`);
        else thrown = { error };
      }
    }
    if (thrown) throw thrown.error;
  }

  /** Room in the per-slot tables for `slot`: doubled, so a loop opening n slots grows them log2(n) times. */
  private growOwners(slot: number): void {
    const size = Math.min(MAX_CONNECTIONS, Math.max(1024, 2 ** Math.ceil(Math.log2(slot + 1))));
    const ids = new Float64Array(size).fill(-1);
    ids.set(this.ownerIds);
    this.ownerIds = ids;
    while (this.owners.length < size) this.owners.push(undefined);
  }

  // ---- output area ----------------------------------------------------------

  private room(bytes: number): boolean {
    const out = this.out;
    if (out[OutHeaderWord.COUNT] === 0) {
      out[OutHeaderWord.BYTES] = 0;
      this.epoch++;
    }
    return out[OutHeaderWord.COUNT]! < OUT_RECORDS && out[OutHeaderWord.BYTES]! + bytes <= OUT_DATA_BYTES;
  }

  /** The one writer of output records (src/event_records.h read_out() is its reader). */
  private record(op: number, id: number, off: number, len: number): void {
    const out = this.out;
    const at = OUT_HEADER_WORDS + out[OutHeaderWord.COUNT]! * OUT_WORDS;
    out[at + OutWord.OP] = op;
    out[at + OutWord.CONN] = id;
    out[at + OutWord.OFF] = off;
    out[at + OutWord.LEN] = len;
    out[OutHeaderWord.COUNT] = out[OutHeaderWord.COUNT]! + 1;
  }

  /** Queue bytes for a connection, in order with everything queued before. Returns their length. */
  write(id: number, data: Uint8Array, wantDrain: boolean): number {
    const n = data.byteLength;
    this.writeSized(id, data, n, wantDrain);
    return n;
  }

  /** write() of `data` whose length `n` the caller knows (a typed array's byteLength can be a builtin call in optimised code). */
  writeSized(id: number, data: Uint8Array, n: number, wantDrain: boolean): void {
    if (n >= DIRECT_WRITE_BYTES) {
      this.binding.flush(); // keep order with what is already in the area
      this.binding.output(wantDrain ? Op.WRITE_WANT_DRAIN : Op.WRITE, id, data);
      return;
    }
    if (!this.room(n)) {
      this.binding.flush();
      this.room(n);
    }
    const off = this.out[OutHeaderWord.BYTES]!;
    this.outData.set(data, off);
    this.out[OutHeaderWord.BYTES] = off + n;
    this.record(wantDrain ? Op.WRITE_WANT_DRAIN : Op.WRITE, id, off, n);
  }

  /** Queue a string (latin1 when it is one-byte clean, else UTF-8). */
  writeString(id: number, s: string, wantDrain: boolean): number {
    const max = s.length * 3;
    if (max >= DIRECT_WRITE_BYTES) {
      const b = Buffer.from(s, 'utf8');
      this.write(id, b, wantDrain);
      return b.length;
    }
    if (!this.room(max)) {
      this.binding.flush();
      this.room(max);
    }
    const off = this.out[OutHeaderWord.BYTES]!;
    const n = this.outData.utf8Write(s, off);
    this.out[OutHeaderWord.BYTES] = off + n;
    this.record(wantDrain ? Op.WRITE_WANT_DRAIN : Op.WRITE, id, off, n);
    return n;
  }

  /**
   * One record whose span is `prefix` then `data` (a string as UTF-8): the
   * WebSocket ops. Returns the bytes of `data`.
   */
  span(op: number, id: number, data: string | Uint8Array, prefix?: Uint8Array): number {
    const head = prefix ? prefix.byteLength : 0;
    const max = head + (typeof data === 'string' ? data.length * 3 : data.byteLength);
    if (max >= DIRECT_WRITE_BYTES) {
      const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      this.binding.flush(); // keep order with what is already in the area
      this.binding.output(op, id, prefix ? Buffer.concat([prefix, body]) : body);
      return body.byteLength;
    }
    if (!this.room(max)) {
      this.binding.flush();
      this.room(max);
    }
    const start = this.out[OutHeaderWord.BYTES]!;
    if (prefix) this.outData.set(prefix, start);
    let n: number;
    if (typeof data === 'string') n = this.outData.utf8Write(data, start + head);
    else {
      this.outData.set(data, start + head);
      n = data.byteLength;
    }
    this.out[OutHeaderWord.BYTES] = start + head + n;
    this.record(op, id, start, head + n);
    return n;
  }

  op(id: number, op: number): void {
    if (!this.room(0)) {
      this.binding.flush();
      this.room(0);
    }
    this.record(op, id, 0, 0);
  }

  /** RESPONSE_DONE, folded into the connection's last WRITE record when it is the newest one. */
  responseDone(id: number): void {
    const out = this.out;
    const n = out[OutHeaderWord.COUNT]!;
    if (n > 0) {
      const at = OUT_HEADER_WORDS + (n - 1) * OUT_WORDS;
      const op = out[at + OutWord.OP];
      if (out[at + OutWord.CONN] === id && (op === Op.WRITE || op === Op.WRITE_WANT_DRAIN)) {
        out[at + OutWord.OP] = op | OP_FLAG_RESPONSE_DONE;
        return;
      }
    }
    this.op(id, Op.RESPONSE_DONE);
  }

  /** Whether the native side took the output area since a write at `epoch` (its bytes now count in queuedFor()). */
  taken(epoch: number): boolean {
    return this.epoch !== epoch || this.out[OutHeaderWord.COUNT] === 0;
  }

  /** Bytes queued natively for a connection (excluding what sits in the output area). */
  queuedFor(id: number): number {
    return this.queued[slotOf(id)]!;
  }
}

let current: NativeLoop | undefined;

/** This thread's loop (one ring per JS thread). */
export function threadLoop(binding: Binding): NativeLoop {
  current ??= new NativeLoop(binding);
  return current;
}
