// The status snapshot of one atSign's sync: independent facts, upload and download errors kept
// apart and cleared by the next success of their own direction (house-style §10).
import type { ConnectionState, ConnectionStateKind } from "../core/connectionState.js";
import type { KeyFilter } from "../core/filter.js";
import { countPending } from "../core/syncState.js";
import type { Store } from "../ports.js";
import type { SyncCounts, SyncErrorInfo, SyncProgressInfo } from "./events.js";

export interface SyncDriverStatus {
  atSign: string;
  state: ConnectionStateKind;
  connected: boolean;
  uploading: boolean;
  downloading: boolean;
  /** Keys with changes the server has not acknowledged (within the selective-sync filter). */
  pendingUploads: number;
  /** Keys with local changes outside the selective-sync filter: kept on this device, never pushed. */
  pendingOutsideFilter: number;
  /** Changes the server refused for good. */
  rejectedUploads: number;
  /** Conflicts not yet marked resolved. */
  conflicts: number;
  lastSyncedAtMs: number | null;
  /** Last server commit id received. */
  localCommitId: number;
  /** The server's commit id at the last check. */
  serverCommitId: number | null;
  lastError: SyncErrorInfo | null;
  uploadError: SyncErrorInfo | null;
  downloadError: SyncErrorInfo | null;
  /** When in backoff: the time of the next attempt. */
  retryAtMs: number | null;
  /** The running phase's progress; null when idle. */
  progress: SyncProgressInfo | null;
}

export class SyncStatusTracker {
  private phase: "download" | "upload" | "idle" = "idle";
  private lastError: SyncErrorInfo | null = null;
  private uploadError: SyncErrorInfo | null = null;
  private downloadError: SyncErrorInfo | null = null;

  constructor(
    private readonly atSign: string,
    private readonly store: Store,
    private readonly filter: KeyFilter,
  ) {}

  private progress: SyncProgressInfo | null = null;

  setPhase(p: "download" | "upload" | "idle"): void {
    this.phase = p;
    if (p === "idle") this.progress = null;
  }

  /** Starts counting a phase: `total` is what it expects to move (null when unknown). */
  beginProgress(direction: "upload" | "download", total: number | null): SyncProgressInfo {
    this.progress = { direction, done: 0, total };
    return this.progress;
  }

  /** Counts `n` more moved; returns the new figures (a fresh object: snapshots are immutable). */
  addProgress(n: number): SyncProgressInfo | null {
    const p = this.progress;
    if (p === null) return null;
    this.progress = { ...p, done: p.done + n };
    return this.progress;
  }

  succeeded(counts: SyncCounts): void {
    this.lastError = null;
    this.downloadError = null;
    if (counts.retrying === 0 && counts.rejected === 0) this.uploadError = null;
  }

  failed(info: SyncErrorInfo): void {
    this.lastError = info;
    // The phase the run was in when it failed is the direction that failed.
    if (this.phase === "upload") this.uploadError = info;
    else this.downloadError = info;
  }

  snapshot(state: ConnectionState, connected: boolean): SyncDriverStatus {
    const s = this.store.syncState();
    const pending = countPending(this.store.pendingKeys(), this.filter);
    return {
      atSign: this.atSign,
      state: state.kind,
      connected,
      uploading: this.phase === "upload",
      downloading: this.phase === "download",
      pendingUploads: pending.inside,
      pendingOutsideFilter: pending.outside,
      rejectedUploads: this.store.rejectedCount(),
      conflicts: this.store.conflictCount(),
      lastSyncedAtMs: s.lastSyncedAtMs,
      localCommitId: s.lastReceivedCommitId,
      serverCommitId: s.serverCommitId,
      lastError: this.lastError,
      uploadError: this.uploadError,
      downloadError: this.downloadError,
      retryAtMs: state.kind === "backoff" ? state.untilMs : null,
      progress: this.phase === "idle" ? null : this.progress,
    };
  }
}
