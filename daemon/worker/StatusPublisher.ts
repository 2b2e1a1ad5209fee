// Computes the worker's SyncStatus (daemon/status/deriveStatus.ts) from the driver's facts and
// the connections' health, and pushes it to main only when it changed (house-style §10). Bursts
// of triggers (a thousand puts) coalesce into one computation per turn of the loop; what moves
// continuously (a pull's progress) publishes at most once per `minIntervalMs`. A change of the
// derived state's kind is also a `state.changed` event (from, to, how long `from` lasted), so
// "offline" is announced when the heartbeat fails, not when the next sync does.
import type { ErrorInfo, KeyStoreKind, RejectedUpload, SyncStateKind, SyncStatus } from "../../shared/status.js";
import { statusEquals } from "../../shared/status.js";
import type { Clock, Disposable, Logger } from "../ports.js";
import { alwaysReachable, type HealthFacts } from "../status/ConnectionHealth.js";
import { deriveStatus } from "../status/deriveStatus.js";
import type { SyncFacts } from "../sync/SyncDriver.js";
import type { SyncErrorInfo } from "../sync/events.js";
import { refusal } from "./refusal.js";
import { toErrorInfo } from "./toWireError.js";

export interface StateChange {
  from: SyncStateKind;
  to: SyncStateKind;
  durationMs: number;
}

export interface StatusPublisherOptions {
  clock: Clock;
  keyStore: KeyStoreKind;
  read(): SyncFacts;
  /** The connections' health; absent: always reachable (tests without a monitor). */
  health?(): HealthFacts;
  /**
   * The changes the server refused for good that are still in effect, oldest first
   * (core/syncState.ts rejectedInEffect over Store.rejectedRows); absent: none are reported.
   */
  rejected?(): readonly RejectedChange[];
  publish(status: SyncStatus): void;
  /** The derived state's kind changed. */
  stateChanged?(change: StateChange): void;
  logger?: Logger;
  /** A recomputation that failed outside any caller (the store went away mid-shutdown). */
  onError?(err: unknown): void;
  /** The shortest time between two throttled recomputations (default 100 ms). */
  minIntervalMs?: number;
}

/** A change the server refused for good: its outbox id, key and `AT code: message`. */
export interface RejectedChange {
  id: number;
  atKey: string;
  lastError: string | null;
}

export class StatusPublisher {
  private last: SyncStatus | undefined;
  private kindSince: number;
  /** A flush is queued for the next turn. */
  private immediate = false;
  private closed = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private timer: Disposable | undefined;
  private readonly errorTimes = new WeakMap<SyncErrorInfo, number>();
  /** When the latest rejection was first seen, so it keeps one time across computations. */
  private rejectionSeen: { id: number; at: number } | undefined;
  private readonly watchers = new Set<(s: SyncStatus) => void>();

  constructor(private readonly o: StatusPublisherOptions) {
    this.kindSince = o.clock.now();
  }

  /** Asks for a recomputation on the next turn; many calls within one turn cost one. */
  schedule(): void {
    if (this.closed || this.immediate) return;
    // A fact changed (a state, a conflict, a local write): it goes out now, with any progress.
    this.timer?.dispose();
    this.timer = undefined;
    this.immediate = true;
    setImmediate(() => this.scheduledFlush());
  }

  /**
   * Asks for a recomputation for what moves continuously (progress, a pull's keys): at most one
   * per `minIntervalMs`, so a pull publishes a few times a second, not once per page.
   */
  scheduleThrottled(): void {
    if (this.closed || this.immediate || this.timer !== undefined) return;
    const wait = this.lastFlushAt + (this.o.minIntervalMs ?? 100) - this.o.clock.now();
    if (wait <= 0) {
      this.schedule();
      return;
    }
    this.timer = this.o.clock.setTimer(wait, () => this.scheduledFlush());
  }

  private scheduledFlush(): void {
    this.timer?.dispose();
    this.timer = undefined;
    this.immediate = false;
    if (this.closed) return;
    try {
      this.flush();
    } catch (err) {
      // Nothing may escape a timer callback (house-style §12); the next change retries.
      this.o.onError?.(err);
    }
  }

  /** Computes now and publishes when changed; returns the current snapshot. */
  flush(): SyncStatus {
    const now = this.o.clock.now();
    this.lastFlushAt = now;
    const s = this.compute();
    const prev = this.last;
    if (prev === undefined || !statusEquals(prev, s)) {
      this.last = s;
      if (prev !== undefined && prev.state.kind !== s.state.kind) this.kindChanged(prev.state.kind, s.state.kind, now);
      this.o.publish(s);
      for (const w of [...this.watchers]) w(s);
    }
    return s;
  }

  /** Calls `fn` with each status published from now on (a changed one), until disposed. */
  onChange(fn: (s: SyncStatus) => void): Disposable {
    this.watchers.add(fn);
    return { dispose: () => this.watchers.delete(fn) };
  }

  current(): SyncStatus {
    return this.last ?? this.flush();
  }

  close(): void {
    this.closed = true;
    this.watchers.clear();
    this.timer?.dispose();
    this.timer = undefined;
  }

  private kindChanged(from: SyncStateKind, to: SyncStateKind, now: number): void {
    const change = { from, to, durationMs: Math.max(0, now - this.kindSince) };
    this.kindSince = now;
    // A sync starting and ending is not news for the log; being reachable or not is.
    const routine = (from === "online" && to === "syncing") || (from === "syncing" && to === "online");
    if (routine) this.o.logger?.debug("status changed", change);
    else this.o.logger?.info("status changed", change);
    this.o.stateChanged?.(change);
  }

  private info(e: SyncErrorInfo | null): ErrorInfo | null {
    if (e === null) return null;
    let at = this.errorTimes.get(e);
    if (at === undefined) {
      at = this.o.clock.now();
      this.errorTimes.set(e, at);
    }
    return toErrorInfo(e, at);
  }

  /** The latest rejection still in effect: its key, the atServer's code and reason. */
  private latestRejection(rejected: readonly RejectedChange[]): RejectedUpload | null {
    const latest = rejected[rejected.length - 1];
    if (latest === undefined) {
      this.rejectionSeen = undefined;
      return null;
    }
    if (this.rejectionSeen?.id !== latest.id) this.rejectionSeen = { id: latest.id, at: this.o.clock.now() };
    return { key: latest.atKey, ...refusal(latest.lastError), at: this.rejectionSeen.at };
  }

  private compute(): SyncStatus {
    const facts = this.o.read();
    const rejected = this.o.rejected?.() ?? [];
    return deriveStatus({
      facts,
      health: this.o.health?.() ?? alwaysReachable(),
      errors: { last: this.info(facts.lastError), upload: this.info(facts.uploadError), download: this.info(facts.downloadError) },
      rejected: { count: rejected.length, latest: this.latestRejection(rejected) },
      keyStore: this.o.keyStore,
    });
  }
}
