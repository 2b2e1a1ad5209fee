// Store contract: the engine's decisions (daemon/core) carried out on the store as the sync
// driver does it (test/support/engine.ts): pull pages, push outcomes, conflicts, repairs, echoes.
import { expect } from "chai";
import { coalesceKey } from "../../../daemon/core/pushPlan.js";
import type { RemoteEntry } from "../../../daemon/core/types.js";
import { formatDartDate } from "../../../protocol/metadata.js";
import { applyPushOutcomes, applyRemotePage, beginFullResync, finishFullResync, markSent, nextRetryAtMs, useFilter } from "../../support/engine.js";
import { A, type StoreCase } from "./context.js";

function entry(atKey: string, commitId: number, value: string | null, op: RemoteEntry["operation"] = "*", updatedAtMs?: number): RemoteEntry {
  return {
    atKey,
    commitId,
    operation: op,
    value: op === "-" ? null : value,
    metadata: op === "-" ? null : { isEncrypted: true, ...(updatedAtMs !== undefined ? { updatedAt: formatDartDate(updatedAtMs) } : {}) },
  };
}

/** The echo of our own push in a pull page. */
const echo = (atKey: string, commitId: number, value: string | null): RemoteEntry => ({
  atKey, commitId, operation: value === null ? "-" : "*", value, metadata: value === null ? null : { isBinary: false, isEncrypted: false, updatedAt: "2026-11-22 12:00:00.000Z" },
});

