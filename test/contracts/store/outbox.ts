// Store contract: the outbox rows and the ops that move them (markSent, commitChanges,
// retryChanges, rejectChanges, supersedeChanges, upgradeMetaOnly, requeue), its reads, and prune.
import { expect } from "chai";
import { rejectedInEffect } from "../../../daemon/core/syncState.js";
import type { OutboxId } from "../../../daemon/core/types.js";
import { key, putKey, type StoreCase } from "./context.js";

export function outboxCases(t: StoreCase): void {
  const put = (name: string, value = "v"): OutboxId => t.store.putLocal(key(name), value).outboxId!;

  it("markSent records the sent state the engine gives on pending rows (replacing one and its bound); other states are left", () => {
    const a = put("a");
    const b = put("b");
    t.store.apply([{ op: "commitChanges", ids: [b], commitId: 1 }]);
    t.store.apply([{ op: "markSent", ids: [a, b], sent: { op: "*", value: "v", metadata: { ttr: 1 } } }, { op: "boundSent", maxCommitId: 4 }]);
    expect(t.store.pendingChanges().map((c) => [c.id, c.sent])).to.deep.equal([[a, { op: "*", value: "v", metadata: { ttr: 1 }, maxCommitId: 4 }]]);
    t.store.apply([{ op: "markSent", ids: [a], sent: { op: "-", value: null, metadata: null } }]);
    expect(t.store.pendingChanges().map((c) => [c.id, c.sent])).to.deep.equal([[a, { op: "-", value: null, metadata: null }]]);
    expect(t.store.change(b)).to.deep.include({ state: "committed", commitId: 1 });
  });

  it("commitChanges acknowledges pending rows with the server's commit id and clears their error; the key's row is the engine's to verify", () => {
    const a = put("a");
    const b = put("b");
    t.store.apply([{ op: "retryChanges", ids: [a], error: "AT0024: paused", nextRetryAtMs: 5 }]);
    t.store.apply([{ op: "commitChanges", ids: [a], commitId: 9 }, { op: "commitChanges", ids: [b], commitId: null }]);
    expect(t.store.change(a)).to.deep.equal({
      id: a, atKey: key("a"), op: "*", createdAtMs: t.clock.now(), state: "committed", commitId: 9, attempts: 1, nextRetryAtMs: 5, lastError: null,
    });
    expect(t.store.change(b)).to.deep.include({ state: "committed", commitId: null });
    expect(t.store.pendingChanges()).to.deep.equal([]);
    expect(t.store.pendingRetries()).to.deep.equal([]);
    expect(t.store.get(key("a"))?.commitId).to.equal(null);
    expect(t.store.change(12345 as OutboxId)).to.equal(undefined);
  });

  it("retryChanges counts attempts and keeps the row pending (and its sent state); pendingRetries gives each key's earliest retry", () => {
    const a1 = put("a");
    const a2 = put("a", "v2");
    const b = put("b");
    put("c");
    t.store.apply([{ op: "markSent", ids: [a1], sent: { op: "*", value: "v", metadata: null } }]);
    t.store.apply([{ op: "retryChanges", ids: [a1, a2, b], error: "AT0024: paused", nextRetryAtMs: 500 }]);
    t.store.apply([{ op: "retryChanges", ids: [a1], error: "timeout", nextRetryAtMs: 900 }]);
    expect(t.store.pendingChanges().find((c) => c.id === a1)).to.deep.include({
      state: "pending", attempts: 2, lastError: "timeout", nextRetryAtMs: 900, sent: { op: "*", value: "v", metadata: null },
    });
    expect(t.store.pendingRetries()).to.have.deep.members([{ atKey: key("a"), atMs: 500 }, { atKey: key("b"), atMs: 500 }]);
    expect(t.store.pendingKeys()).to.have.members([key("a"), key("b"), key("c")]);
    expect(t.store.pendingKeys()).to.have.length(3);
  });

  it("pendingPage lists the keys with pending rows in key order, a page at a time after a key: rows, latest op, oldest write, attempts, earliest retry, latest error", () => {
    const b1 = put("b");
    t.clock.advance(5);
    const b2 = put("b", "v2");
    put("a");
    const c = put("c");
    put("d");
    t.store.deleteLocal(key("d"));
    t.store.apply([{ op: "commitChanges", ids: [c], commitId: 3 }]);
    t.store.apply([{ op: "retryChanges", ids: [b1], error: "AT0024: paused", nextRetryAtMs: 700 }, { op: "retryChanges", ids: [b2], error: "timeout", nextRetryAtMs: 900 }]);
    t.store.apply([{ op: "retryChanges", ids: [b2], error: "timeout again", nextRetryAtMs: 950 }]);
    const first = t.store.pendingPage(null, 2);
    expect(first.map((r) => r.atKey)).to.deep.equal([key("a"), key("b")]);
    expect(first[0]).to.deep.equal({ atKey: key("a"), changes: 1, op: "*", sinceMs: t.clock.now(), attempts: 0, nextRetryAtMs: null, lastError: null });
    expect(first[1]).to.deep.equal({ atKey: key("b"), changes: 2, op: "*", sinceMs: t.clock.now() - 5, attempts: 2, nextRetryAtMs: 700, lastError: "timeout again" });
    const rest = t.store.pendingPage(key("b"), 2);
    expect(rest.map((r) => [r.atKey, r.changes, r.op])).to.deep.equal([[key("d"), 2, "-"]]);
    expect(t.store.pendingPage(key("d"), 2)).to.deep.equal([]);
  });

  it("retryChanges leaves a row that is no longer pending (committed, rejected) as it is: no attempt counted, no error, no retry time", () => {
    const done = put("a");
    const refused = put("b");
    t.store.apply([{ op: "commitChanges", ids: [done], commitId: 4 }, { op: "rejectChanges", ids: [refused], error: "AT0016: Invalid atKey" }]);
    const before = [t.store.change(done), t.store.change(refused)];
    t.store.apply([{ op: "retryChanges", ids: [done, refused], error: "AT0024: paused", nextRetryAtMs: 500 }]);
    expect([t.store.change(done), t.store.change(refused)]).to.deep.equal(before);
    expect(t.store.pendingRetries()).to.deep.equal([]);
  });

  it("rejectChanges refuses rows for good: counted, listed with the server's error, out of the pending rows", () => {
    const a = put("a");
    const b = put("b");
    t.store.apply([{ op: "retryChanges", ids: [a], error: "x", nextRetryAtMs: 1 }]);
    t.store.apply([{ op: "rejectChanges", ids: [a], error: "AT0016: Invalid atKey" }]);
    t.store.apply([{ op: "rejectChanges", ids: [a], error: "again" }, { op: "commitChanges", ids: [a], commitId: 3 }]);
    expect(t.store.rejectedChanges()).to.deep.equal([
      { id: a, atKey: key("a"), op: "*", createdAtMs: t.clock.now(), state: "rejected", commitId: null, attempts: 2, nextRetryAtMs: 1, lastError: "AT0016: Invalid atKey" },
    ]);
    expect(t.store.rejectedCount()).to.equal(1);
    expect(t.store.pendingChanges().map((c) => c.id)).to.deep.equal([b]);
  });

  it("supersedeChanges retires the key's pending rows only; upgradeMetaOnly turns its pending `#` rows into `*`", () => {
    t.store.putLocal(key("m"), "v");
    const done = t.store.putMetaLocal(key("m"), { ttr: 1 }).outboxId!;
    t.store.apply([{ op: "commitChanges", ids: [done], commitId: 2 }]);
    const meta = t.store.putMetaLocal(key("m"), { ttr: 2 }).outboxId!;
    const other = t.store.putMetaLocal(key("m"), { ttr: 3 }).outboxId!;
    t.store.apply([{ op: "rejectChanges", ids: [other], error: "no" }]);
    t.store.putLocal(key("x"), "x");
    t.store.apply([{ op: "upgradeMetaOnly", atKey: key("m") }]);
    expect(t.store.pendingChanges().map((c) => [c.atKey, c.op])).to.deep.equal([[key("m"), "*"], [key("m"), "*"], [key("x"), "*"]]);
    expect([t.store.change(done)?.op, t.store.change(other)?.op, t.store.change(meta)?.op]).to.deep.equal(["#", "#", "*"]);
    t.store.apply([{ op: "supersedeChanges", atKey: key("m") }]);
    expect(t.store.pendingChanges().map((c) => c.atKey)).to.deep.equal([key("x")]);
    expect([t.store.change(meta)?.state, t.store.change(other)?.state, t.store.change(done)?.state]).to.deep.equal(["superseded", "rejected", "committed"]);
  });

  it("requeue adds a pending row as the engine gives it, for any key, at the time it gives", () => {
    t.store.apply([putKey(key("lost"), 3, "v"), { op: "requeue", atKey: key("lost"), change: "*", atMs: 42, versionTimeMs: 7 }, { op: "requeue", atKey: "local:x@a", change: "-", atMs: 43, versionTimeMs: null }]);
    expect(t.store.pendingChanges().map((c) => [c.atKey, c.op, c.createdAtMs, c.versionTimeMs, c.attempts, c.sent])).to.deep.equal([
      [key("lost"), "*", 42, 7, 0, null],
      ["local:x@a", "-", 43, undefined, 0, null],
    ]);
    // A local write has no version time of its own; the facts carry the requeued row's.
    const local = t.store.putLocal(key("w"), "w").outboxId!;
    expect(t.store.change(local)?.versionTimeMs).to.equal(undefined);
    expect(t.store.facts([key("lost")]).get(key("lost"))?.pending.map((p) => p.versionTimeMs)).to.deep.equal([7]);
  });

  it("rejectedRows give each rejected row's facts, and rejectedInEffect keeps each key's latest unless the key was written since or brought newer from the server", () => {
    const rej = (name: string): OutboxId => {
      const id = put(name);
      t.store.apply([{ op: "rejectChanges", ids: [id], error: "AT0016" }]);
      return id;
    };
    rej("a");
    const a2 = rej("a");
    const b = rej("b");
    rej("c");
    t.store.putLocal(key("c"), "again");
    rej("d");
    t.store.apply([putKey(key("d"), 5, "server", { atMs: t.clock.now() + 1 })]);
    const e = rej("e");
    t.store.apply([putKey(key("e"), 6, "server", { atMs: t.clock.now() })]);
    const rows = t.store.rejectedRows();
    expect(rows.map((r) => [r.change.atKey, r.laterChange, r.keyUpdatedAtMs !== null && r.keyUpdatedAtMs > r.change.createdAtMs])).to.deep.equal([
      [key("a"), true, false], [key("a"), false, false], [key("b"), false, false], [key("c"), true, false], [key("d"), false, true], [key("e"), false, false],
    ]);
    expect(rejectedInEffect(rows).map((c) => c.id)).to.deep.equal([a2, b, e]);
    expect(t.store.rejectedCount()).to.equal(6);
  });

  it("prune drops acknowledged rows (committed, superseded) below the newest id minus the window; pending and rejected rows and tombstones stay", () => {
    expect(t.store.prune(0)).to.equal(0);
    const ids = ["a", "b", "c", "d", "e"].map((n) => put(n));
    t.store.apply([
      { op: "commitChanges", ids: [ids[0]!, ids[3]!], commitId: 1 },
      { op: "supersedeChanges", atKey: key("b") },
      { op: "rejectChanges", ids: [ids[2]!], error: "no" },
      putKey(key("gone"), 8, null),
    ]);
    expect(t.store.prune()).to.equal(0);
    expect(t.store.prune(4)).to.equal(1);
    expect(t.store.change(ids[0]!)).to.equal(undefined);
    expect(t.store.change(ids[1]!)?.state).to.equal("superseded");
    expect(t.store.prune(0)).to.equal(2);
    expect(ids.map((id) => t.store.change(id)?.state)).to.deep.equal([undefined, undefined, "rejected", undefined, "pending"]);
    expect(t.store.facts([key("gone")]).get(key("gone"))?.key).to.deep.include({ deleted: true, commitId: 8 });
    t.store.apply([{ op: "commitChanges", ids: [ids[4]!], commitId: 2 }]);
    expect(t.store.prune(0)).to.equal(1);
    expect(put("f"), "an id is never used twice").to.equal(ids[4]! + 1);
  });
}
