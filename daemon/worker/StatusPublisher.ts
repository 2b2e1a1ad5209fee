// Turns the driver's status and state changes into the shared SyncStatus snapshot
// (shared/status.ts) and pushes it to main only when it changed (house-style §10).
// Bursts of triggers (a thousand puts) coalesce into one computation per turn of the loop.
import type { ErrorInfo, KeyStoreKind, SyncState, SyncStatus } from "../../shared/status.js";
import { statusEquals } from "../../shared/status.js";
import { ErrorCode } from "../../shared/errors.js";
import type { ConnectionState } from "../core/connectionState.js";
import type { Clock } from "../ports.js";
import type { SyncDriverStatus } from "../sync/SyncDriver.js";
import type { SyncErrorInfo } from "../sync/events.js";
import { syncErrorCode, toErrorInfo } from "./toWireError.js";

export interface StatusPublisherOptions {
  clock: Clock;
  keyStore: KeyStoreKind;
  read(): SyncDriverStatus;
  publish(status: SyncStatus): void;
  /** A recomputation that failed outside any caller (the store went away mid-shutdown). */
  onError?(err: unknown): void;
}

export class StatusPublisher {
  private conn: ConnectionState = { kind: "offline" };
  private since: number;
  private attempt = 0;
  private last: SyncStatus | undefined;
  private scheduled = false;
  private closed = false;
  private readonly errorTimes = new WeakMap<SyncErrorInfo, number>();

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

  /** Asks for a recomputation soon; many calls within one turn cost one. */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed) return;
      try {
        this.flush();
      } catch (err) {
        // Nothing may escape a timer callback (house-style §12); the next change retries.
        this.o.onError?.(err);
      }
    });
  }

  /** Computes now and publishes when changed; returns the current snapshot. */
  flush(): SyncStatus {
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
        return { kind: "connecting", since: this.since, attempt: c.attempt };
      case "online":
        if (d.uploading || d.downloading) {
          return { kind: "syncing", since: this.since, progress: { direction: d.uploading ? "upload" : "download", done: 0, total: null } };
        }
        return { kind: "online", since: this.since };
      case "backoff": {
        const lastError = this.info(d.lastError) ?? { code: ErrorCode.SyncFailed, message: c.lastError, at: this.since };
        return { kind: "backoff", untilMs: c.untilMs, attempt: this.attempt, lastError };
      }
      case "needs-attention":
        return { kind: "needs-attention", since: this.since, reason: c.reason, code: syncErrorCode(c.code) };
    }
  }

  private compute(): SyncStatus {
    const d = this.o.read();
    return {
      atSign: d.atSign,
      state: this.state(d),
      connected: d.connected,
      uploading: d.uploading,
      downloading: d.downloading,
      pendingUploads: d.pendingUploads,
      conflicts: d.conflicts,
      lastSyncedAt: d.lastSyncedAtMs,
      localCommitId: d.localCommitId,
      serverCommitId: d.serverCommitId,
      lastUploadError: this.info(d.uploadError),
      lastDownloadError: this.info(d.downloadError),
      keyStore: this.o.keyStore,
    };
  }
}
