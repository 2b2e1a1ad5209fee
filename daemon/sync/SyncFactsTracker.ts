// What one atSign's sync driver knows, as plain facts (house-style §10): its loop's state, the
// phase a run is in and its progress, the outbox and conflict counts, the commit ids, and the
// upload and download errors kept apart, each cleared by the next success of its own direction.
// The SyncStatus people and apps see is derived from these and the connections' health
// (daemon/status/deriveStatus.ts); nothing here is derived.
import type { SyncProgress } from "../../shared/status.js";
import type { SyncLoopState } from "../core/syncLoopState.js";
import type { KeyFilter } from "../core/filter.js";
import { countPending } from "../core/syncState.js";
import type { Store } from "../ports.js";
import type { SyncCounts, SyncErrorInfo } from "./events.js";
import type { SyncProgressTracker } from "./SyncProgressTracker.js";

export interface SyncFacts {
  atSign: string;
  /** The sync loop's state, and since when. */
  loop: SyncLoopState;
  loopSince: number;
  /** A run is under way, or one was asked for and has not started. */
  busy: boolean;
  uploading: boolean;
  downloading: boolean;
  /** The sync's progress while a phase moves; null otherwise. */
  progress: SyncProgress | null;
  /** When the sync under way (or the last one) began. */
  progressSince: number | null;
  /** Keys with changes the server has not acknowledged (within the selective-sync filter). */
  pendingUploads: number;
  /** Keys with local changes outside the selective-sync filter: kept on this device, never pushed. */
  pendingOutsideFilter: number;
  /** Outbox rows the server refused for good. */
  rejectedUploads: number;
  /** Conflicts not yet marked resolved. */
  conflicts: number;
  lastSyncedAt: number | null;
  /** When the last successful run began: its `stats:3` came after this. */
  lastSyncStartedAt: number | null;
  /** The highest server commit id received; -1 before the first. */
  lastReceivedCommitId: number;
  /** The server's commit id at the last `stats:3`. */
  serverCommitId: number | null;
  /** A repair (a full re-pull after the server lost data) has begun and not finished: not in sync. */
  repairInProgress: boolean;
  lastError: SyncErrorInfo | null;
  uploadError: SyncErrorInfo | null;
  downloadError: SyncErrorInfo | null;
}

export class SyncFactsTracker {
  private phase: "download" | "upload" | "idle" = "idle";
  private lastError: SyncErrorInfo | null = null;
  private uploadError: SyncErrorInfo | null = null;
  private downloadError: SyncErrorInfo | null = null;
  private lastSyncStartedAt: number | null = null;

  constructor(
    private readonly atSign: string,
    private readonly store: Store,
    private readonly filter: KeyFilter,
    readonly progress: SyncProgressTracker,
  ) {}

  /** The phase a run is in: on failure it tells which direction failed. */
  setPhase(p: "download" | "upload" | "idle"): void {
    this.phase = p;
    if (p === "idle") this.progress.idle();
  }

  succeeded(counts: SyncCounts, startedAt: number): void {
    this.lastError = null;
    this.downloadError = null;
    this.lastSyncStartedAt = startedAt;
    if (counts.retrying === 0 && counts.rejected === 0) this.uploadError = null;
  }

  failed(info: SyncErrorInfo): void {
    this.lastError = info;
    // The phase the run was in when it failed is the direction that failed.
    if (this.phase === "upload") this.uploadError = info;
    else this.downloadError = info;
  }

  facts(loop: SyncLoopState, loopSince: number, busy: boolean): SyncFacts {
    const s = this.store.syncState();
    const pending = countPending(this.store.pendingKeys(), this.filter);
    const direction = this.progress.direction;
    return {
      atSign: this.atSign,
      loop,
      loopSince,
      busy,
      uploading: direction === "upload",
      downloading: direction === "download",
      progress: this.progress.snapshot(pending.inside),
      progressSince: this.progress.startedAt,
      pendingUploads: pending.inside,
      pendingOutsideFilter: pending.outside,
      rejectedUploads: this.store.rejectedCount(),
      conflicts: this.store.conflictCount(),
      lastSyncedAt: s.lastSyncedAtMs,
      lastSyncStartedAt: this.lastSyncStartedAt,
      lastReceivedCommitId: s.lastReceivedCommitId,
      serverCommitId: s.serverCommitId,
      repairInProgress: s.repairInProgress,
      lastError: this.lastError,
      uploadError: this.uploadError,
      downloadError: this.downloadError,
    };
  }
}
