// A subscription as an async iterator. It survives the daemon going away: it
// reconnects with capped backoff and resubscribes with `since` = the last seq it
// delivered, so nothing is lost or repeated; when the daemon no longer has those
// events (or restarted) the stream yields a `snapshot` with `resync: true`.

import { AtsyncError, ErrorCode } from "../shared/errors.js";
import type { AtsyncEvent, EventFilter } from "../shared/events.js";
import { EventsSubscribe, EventsUnsubscribe } from "../shared/methods.js";
import { EVENT_METHOD } from "../shared/protocol.js";
import type { EventNotificationParams, EventsSubscribeResult } from "../shared/types.js";
import type { Channel } from "./Channel.js";

/** Errors after which resubscribing cannot help. */
const FATAL = new Set<number>([
  ErrorCode.InvalidParams, ErrorCode.InvalidRegex, ErrorCode.InvalidAtSign, ErrorCode.MethodNotFound,
  ErrorCode.ProtocolVersionMismatch, ErrorCode.SocketPermissionDenied,
]);

export interface StreamHost {
  channel(signal: AbortSignal): Promise<Channel>;
  route(channel: Channel, subscriptionId: string, fn: ((e: AtsyncEvent) => void) | undefined): void;
}

export interface SubscribeOptions {
  signal?: AbortSignal;
  /** Resume after this seq of this epoch (from a previous stream's `lastSeq`/`epoch`). */
  since?: number;
  epoch?: string;
  /** Events held for a consumer that is not reading; past this the stream fails with SlowConsumer. Default 10,000. */
  maxBuffered?: number;
  /** Backoff bounds for reconnecting, in ms. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /**
   * The connection to the daemon was lost (the stream keeps trying), or is back: `resync` when
   * the daemon is another run (it restarted), so a fresh snapshot follows instead of the events missed.
   */
  onConnection?: (e: { kind: "lost" } | { kind: "restored"; resync: boolean }) => void;
}

export class EventStream implements AsyncIterableIterator<AtsyncEvent> {
  private readonly buffer: AtsyncEvent[] = [];
  private waiter: { resolve(r: IteratorResult<AtsyncEvent>): void; reject(e: unknown): void } | undefined;
  private failure: AtsyncError | undefined;
  private ended = false;
  private readonly stop = new AbortController();
  private current: { channel: Channel; id: string } | undefined;
  private seq: number | undefined;
  private epochId: string | undefined;
  /** Subscriptions made so far (1 + reconnects). */
  subscribeCount = 0;
  private markClosed!: () => void;
  /** The connection was lost and not yet restored. */
  private lost = false;
  /** Settles once the stream has ended, for whatever reason. */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(private readonly host: StreamHost, private readonly filter: EventFilter, private readonly opts: SubscribeOptions) {
    EventsSubscribe.validate({ ...filter, since: opts.since, epoch: opts.epoch }, "");
    this.seq = opts.since;
    this.epochId = opts.epoch;
    opts.signal?.addEventListener("abort", () => void this.return(), { once: true });
    void this.run().catch((e: unknown) => this.end(e instanceof AtsyncError ? e : new AtsyncError(ErrorCode.Internal, String(e))));
  }

  /** The seq of the last event delivered (pass it back as `since` to resume). */
  get lastSeq(): number | undefined {
    return this.seq;
  }

