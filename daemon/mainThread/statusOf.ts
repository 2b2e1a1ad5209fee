// The SyncStatus main reports for one atSign: the worker's last pushed snapshot while it runs,
// and the supervisor's knowledge (restarting, failed, stopped) when the worker cannot speak for
// itself. Facts about the past (counts, commit ids, last sync) survive; live ones (connected,
// uploading, in sync) do not, since nobody is watching them.
import { ErrorCode } from "../../shared/errors.js";
import type { KeyStoreKind, SyncStatus } from "../../shared/status.js";
import type { WorkerInfo } from "../supervisor/SupervisorEvent.js";

function blank(atSign: string, keyStore: KeyStoreKind, since: number): SyncStatus {
  return {
    atSign, state: { kind: "connecting", since, attempt: 0 }, inSync: false, connected: false, uploading: false, downloading: false,
    pendingUploads: 0, pendingOutsideFilter: 0, rejectedUploads: 0, lastRejected: null, conflicts: 0, lastSyncedAt: null,
    lastReceivedCommitId: null, serverCommitId: null, lastUploadError: null, lastDownloadError: null, keyStore,
  };
}

export function statusOf(info: WorkerInfo, keyStore: KeyStoreKind): SyncStatus {
  const w = info.state;
  const last = info.status === null ? blank(info.atSign, keyStore, w.since) : { ...info.status, atSign: info.atSign, keyStore };
  if (w.kind === "running" && info.status !== null) return last;
  const idle = { ...last, inSync: false, connected: false, uploading: false, downloading: false };
  switch (w.kind) {
    case "running":
      return idle;
    case "starting":
      // Whatever its last run knew, nobody watches its connection now: not online, not in sync.
      return { ...idle, state: { kind: "starting", since: w.since } };
    case "backoff":
      return {
        ...idle,
        state: { kind: "backoff", untilMs: w.untilMs, attempt: w.attempt, lastError: { code: ErrorCode.WorkerRestarting, message: w.lastError, at: w.since } },
      };
    case "failed":
      return { ...idle, state: { kind: "needs-attention", since: w.since, reason: `worker failed: ${w.lastError}`, code: ErrorCode.WorkerFailed } };
    case "stopping":
    case "stopped":
      return { ...idle, state: { kind: "offline", since: w.since, reason: "atsyncd is stopping this atSign", nextAttemptAt: null } };
  }
}
