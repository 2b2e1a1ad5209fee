import { expect } from "chai";
import { ErrorCode } from "../../shared/errors.js";
import type { SyncStatus } from "../../shared/status.js";
import { statusOf } from "../../daemon/mainThread/statusOf.js";
import type { WorkerInfo } from "../../daemon/supervisor/SupervisorEvent.js";

const pushed: SyncStatus = {
  atSign: "@alice🛠",
  state: { kind: "online", since: 5 },
  inSync: false,
  connected: true,
  uploading: true,
  downloading: false,
  pendingUploads: 3,
  pendingOutsideFilter: 0,
  rejectedUploads: 0,
  lastRejected: null,
  conflicts: 1,
  lastSyncedAt: 40,
  lastReceivedCommitId: 12,
  serverCommitId: 30,
  lastUploadError: null,
  lastDownloadError: null,
  keyStore: "file",
};

const info = (state: WorkerInfo["state"], status: SyncStatus | null = pushed): WorkerInfo => ({ atSign: "@alice🛠", state, restarts: 1, status });

describe("statusOf (what status.get says while a worker cannot)", function () {
  it("is the worker's own status while it runs", function () {
    expect(statusOf(info({ kind: "running", since: 1 }), "file")).to.deep.equal(pushed);
    // The key store is main's to say.
    expect(statusOf(info({ kind: "running", since: 1 }), "keychain").keyStore).to.equal("keychain");
  });

  it("keeps the facts but drops live flags while the worker restarts", function () {
    const s = statusOf(info({ kind: "backoff", since: 100, untilMs: 600, attempt: 2, lastError: "Error: boom", lastExitCode: 1 }), "keychain");
    expect(s).to.deep.include({ connected: false, uploading: false, pendingUploads: 3, serverCommitId: 30, keyStore: "keychain" });
    expect(s.state).to.deep.equal({ kind: "backoff", untilMs: 600, attempt: 2, lastError: { code: ErrorCode.WorkerRestarting, message: "Error: boom", at: 100 } });
  });

  it("says a failed worker needs attention, with its last error", function () {
    const s = statusOf(info({ kind: "failed", since: 9, lastError: "worker exited with SchemaTooNew", lastExitCode: 71 }, null), "keychain");
    expect(s.state).to.deep.equal({ kind: "needs-attention", since: 9, reason: "worker failed: worker exited with SchemaTooNew", code: ErrorCode.WorkerFailed });
    expect(s).to.deep.include({ atSign: "@alice🛠", keyStore: "keychain", pendingUploads: 0, lastSyncedAt: null });
  });

  it("says starting while its worker starts, never online or in sync, whatever its last run said; offline once stopped", function () {
    expect(statusOf(info({ kind: "starting", since: 3, attempt: 0 }, null), "file")).to.deep.include({ state: { kind: "starting", since: 3 }, inSync: false, connected: false });
    const lastRun: SyncStatus = { ...pushed, inSync: true, uploading: false, pendingUploads: 0, conflicts: 0, lastReceivedCommitId: 30 };
    const restarting = statusOf(info({ kind: "starting", since: 7, attempt: 2 }, lastRun), "file");
    expect(restarting).to.deep.equal({ ...lastRun, state: { kind: "starting", since: 7 }, inSync: false, connected: false, uploading: false, downloading: false });
    expect(statusOf(info({ kind: "stopped", since: 4 }), "file").state).to.deep.equal({ kind: "offline", since: 4, reason: "atsyncd is stopping this atSign", nextAttemptAt: null });
  });
});
