// What `status.get` should say for an atSign: the worker's own SyncStatus while it runs, and
// the supervisor's knowledge (restarting, failed, stopped) when the worker cannot speak.
import { ErrorCode } from "../../shared/errors.js";
import type { KeyStoreKind, SyncStatus } from "../../shared/status.js";
import type { WorkerInfo } from "./SupervisorEvent.js";

function blank(atSign: string, since: number, keyStore: KeyStoreKind): SyncStatus {
  return {
    atSign,
    state: { kind: "offline", since },
    connected: false,
    uploading: false,
    downloading: false,
    pendingUploads: 0,
    conflicts: 0,
    lastSyncedAt: null,
    localCommitId: null,
    serverCommitId: null,
    lastUploadError: null,
    lastDownloadError: null,
    keyStore,
  };
}

export function effectiveStatus(info: WorkerInfo, keyStore: KeyStoreKind): SyncStatus {
  const st = info.state;
  const last = info.status ?? blank(info.atSign, st.since, keyStore);
  // Facts about the past (counts, commit ids, last sync) survive; live flags do not.
  const idle = { ...last, connected: false, uploading: false, downloading: false };
  switch (st.kind) {
    case "running":
      return info.status ?? { ...idle, state: { kind: "connecting", since: st.since, attempt: 0 } };
    case "starting":
      return { ...idle, state: { kind: "connecting", since: st.since, attempt: st.attempt } };
    case "backoff":
      return {
        ...idle,
        state: { kind: "backoff", untilMs: st.untilMs, attempt: st.attempt, lastError: { code: ErrorCode.WorkerRestarting, message: st.lastError, at: st.since } },
      };
    case "failed":
      return { ...idle, state: { kind: "needs-attention", since: st.since, reason: `worker failed: ${st.lastError}`, code: ErrorCode.WorkerFailed } };
    case "stopping":
    case "stopped":
      return { ...idle, state: { kind: "offline", since: st.since } };
  }
}
