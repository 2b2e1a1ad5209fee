// Turns the driver's status and state changes into the shared SyncStatus snapshot
// (shared/status.ts) and pushes it to main only when it changed (house-style §10).
// Bursts of triggers (a thousand puts) coalesce into one computation per turn of the loop;
// what moves continuously (a pull's progress) publishes at most once per `minIntervalMs`.
import type { ErrorInfo, KeyStoreKind, SyncState, SyncStatus } from "../../shared/status.js";
import { statusEquals } from "../../shared/status.js";
import { ErrorCode } from "../../shared/errors.js";
import type { ConnectionState } from "../core/connectionState.js";
import type { Clock, Disposable } from "../ports.js";
import type { SyncDriverStatus } from "../sync/SyncDriver.js";
import type { SyncErrorInfo } from "../sync/events.js";
import { redactText } from "../log/redact.js";
import { syncErrorCode, toErrorInfo } from "./toWireError.js";

export interface StatusPublisherOptions {
  clock: Clock;
  keyStore: KeyStoreKind;
  read(): SyncDriverStatus;
  /**
   * The changes the server refused for good that are still in effect, oldest first
   * (core/syncState.ts rejectedInEffect over Store.rejectedRows); absent: none are reported.
   */
  rejected?(): readonly RejectedChange[];
  publish(status: SyncStatus): void;
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
  private conn: ConnectionState = { kind: "offline" };
  private since: number;
  private attempt = 0;
  private last: SyncStatus | undefined;
  /** A flush is queued for the next turn. */
  private immediate = false;
  private closed = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private timer: Disposable | undefined;
  private readonly errorTimes = new WeakMap<SyncErrorInfo, number>();
  /** When the latest rejection was first seen, so its ErrorInfo keeps one time across computations. */
  private rejectionSeen: { id: number; at: number } | undefined;

  constructor(private readonly o: StatusPublisherOptions) {
    this.since = o.clock.now();
  }

  /** Records a state change of the driver (its `state.changed` event). */
  stateChanged(state: ConnectionState): void {
    this.conn = state;
    this.since = this.o.clock.now();
    if (state.kind === "connecting") this.attempt = state.attempt;
    this.schedule();
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
    this.lastFlushAt = this.o.clock.now();
    const s = this.compute();
    if (this.last === undefined || !statusEquals(this.last, s)) {
      this.last = s;
      this.o.publish(s);
    }
    return s;
  }

  current(): SyncStatus {
    return this.last ?? this.flush();
  }

  close(): void {
    this.closed = true;
    this.timer?.dispose();
    this.timer = undefined;
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

  private state(d: SyncDriverStatus): SyncState {
    const c = this.conn;
    switch (c.kind) {
      case "offline":
        return { kind: "offline", since: this.since };
      case "connecting":
        // A first run is "connecting" until it succeeds; once the server answered and data
        // moves, it is syncing (an initial sync of 10,000 keys shows its progress too).
        if (d.progress !== null && d.connected) return this.syncing(d);
        return { kind: "connecting", since: this.since, attempt: c.attempt };
      case "online":
        if (d.uploading || d.downloading) return this.syncing(d);
        return { kind: "online", since: this.since };
      case "backoff": {
        const lastError = this.info(d.lastError) ?? { code: ErrorCode.SyncFailed, message: c.lastError, at: this.since };
        return { kind: "backoff", untilMs: c.untilMs, attempt: this.attempt, lastError };
      }
      case "needs-attention":
        return { kind: "needs-attention", since: this.since, reason: c.reason, code: syncErrorCode(c.code) };
    }
  }

  private syncing(d: SyncDriverStatus): SyncState {
    const direction = d.uploading ? "upload" : "download";
    const p = d.progress !== null && d.progress.direction === direction ? d.progress : { done: 0, total: null };
    return { kind: "syncing", since: this.since, progress: { direction, done: p.done, total: p.total } };
  }

  /** The latest rejection still in effect, as the upload error it is (code and key named). */
  private rejection(rejected: readonly RejectedChange[]): ErrorInfo | null {
    const latest = rejected[rejected.length - 1];
    if (latest === undefined) {
      this.rejectionSeen = undefined;
      return null;
    }
    if (this.rejectionSeen?.id !== latest.id) this.rejectionSeen = { id: latest.id, at: this.o.clock.now() };
    const others = rejected.length > 1 ? ` (and ${rejected.length - 1} more)` : "";
    const message = `${latest.atKey} was rejected by the atServer for good: ${latest.lastError ?? "no reason given"}${others}; write the key again to retry`;
    return { code: ErrorCode.SyncFailed, message: redactText(message).slice(0, 500), at: this.rejectionSeen.at };
  }

  private compute(): SyncStatus {
    const d = this.o.read();
    const rejected = this.o.rejected?.() ?? [];
    return {
      atSign: d.atSign,
      state: this.state(d),
      connected: d.connected,
      uploading: d.uploading,
      downloading: d.downloading,
      pendingUploads: d.pendingUploads,
      pendingOutsideFilter: d.pendingOutsideFilter,
      rejectedUploads: rejected.length,
      conflicts: d.conflicts,
      lastSyncedAt: d.lastSyncedAtMs,
      localCommitId: d.localCommitId,
      serverCommitId: d.serverCommitId,
      lastUploadError: this.info(d.uploadError) ?? this.rejection(rejected),
      lastDownloadError: this.info(d.downloadError),
      keyStore: this.o.keyStore,
    };
  }
}
