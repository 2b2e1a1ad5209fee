// Fans events out to subscribers (house-style §16). Publishers call `publish()`: the
// hub assigns `seq`, keeps the last `capacity` events in a ring buffer, and hands each
// event to the matching subscriptions. It never waits for a subscriber: one whose
// socket buffer passes `maxBufferedBytes` is disconnected (it can resubscribe with
// `since`, and gets a resync snapshot if it fell out of the buffer).

import { randomUUID } from "node:crypto";
import type { Clock, Logger } from "../ports.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { compileFilter, type AtsyncEvent, type EventFilter, type EventInput, type SnapshotEvent } from "../../shared/events.js";
import { asEventEpoch, asEventSeq, asSubscriptionId, type EventEpoch, type EventSeq, type SubscriptionId } from "../../shared/ids.js";
import type { SyncStatus } from "../../shared/status.js";
import { nullLogger } from "../adapters/nullLogger.js";

export interface EventSink {
  /** Queues the event for the subscriber; must not block. */
  send(event: AtsyncEvent): void;
  /** How much the subscriber has not yet taken. */
  readonly bufferedBytes: number;
  disconnect(reason: AtsyncError): void;
}

export interface EventHubOptions {
  /** The statuses a snapshot carries (the daemon's latest per atSign). */
  snapshot: () => SyncStatus[];
  /** Events kept for `since`. Default 4096. */
  capacity?: number;
  /** A subscriber further behind than this is disconnected. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Stamps each event and snapshot with `at`. */
  clock: Clock;
  epoch?: string;
  logger?: Logger;
}

export interface SubscribeRequest {
  filter: EventFilter;
  since?: number;
  epoch?: string;
}

export class EventHub {
  readonly epoch: EventEpoch;
  private readonly ring: (AtsyncEvent | undefined)[];
  private head = 0;
  private readonly subs = new Map<SubscriptionId, HubSubscription>();
  private nextSub = 1;
  readonly maxBufferedBytes: number;
  readonly log: Logger;

  constructor(private readonly opts: EventHubOptions) {
    this.ring = new Array<AtsyncEvent | undefined>(opts.capacity ?? 4096);
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.epoch = asEventEpoch(opts.epoch ?? randomUUID());
    this.log = (opts.logger ?? nullLogger).child({ component: "events" });
  }

  get headSeq(): EventSeq {
    return asEventSeq(this.head);
  }

  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Assigns the next seq, buffers the event and delivers it. Never throws for a subscriber's sake. */
  publish(input: EventInput): AtsyncEvent {
    const event = { ...input, at: input.at ?? this.opts.clock.now(), seq: asEventSeq(++this.head) } as AtsyncEvent;
    this.ring[this.head % this.ring.length] = event;
    for (const sub of this.subs.values()) sub.offer(event);
    return event;
  }

  /**
   * Registers a subscription whose stream starts on `start()`: a snapshot (no `since`),
   * the buffered events after `since`, or a resync snapshot when `since` is not
   * servable. Events published before `start()` are queued, so none is lost or reordered.
   */
  subscribe(req: SubscribeRequest, sink: EventSink): HubSubscription {
    const id = asSubscriptionId(`s${this.nextSub++}`);
    const matches = compileFilter(req.filter);
    const opening = this.opening(req, matches);
    const sub = new HubSubscription(id, this, sink, matches, opening, this.head);
    this.subs.set(id, sub);
    return sub;
  }

  /** @internal */
  remove(sub: HubSubscription): void {
    this.subs.delete(sub.id);
  }

  /** Drops every subscription (daemon shutdown). */
  close(): void {
    for (const sub of [...this.subs.values()]) sub.dispose();
  }

  private opening(req: SubscribeRequest, matches: (e: AtsyncEvent) => boolean): AtsyncEvent[] {
    if (req.since !== undefined && this.servable(req.since, req.epoch)) {
      const out: AtsyncEvent[] = [];
      for (let s = req.since + 1; s <= this.head; s++) {
        const e = this.ring[s % this.ring.length];
        if (e && matches(e)) out.push(e);
      }
      return out;
    }
    return [this.snapshot(req.since !== undefined, req.filter)];
  }

  private servable(since: number, epoch: string | undefined): boolean {
    if (epoch !== undefined && epoch !== this.epoch) return false;
    const oldest = Math.max(1, this.head - this.ring.length + 1);
    return since <= this.head && since >= oldest - 1;
  }

  private snapshot(resync: boolean, filter: EventFilter): SnapshotEvent {
    const wanted = filter.atSigns ? new Set(filter.atSigns.map((a) => a.toLowerCase())) : undefined;
    const statuses = this.opts.snapshot().filter((s) => !wanted || wanted.has(s.atSign.toLowerCase()));
    return { kind: "snapshot", seq: asEventSeq(this.head), at: this.opts.clock.now(), resync, statuses };
  }
}

export class HubSubscription {
  private queue: AtsyncEvent[] | undefined;
  private disposed = false;

  constructor(
    readonly id: SubscriptionId,
    private readonly hub: EventHub,
    private readonly sink: EventSink,
    private readonly matches: (e: AtsyncEvent) => boolean,
    opening: AtsyncEvent[],
    /** The head seq when it was created: the stream continues after it. */
    readonly openingSeq: number,
  ) {
    this.queue = opening;
  }

  get active(): boolean {
    return !this.disposed;
  }

  /** Sends the opening and whatever arrived since, then goes live. */
  start(): void {
    const queued = this.queue;
    if (this.disposed || queued === undefined) return;
    this.queue = undefined;
    for (const e of queued) if (!this.deliver(e)) return;
  }

  /** @internal: the hub offers every published event. */
  offer(event: AtsyncEvent): void {
    if (this.disposed) return;
    let ok: boolean;
    try {
      ok = this.matches(event);
    } catch {
      ok = false;
    }
    if (!ok) return;
    if (this.queue !== undefined) {
      this.queue.push(event);
      // Not yet started yet already this far behind: treat it as a slow consumer.
      if (this.queue.length > 2 * 4096) this.overflow();
      return;
    }
    this.deliver(event);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.queue = undefined;
    this.hub.remove(this);
  }

  private deliver(event: AtsyncEvent): boolean {
    try {
      this.sink.send(event);
    } catch (e) {
      this.hub.log.error("event delivery failed", { subscription: this.id, error: e instanceof Error ? e.message : String(e) });
      this.dispose();
      return false;
    }
    if (this.sink.bufferedBytes > this.hub.maxBufferedBytes) {
      this.overflow();
      return false;
    }
    return true;
  }

  private overflow(): void {
    const buffered = this.sink.bufferedBytes;
    this.dispose();
    this.hub.log.warn("disconnecting a subscriber that cannot keep up", { subscription: this.id, bufferedBytes: buffered });
    this.sink.disconnect(new AtsyncError(ErrorCode.SlowConsumer, "subscriber too slow: disconnected; resubscribe with since"));
  }
}