export function scenarioCases(t: StoreCase): void {
  function send(atKey: string): void {
    markSent(t.store, coalesceKey(t.store.pendingChanges().filter((c) => c.atKey === atKey), t.store.get(atKey)));
  }

  it("writes back push outcomes: committed, retried with backoff, rejected with the server's error", () => {
    const a = t.store.putLocal(`a.wavi${A}`, "1").outboxId!;
    const b = t.store.putLocal(`b.wavi${A}`, "2").outboxId!;
    const c = t.store.putLocal(`c.wavi${A}`, "3").outboxId!;
    applyPushOutcomes(t.store, [
      { kind: "committed", atKey: `a.wavi${A}`, changeIds: [a], commitId: 7 },
      { kind: "retry", atKey: `b.wavi${A}`, changeIds: [b], code: "AT0024", error: "paused" },
      { kind: "rejected", atKey: `c.wavi${A}`, changeIds: [c], code: "AT0016", error: "Invalid atKey" },
    ], t.clock.now());
    expect(t.store.change(a)?.state).to.equal("committed");
    expect(t.store.get(`a.wavi${A}`)?.commitId).to.equal(7);
    const retried = t.store.change(b)!;
    expect(retried.state).to.equal("pending");
    expect(retried.attempts).to.equal(1);
    expect(retried.nextRetryAtMs).to.be.greaterThan(t.clock.now());
    expect(nextRetryAtMs(t.store)).to.equal(retried.nextRetryAtMs);
    expect(t.store.rejectedChanges().map((r) => [r.id, r.lastError])).to.deep.equal([[c, "AT0016: Invalid atKey"]]);
  });

  it("applies a pull page in order, skips the echo of its own push, and advances the last received id", () => {
    const put = t.store.putLocal(`mine.wavi${A}`, "m1");
    applyPushOutcomes(t.store, [{ kind: "committed", atKey: `mine.wavi${A}`, changeIds: [put.outboxId!], commitId: 3 }], t.clock.now());
    const res = applyRemotePage(t.store, [
      entry(`x.wavi${A}`, 1, "v1"),
      entry(`x.wavi${A}`, 2, "v2"),
      entry(`mine.wavi${A}`, 3, "m1"),
      entry(`gone.wavi${A}`, 4, null, "-"),
    ], "local-wins");
    expect(res.changed.map((c) => [c.atKey, c.op])).to.deep.equal([[`x.wavi${A}`, "update"], [`x.wavi${A}`, "update"]]);
    expect(res.conflicts).to.deep.equal([]);
    expect(t.store.get(`x.wavi${A}`)?.value).to.equal("v2");
    expect(t.store.syncState().lastReceivedCommitId).to.equal(4);
    expect(t.store.syncState().probes[0]).to.deep.include({ atKey: `gone.wavi${A}`, commitId: 4, operation: "-" });
    const del = applyRemotePage(t.store, [entry(`x.wavi${A}`, 5, null, "-")], "local-wins");
    expect(del.changed).to.deep.equal([{ atKey: `x.wavi${A}`, op: "delete", commitId: 5 }]);
    expect(t.store.get(`x.wavi${A}`)).to.equal(undefined);
  });

  it("a newer server change to a key with a pending local change is a conflict: local-wins keeps the local change", () => {
    t.store.putLocal(`k.wavi${A}`, "local");
    const res = applyRemotePage(t.store, [entry(`k.wavi${A}`, 10, "remote", "*", t.clock.now() + 5000)], "local-wins");
    expect(res.conflicts).to.have.length(1);
    const c = res.conflicts[0]!;
    expect([c.winner, c.local.value, c.remote.value, c.remote.commitId]).to.deep.equal(["local", "local", "remote", 10]);
    expect(c.local.timeMs).to.equal(t.clock.now());
    expect(c.remote.timeMs).to.equal(t.clock.now() + 5000);
    expect(t.store.get(`k.wavi${A}`)?.value).to.equal("local");
    expect(t.store.pendingChanges()).to.have.length(1);
    expect(t.store.listConflicts()).to.deep.equal(res.conflicts);
    expect(t.store.conflictCount()).to.equal(1);
    expect(t.store.markConflictResolved(c.id)).to.equal(true);
    expect(t.store.conflictCount()).to.equal(0);
    expect(t.store.listConflicts().map((r) => [r.resolved, r.winner])).to.deep.equal([[true, "local"]]);
    expect(t.store.markConflictResolved(c.id, "remote")).to.equal(false);
  });

  it("a conflict a person resolved the other way records the side kept", () => {
    t.store.putLocal(`k.wavi${A}`, "local");
    const [c] = applyRemotePage(t.store, [entry(`k.wavi${A}`, 10, "remote")], "local-wins").conflicts;
    expect(t.store.markConflictResolved(c!.id, "remote")).to.equal(true);
    expect(t.store.listConflicts().map((r) => [r.resolved, r.winner, r.policy])).to.deep.equal([[true, "remote", "local-wins"]]);
  });

  it("remote-wins applies the server's value and supersedes the local change, keeping both in the record", () => {
    const put = t.store.putLocal(`k.wavi${A}`, "local");
    const res = applyRemotePage(t.store, [entry(`k.wavi${A}`, 10, "remote")], "remote-wins");
    expect(res.conflicts.map((c) => [c.winner, c.local.value, c.remote.value])).to.deep.equal([["remote", "local", "remote"]]);
    expect(t.store.get(`k.wavi${A}`)?.value).to.equal("remote");
    expect(t.store.change(put.outboxId!)?.state).to.equal("superseded");
    expect(t.store.pendingChanges()).to.deep.equal([]);
  });

  it("last-writer-wins compares the server's updatedAt with the local change time", () => {
    t.store.putLocal(`old.wavi${A}`, "local-old");
    t.store.putLocal(`new.wavi${A}`, "local-new");
    const now = t.clock.now();
    const res = applyRemotePage(t.store, [
      entry(`old.wavi${A}`, 1, "remote-newer", "*", now + 1000),
      entry(`new.wavi${A}`, 2, "remote-older", "*", now - 1000),
    ], "last-writer-wins");
    expect(res.conflicts.map((c) => [c.atKey, c.winner])).to.deep.equal([[`old.wavi${A}`, "remote"], [`new.wavi${A}`, "local"]]);
    expect(t.store.get(`old.wavi${A}`)?.value).to.equal("remote-newer");
    expect(t.store.get(`new.wavi${A}`)?.value).to.equal("local-new");
  });

  it("a server change equal to a pending local one that was never sent is no conflict, and ours still goes out (it was another client's write)", () => {
    const put = t.store.putLocal(`k.wavi${A}`, "same", { isEncrypted: true });
    const res = applyRemotePage(t.store, [entry(`k.wavi${A}`, 4, "same")], "local-wins");
    expect(res.conflicts).to.deep.equal([]);
    expect(t.store.change(put.outboxId!)).to.deep.include({ state: "pending" });
    expect(t.store.get(`k.wavi${A}`)).to.deep.include({ value: "same", commitId: 4 });
  });

  it("a full resync keeps pending changes and queues the keys the server lost", () => {
    applyRemotePage(t.store, [entry(`kept.wavi${A}`, 1, "k"), entry(`lost.wavi${A}`, 2, "l")], "local-wins");
    t.store.putLocal(`pending.wavi${A}`, "p");
    beginFullResync(t.store);
    expect(t.store.syncState()).to.deep.include({ lastReceivedCommitId: -1, repairInProgress: true });
    applyRemotePage(t.store, [entry(`kept.wavi${A}`, 0, "k")], "local-wins");
    const lost = finishFullResync(t.store, t.clock.now());
    expect(lost).to.deep.equal([`lost.wavi${A}`]);
    expect(t.store.pendingChanges().map((c) => c.atKey)).to.deep.equal([`pending.wavi${A}`, `lost.wavi${A}`]);
    expect(t.store.syncState().repairInProgress).to.equal(false);
    expect(t.store.get(`kept.wavi${A}`)?.commitId).to.equal(0);
  });

  it("applies pages out of order (parallel pull): older states never overwrite newer ones or resurrect deleted keys", () => {
    applyRemotePage(t.store, [entry(`a.wavi${A}`, 50, "new"), entry(`d.wavi${A}`, 60, null, "-")], "local-wins", { lastReceived: -1 });
    expect(t.store.syncState().lastReceivedCommitId).to.equal(-1);
    const late = applyRemotePage(t.store, [entry(`a.wavi${A}`, 10, "old"), entry(`d.wavi${A}`, 20, "zombie")], "local-wins", { lastReceived: 60 });
    expect(late.changed).to.deep.equal([]);
    expect(t.store.get(`a.wavi${A}`)?.value).to.equal("new");
    expect(t.store.get(`d.wavi${A}`)).to.equal(undefined);
    expect(t.store.syncState().lastReceivedCommitId).to.equal(60);
    expect(t.store.syncState().probes[0]).to.deep.include({ atKey: `d.wavi${A}`, commitId: 60 });
  });

  it("a meta-only local change that wins a conflict is pushed with its value, so the server does not keep the other value", () => {
    applyRemotePage(t.store, [entry(`m.wavi${A}`, 1, "v1")], "local-wins");
    const meta = t.store.putMetaLocal(`m.wavi${A}`, { ttr: 60 });
    expect(t.store.change(meta.outboxId!)?.op).to.equal("#");
    const res = applyRemotePage(t.store, [entry(`m.wavi${A}`, 2, "v2-from-elsewhere")], "local-wins");
    expect(res.conflicts.map((c) => c.winner)).to.deep.equal(["local"]);
    expect(t.store.change(meta.outboxId!)?.op).to.equal("*");
    expect(t.store.get(`m.wavi${A}`)?.value).to.equal("v1");
  });

  it("a changed selective-sync filter restarts the pull from -1; the same filter does not", () => {
    expect(useFilter(t.store, "\\.(?:wavi)@")).to.equal(false);
    applyRemotePage(t.store, [entry(`a.wavi${A}`, 5, "v")], "local-wins");
    expect(useFilter(t.store, "\\.(?:wavi)@")).to.equal(false);
    expect(t.store.syncState().lastReceivedCommitId).to.equal(5);
    expect(useFilter(t.store, undefined)).to.equal(true);
    expect(t.store.syncState()).to.deep.include({ lastReceivedCommitId: -1, probes: [], filterRegex: "" });
    expect(t.store.get(`a.wavi${A}`)?.value).to.equal("v");
  });

  it("prunes acknowledged outbox rows beyond the kept window and keeps tombstones (a restored server may bring their keys back)", () => {
    const ids = [1, 2, 3].map((i) => t.store.putLocal(`p${i}.wavi${A}`, "v").outboxId!);
    applyPushOutcomes(t.store, ids.slice(0, 2).map((id, i) => ({ kind: "committed" as const, atKey: `p${i + 1}.wavi${A}`, changeIds: [id], commitId: i })), t.clock.now());
    applyRemotePage(t.store, [entry(`gone.wavi${A}`, 7, null, "-"), entry(`later.wavi${A}`, 9, null, "-")], "local-wins", { lastReceived: 8 });
    expect(t.store.prune(1)).to.equal(2);
    expect(applyRemotePage(t.store, [entry(`gone.wavi${A}`, 6, "older")], "local-wins").changed).to.deep.equal([]);
    expect(t.store.change(ids[0]!)).to.equal(undefined);
    expect(t.store.change(ids[2]!)?.state).to.equal("pending");
    expect(applyRemotePage(t.store, [entry(`later.wavi${A}`, 8, "older")], "local-wins").changed).to.deep.equal([]);
  });

  for (const policy of ["local-wins", "remote-wins", "last-writer-wins"] as const) {
    it(`the echo of a sent row commits it and leaves a newer row pending, with no conflict (${policy})`, () => {
      const k = `phone.wavi${A}`;
      const first = t.store.putLocal(k, "v1").outboxId!;
      send(k);
      const second = t.store.putLocal(k, "v2").outboxId!;
      const res = applyRemotePage(t.store, [echo(k, 7, "v1")], policy);
      expect(res.conflicts).to.deep.equal([]);
      expect(t.store.change(first)).to.include({ state: "committed", commitId: 7 });
      expect(t.store.change(second)?.state).to.equal("pending");
      expect(t.store.get(k)).to.include({ value: "v2", commitId: 7 });
    });
  }

  it("a server state no row was sent with is still a conflict", () => {
    const k = `phone.wavi${A}`;
    t.store.putLocal(k, "v1");
    send(k);
    t.store.putLocal(k, "v2");
    const res = applyRemotePage(t.store, [echo(k, 7, "other")], "local-wins");
    expect(res.conflicts.map((c) => [c.local.value, c.remote.value])).to.deep.equal([["v2", "other"]]);
  });

  it("the echo of a sent delete commits it; a re-create after it stays pending, recorded as replacing a delete that may have been another client's", () => {
    const k = `phone.wavi${A}`;
    t.store.putLocal(k, "v1");
    applyPushOutcomes(t.store, [{ kind: "committed", atKey: k, changeIds: t.store.pendingChanges().map((c) => c.id), commitId: 3 }], t.clock.now());
    const del = t.store.deleteLocal(k).outboxId!;
    send(k);
    const again = t.store.putLocal(k, "v2").outboxId!;
    const res = applyRemotePage(t.store, [echo(k, 4, null)], "remote-wins");
    // Two deletes look alike on the wire: the re-create stands, and the record says what it replaced.
    expect(res.conflicts.map((c) => [c.winner, c.local.value, c.remote.op])).to.deep.equal([["local", "v2", "-"]]);
    expect(t.store.change(del)?.state).to.equal("committed");
    expect(t.store.change(again)?.state).to.equal("pending");
    expect(t.store.get(k)?.value).to.equal("v2");
  });

  it("an acknowledged command retires older pending rows of its key (a failed delete before a re-create)", () => {
    const k = `phone.wavi${A}`;
    const del = t.store.deleteLocal(k).outboxId!;
    const put = t.store.putLocal(k, "v").outboxId!;
    const other = t.store.putLocal(`x.wavi${A}`, "x").outboxId!;
    applyPushOutcomes(t.store, [
      { kind: "retry", atKey: k, changeIds: [del], code: "AT0024", error: "paused" },
      { kind: "committed", atKey: k, changeIds: [put], commitId: 9 },
    ], t.clock.now());
    expect(t.store.change(del)).to.include({ state: "committed", commitId: 9 });
    expect(t.store.change(other)?.state).to.equal("pending");
  });
}
