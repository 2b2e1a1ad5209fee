// The one SyncStatus (shared/status.ts), derived from facts when it is computed, never
// remembered (house-style §9-10): the sync driver's facts (its loop, outbox, commit ids,
// progress, errors) and the connections' health (monitor heartbeat, command connection). Pure:
// the same inputs give the same status, so the worker, tests and the README's examples agree.
import { ErrorCode } from "../../shared/errors.js";
import type { ErrorInfo, KeyStoreKind, RejectedUpload, SyncState, SyncStatus } from "../../shared/status.js";
import { redactText } from "../log/redact.js";
import type { SyncFacts } from "../sync/SyncFactsTracker.js";
import { syncErrorCode } from "../worker/toWireError.js";
import type { HealthFacts } from "./ConnectionHealth.js";

export interface StatusInputs {
  facts: SyncFacts;
  health: HealthFacts;
  /** The driver's errors as they are shown (each with the time it was first seen). */
  errors: { last: ErrorInfo | null; upload: ErrorInfo | null; download: ErrorInfo | null };
  /** Changes the atServer refused for good that are still in effect. */
  rejected: { count: number; latest: RejectedUpload | null };
  keyStore: KeyStoreKind;
}

/** Connected: the monitor is up (its heartbeat answered in time) and the command connection's last request got a reply. */
export function isConnected(h: HealthFacts): boolean {
  return h.monitor.state === "online" && h.commandFailure === null;
}

function unreachable(h: HealthFacts): SyncState {
  const monitorUp = h.monitor.state === "online";
  if (h.firstOnlineAt === null && h.commandFailure === null) {
    return { kind: "connecting", since: h.monitor.since, attempt: Math.max(1, h.monitor.attempt) };
  }
  const reason = monitorUp || h.monitor.reason === null ? `command connection failed: ${h.commandFailure?.message ?? "no reply"}` : h.monitor.reason;
  return {
    kind: "offline",
    // Not connected since whichever connection failed first (connected needs both).
    since: monitorUp ? (h.commandFailure?.at ?? h.monitor.since) : Math.min(h.monitor.since, h.commandFailure?.at ?? Infinity),
    reason: redactText(reason).slice(0, 300),
    nextAttemptAt: h.monitor.state === "offline" ? h.monitor.nextAttemptAt : null,
  };
}

function stateOf(i: StatusInputs): SyncState {
  const { facts: f, health: h } = i;
  const loop = f.loop;
  if (loop.kind === "needs-attention") return { kind: "needs-attention", since: f.loopSince, reason: loop.reason, code: syncErrorCode(loop.code) };
  if (loop.kind === "backoff") {
    const lastError = i.errors.last ?? { code: ErrorCode.SyncFailed, message: loop.lastError, at: f.loopSince };
    return { kind: "backoff", untilMs: loop.untilMs, attempt: loop.attempt, lastError };
  }
  if (!isConnected(h)) return unreachable(h);
  if (f.progress !== null) return { kind: "syncing", since: f.progressSince ?? f.loopSince, progress: f.progress };
  if (loop.kind === "starting") return { kind: "connecting", since: f.loopSince, attempt: loop.attempt };
  return { kind: "online", since: Math.max(h.monitor.since, f.loopSince) };
}

/**
 * In sync: nothing to upload, nothing rejected, no run under way or asked for, no repair left
 * open (its keys the server lost are not queued again yet), every server commit received, and that known as of now: the monitor has been up since before the last
 * successful sync asked the server for its commit id (so any later commit would have been
 * notified), and, the state being online, its heartbeat has been answered within the bound.
 */
function inSync(state: SyncState, i: StatusInputs): boolean {
  const f = i.facts;
  const received = f.lastReceivedCommitId < 0 ? null : f.lastReceivedCommitId;
  return state.kind === "online"
    && f.pendingUploads === 0 && i.rejected.count === 0 && !f.busy && !f.repairInProgress
    && received === f.serverCommitId
    && f.lastSyncStartedAt !== null && i.health.monitor.since <= f.lastSyncStartedAt;
}

export function deriveStatus(i: StatusInputs): SyncStatus {
  const f = i.facts;
  const state = stateOf(i);
  return {
    atSign: f.atSign,
    state,
    inSync: inSync(state, i),
    connected: isConnected(i.health),
    uploading: f.uploading,
    downloading: f.downloading,
    pendingUploads: f.pendingUploads,
    pendingOutsideFilter: f.pendingOutsideFilter,
    rejectedUploads: i.rejected.count,
    lastRejected: i.rejected.latest,
    conflicts: f.conflicts,
    lastSyncedAt: f.lastSyncedAt,
    lastReceivedCommitId: f.lastReceivedCommitId < 0 ? null : f.lastReceivedCommitId,
    serverCommitId: f.serverCommitId,
    lastUploadError: i.errors.upload,
    lastDownloadError: i.errors.download,
    keyStore: i.keyStore,
  };
}
