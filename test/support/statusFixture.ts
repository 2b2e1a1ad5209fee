// A SyncStatus for tests of what consumes one (formatting, RPC, events): in sync unless told otherwise.
import type { SyncStatus } from "../../shared/status.js";

export function syncStatus(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    atSign: "@alice🛠", state: { kind: "online", since: 1 }, inSync: true, connected: true, uploading: false, downloading: false,
    pendingUploads: 0, pendingOutsideFilter: 0, rejectedUploads: 0, lastRejected: null, conflicts: 0, lastSyncedAt: null,
    lastReceivedCommitId: null, serverCommitId: null, lastUploadError: null, lastDownloadError: null, keyStore: "file", ...over,
  };
}
