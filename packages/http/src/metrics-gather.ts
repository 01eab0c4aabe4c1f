/**
 * A scrape sees every event loop of the process: the loop that accepted the
 * scrape's connection asks the others over a BroadcastChannel (one per metrics
 * path; the pool's loops are threads of one process) and answers with its own
 * snapshot and theirs. A loop that does not answer within GATHER_TIMEOUT_MS
 * (dead, restarting, or blocked) drops out of that scrape. Nothing crosses
 * threads between scrapes, and a single loop never opens a channel.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { workerCount, workerIndex } from '@ringside/core';

/** How long a scrape waits for the other loops; Prometheus' default scrape timeout is 10 s. */
const GATHER_TIMEOUT_MS = 500;

interface Ask {
  ask: number;
  from: number;
}

interface Answer<T> {
  answer: number;
  to: number;
  snapshot: T;
}

interface Pending<T> {
  got: T[];
  wanted: number;
  finish(): void;
}

export class LoopGather<T> {
  readonly #name: string;
  readonly #snapshot: () => T;
  #channel: BroadcastChannel | null = null;
  readonly #pending = new Map<number, Pending<T>>();
  #nextAsk = 0;

  constructor(name: string, snapshot: () => T) {
    this.#name = name;
    this.#snapshot = snapshot;
  }

  /** Once this loop listens: join the other loops' channel, when there are others. */
  open(): void {
    if (this.#channel !== null || workerCount() < 2) return;
    const channel = new BroadcastChannel(this.#name);
    // Never what keeps a thread alive.
    channel.unref();
    channel.onmessage = (event) => this.#receive((event as MessageEvent).data);
    this.#channel = channel;
  }

  close(): void {
    this.#channel?.close();
    this.#channel = null;
    for (const p of this.#pending.values()) p.finish();
  }

  /** This loop's snapshot, then the others' that answered in time. */
  gather(): T[] | Promise<T[]> {
    const own = this.#snapshot();
    const channel = this.#channel;
    if (channel === null) return [own];
    const ask = this.#nextAsk++;
    return new Promise<T[]>((resolve) => {
      const got: T[] = [own];
      const timer = setTimeout(() => pending.finish(), GATHER_TIMEOUT_MS);
      const pending: Pending<T> = {
        got,
        wanted: workerCount(),
        finish: () => {
          clearTimeout(timer);
          this.#pending.delete(ask);
          resolve(got);
        },
      };
      this.#pending.set(ask, pending);
      channel.postMessage({ ask, from: workerIndex() } satisfies Ask);
    });
  }

  #receive(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const m = data as Partial<Ask & Answer<T>>;
    if (typeof m.ask === 'number' && typeof m.from === 'number') {
      this.#channel?.postMessage({ answer: m.ask, to: m.from, snapshot: this.#snapshot() } satisfies Answer<T>);
      return;
    }
    if (typeof m.answer !== 'number' || m.to !== workerIndex()) return;
    const pending = this.#pending.get(m.answer);
    if (pending === undefined) return;
    pending.got.push(m.snapshot as T);
    if (pending.got.length >= pending.wanted) pending.finish();
  }
}
