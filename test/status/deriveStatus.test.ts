// deriveStatus: the one SyncStatus, computed from the driver's facts and the connections' health,
// so a lost monitor or a failed request shows at once, whatever the last sync said.
import { expect } from "chai";
import type { HealthFacts } from "../../daemon/status/ConnectionHealth.js";
import { deriveStatus, type StatusInputs } from "../../daemon/status/deriveStatus.js";
import type { SyncFacts } from "../../daemon/sync/SyncFactsTracker.js";
import { ErrorCode } from "../../shared/errors.js";

const T = 1_000_000;

function facts(over: Partial<SyncFacts> = {}): SyncFacts {
  return {
    atSign: "@alice", loop: { kind: "ready", sinceMs: T }, loopSince: T, busy: false, uploading: false, downloading: false,
    progress: null, progressSince: T, pendingUploads: 0, pendingOutsideFilter: 0, rejectedUploads: 0, conflicts: 0,
    lastSyncedAt: T + 50, lastSyncStartedAt: T + 10, lastReceivedCommitId: 7, serverCommitId: 7, repairInProgress: false,
    lastError: null, uploadError: null, downloadError: null, ...over,
  };
}

function health(over: Partial<HealthFacts["monitor"]> = {}, more: Partial<HealthFacts> = {}): HealthFacts {
  return { monitor: { state: "online", since: T, attempt: 0, nextAttemptAt: null, reason: null, ...over }, commandFailure: null, firstOnlineAt: T, ...more };
}

function derive(f: SyncFacts, h: HealthFacts, over: Partial<StatusInputs> = {}) {
  return deriveStatus({ facts: f, health: h, errors: { last: null, upload: null, download: null }, rejected: { count: 0, latest: null }, keyStore: "file", ...over });
}

describe("deriveStatus: state from facts, not remembered", function () {
  it("in sync: connected, nothing pending or rejected, ids equal, known since the monitor came up", function () {
    const s = derive(facts(), health());
    expect(s).to.deep.include({ inSync: true, connected: true, lastReceivedCommitId: 7, serverCommitId: 7 });
    expect(s.state).to.deep.equal({ kind: "online", since: T });
    // An empty log on both sides is in sync too.
    expect(derive(facts({ lastReceivedCommitId: -1, serverCommitId: null }), health()).inSync).to.equal(true);
  });

  it("not in sync while anything says otherwise", function () {
    expect(derive(facts({ pendingUploads: 1 }), health()).inSync).to.equal(false);
    expect(derive(facts({ lastReceivedCommitId: 6 }), health()).inSync).to.equal(false);
    expect(derive(facts({ busy: true }), health()).inSync).to.equal(false);
    expect(derive(facts({ repairInProgress: true }), health()).inSync).to.equal(false);
    expect(derive(facts(), health(), { rejected: { count: 1, latest: { key: "k@alice", code: "AT0003", reason: "r", at: T } } }).inSync).to.equal(false);
    // The monitor came back after the last sync asked the server: commits in between may have gone unnotified.
    expect(derive(facts(), health({ since: T + 20 })).inSync).to.equal(false);
    expect(derive(facts({ lastSyncStartedAt: null }), health()).inSync).to.equal(false);
  });

  it("offline the moment the monitor is down or the command connection failed, whatever the last sync said", function () {
    const down = derive(facts(), health({ state: "offline", since: T + 100, attempt: 6, nextAttemptAt: T + 4100, reason: "monitor connection lost: no reply within 3000 ms" }));
    expect(down).to.deep.include({ connected: false, inSync: false });
    expect(down.state).to.deep.equal({ kind: "offline", since: T + 100, reason: "monitor connection lost: no reply within 3000 ms", nextAttemptAt: T + 4100 });
    const reconnecting = derive(facts(), health({ state: "connecting", since: T + 4100, attempt: 7, reason: "monitor connection lost: connection closed" }));
    expect(reconnecting.state).to.deep.include({ kind: "offline", nextAttemptAt: null, reason: "monitor connection lost: connection closed" });
    const cmd = derive(facts(), health({}, { commandFailure: { at: T + 300, message: "no reply within 90000 ms" } }));
    expect(cmd.state).to.deep.include({ kind: "offline", since: T + 300, reason: "command connection failed: no reply within 90000 ms" });
    // Before the first contact, it is connecting.
    expect(derive(facts({ loop: { kind: "starting", attempt: 1 } }), health({ state: "connecting", attempt: 2 }, { firstOnlineAt: null })).state)
      .to.deep.include({ kind: "connecting", attempt: 2 });
  });

  it("backoff and needs-attention come from the loop; syncing from the progress", function () {
    const lastError = { code: ErrorCode.RemoteUnavailable, message: "connect ECONNREFUSED", at: T };
    const b = derive(facts({ loop: { kind: "backoff", untilMs: T + 40_000, attempt: 3, lastError: "x" } }), health({ state: "offline" }), { errors: { last: lastError, upload: null, download: null } });
    expect(b.state).to.deep.equal({ kind: "backoff", untilMs: T + 40_000, attempt: 3, lastError });
    expect(b.connected).to.equal(false);
    const n = derive(facts({ loop: { kind: "needs-attention", code: "AT0401", reason: "keys refused" } }), health());
    expect(n.state).to.deep.include({ kind: "needs-attention", reason: "keys refused", code: ErrorCode.AuthFailed });
    const progress = { direction: "download" as const, upload: null, download: { done: 5, total: 10, perSecond: null, etaMs: null } };
    expect(derive(facts({ progress, downloading: true }), health()).state).to.deep.equal({ kind: "syncing", since: T, progress });
    // A run that moves nothing yet, before the first success: connecting.
    expect(derive(facts({ loop: { kind: "starting", attempt: 2 }, busy: true }), health()).state).to.deep.include({ kind: "connecting", attempt: 2 });
  });
});
