// The SyncStatus main reports for one atSign: the worker's last pushed snapshot, with the
// supervisor's view laid over it while the worker is restarting or has failed (its own
// status cannot say so), and the key store main knows about.
import { ErrorCode } from "../../shared/errors.js";
import type { KeyStoreKind, SyncState, SyncStatus } from "../../shared/status.js";
import type { WorkerInfo } from "../supervisor/SupervisorEvent.js";

function blank(atSign: string, keyStore: KeyStoreKind, since: number): SyncStatus {
  return {
    atSign, state: { kind: "offline", since }, connected: false, uploading: false, downloading: false,
    pendingUploads: 0, conflicts: 0, lastSyncedAt: null, localCommitId: null, serverCommitId: null,
    lastUploadError: null, lastDownloadError: null, keyStore,
  };
}

export function statusOf(info: WorkerInfo, keyStore: KeyStoreKind): SyncStatus {
  const w = info.state;
  const base = info.status ?? blank(info.atSign, keyStore, w.since);
  let state: SyncState = base.state;
  if (w.kind === "failed") {
    state = { kind: "needs-attention", since: w.since, reason: `worker failed: ${w.lastError}`, code: ErrorCode.WorkerFailed };
  } else if (w.kind === "backoff") {
    state = { kind: "backoff", untilMs: w.untilMs, attempt: w.attempt, lastError: { code: ErrorCode.WorkerRestarting, message: w.lastError, at: w.since } };
  } else if (w.kind === "stopping" || w.kind === "stopped") {
    state = { kind: "offline", since: w.since };
  }
  const connected = w.kind === "running" || w.kind === "starting" ? base.connected : false;
  return { ...base, atSign: info.atSign, state, connected, keyStore };
}
