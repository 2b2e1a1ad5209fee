import { expect } from "chai";
import { ErrorCode } from "../../shared/errors.js";
import type { SyncStatus } from "../../shared/status.js";
import { effectiveStatus } from "../../daemon/supervisor/effectiveStatus.js";
import type { WorkerInfo } from "../../daemon/supervisor/SupervisorEvent.js";

const pushed: SyncStatus = {
  atSign: "@alice🛠",
  state: { kind: "online", since: 5 },
  connected: true,
  uploading: true,
  downloading: false,
  pendingUploads: 3,
  conflicts: 1,
  lastSyncedAt: 40,
  localCommitId: 12,
  serverCommitId: 30,
  lastUploadError: null,
  lastDownloadError: null,
  keyStore: "file",
};

const info = (state: WorkerInfo["state"], status: SyncStatus | null = pushed): WorkerInfo => ({ atSign: "@alice🛠", state, restarts: 1, status });

describe("effectiveStatus", function () {
  it("is the worker's own status while it runs", function () {
    expect(effectiveStatus(info({ kind: "running", since: 1 }), "keychain")).to.equal(pushed);
  });

  it("keeps the facts but drops live flags while the worker restarts", function () {
    const s = effectiveStatus(info({ kind: "backoff", since: 100, untilMs: 600, attempt: 2, lastError: "Error: boom", lastExitCode: 1 }), "keychain");
    expect(s).to.deep.include({ connected: false, uploading: false, pendingUploads: 3, serverCommitId: 30, keyStore: "file" });
    expect(s.state).to.deep.equal({ kind: "backoff", untilMs: 600, attempt: 2, lastError: { code: ErrorCode.WorkerRestarting, message: "Error: boom", at: 100 } });
  });

  it("says a failed worker needs attention, with its last error", function () {
    const s = effectiveStatus(info({ kind: "failed", since: 9, lastError: "worker exited with SchemaTooNew", lastExitCode: 71 }, null), "keychain");
    expect(s.state).to.deep.equal({ kind: "needs-attention", since: 9, reason: "worker failed: worker exited with SchemaTooNew", code: ErrorCode.WorkerFailed });
    expect(s).to.deep.include({ atSign: "@alice🛠", keyStore: "keychain", pendingUploads: 0, lastSyncedAt: null });
  });

  it("says connecting while starting, offline once stopped", function () {
    expect(effectiveStatus(info({ kind: "starting", since: 3, attempt: 1 }, null), "file").state).to.deep.equal({ kind: "connecting", since: 3, attempt: 1 });
    expect(effectiveStatus(info({ kind: "stopped", since: 4 }), "file").state).to.deep.equal({ kind: "offline", since: 4 });
  });
});