  get epoch(): string | undefined {
    return this.epochId;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<AtsyncEvent>> {
    const e = this.buffer.shift();
    if (e) return Promise.resolve({ value: e, done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Ends the stream and unsubscribes (also what `break` in a for-await does). */
  async return(): Promise<IteratorResult<AtsyncEvent>> {
    const cur = this.current;
    this.end(undefined);
    if (cur && !cur.channel.closed) {
      await cur.channel.call(EventsUnsubscribe.name, { subscriptionId: cur.id }).catch(() => undefined);
    }
    return { value: undefined, done: true };
  }

  close(): Promise<IteratorResult<AtsyncEvent>> {
    return this.return();
  }

  private async run(): Promise<void> {
    const min = this.opts.minRetryMs ?? 50;
    const max = this.opts.maxRetryMs ?? 2000;
    let delay = min;
    while (!this.ended) {
      let off: (() => void) | undefined;
      try {
        const channel = await this.host.channel(this.stop.signal);
        const closed = new Promise<void>((resolve) => (off = channel.onClose(() => resolve())));
        await this.subscribe(channel);
        delay = min;
        await Promise.race([closed, aborted(this.stop.signal)]);
      } catch (e) {
        const err = e instanceof AtsyncError ? e : new AtsyncError(ErrorCode.Internal, String(e));
        if (this.ended) return;
        if (FATAL.has(err.code)) throw err;
      } finally {
        off?.();
      }
      if (this.current) this.host.route(this.current.channel, this.current.id, undefined);
      this.current = undefined;
      if (this.ended) return;
      if (!this.lost) {
        this.lost = true;
        this.tell({ kind: "lost" });
      }
      await sleep(delay * (0.8 + Math.random() * 0.4), this.stop.signal);
      delay = Math.min(max, delay * 2);
    }
  }

  private async subscribe(channel: Channel): Promise<void> {
    const params = { ...this.filter, since: this.seq, epoch: this.epochId };
    this.subscribeCount++;
    // No signal: a stream ended while this is in flight still needs the reply, to
    // unsubscribe what the daemon has already subscribed (the handler answers at once).
    await channel.call(EventsSubscribe.name, params, {
      // Route before the next frame is read: the daemon sends the stream right after this reply.
      onResult: (r) => {
        const res = r as EventsSubscribeResult;
        if (this.ended) {
          void channel.call(EventsUnsubscribe.name, { subscriptionId: res.subscriptionId }).catch(() => undefined);
          return;
        }
        const resync = this.epochId !== undefined && res.epoch !== this.epochId;
        this.epochId = res.epoch;
        this.current = { channel, id: res.subscriptionId };
        this.host.route(channel, res.subscriptionId, (ev) => this.push(ev));
        if (this.lost) {
          this.lost = false;
          this.tell({ kind: "restored", resync });
        }
      },
    });
  }

  private tell(e: Parameters<NonNullable<SubscribeOptions["onConnection"]>>[0]): void {
    try {
      this.opts.onConnection?.(e);
    } catch {
      // A listener's failure is not the stream's.
    }
  }

  private push(e: AtsyncEvent): void {
    if (this.ended) return;
    // A snapshot resets the position; anything at or before it is already reflected.
    if (e.kind !== "snapshot" && this.seq !== undefined && e.seq <= this.seq) return;
    this.seq = e.seq;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: e, done: false });
    } else {
      this.buffer.push(e);
      if (this.buffer.length > (this.opts.maxBuffered ?? 10_000)) {
        // Like the daemon, never hold an unbounded backlog for a reader that is not reading.
        void this.return().catch(() => undefined);
        this.failure = new AtsyncError(ErrorCode.SlowConsumer,
          `more than ${this.opts.maxBuffered ?? 10_000} events were not read; the stream stopped (resume with since = lastSeq)`);
      }
    }
  }

  private end(err: AtsyncError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = err;
    this.stop.abort();
    this.markClosed();
    if (this.current) this.host.route(this.current.channel, this.current.id, undefined);
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (err && this.buffer.length === 0) w.reject(err);
      else w.resolve({ value: undefined, done: true });
    }
  }
}

/** Routes `events.event` notifications of one channel to their streams. */
export function eventRouter(routes: Map<string, (e: AtsyncEvent) => void>): (method: string, params: unknown) => void {
  return (method, params) => {
    if (method !== EVENT_METHOD || typeof params !== "object" || params === null) return;
    const p = params as Partial<EventNotificationParams>;
    if (typeof p.subscriptionId !== "string" || typeof p.event !== "object" || p.event === null) return;
    routes.get(p.subscriptionId)?.(p.event);
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
