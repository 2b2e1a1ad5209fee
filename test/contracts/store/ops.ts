// Store contract: the ops on keys (putKey, verifyKey, markSeen, markAllUnseen), conflicts, the
// sync state, and apply()'s one transaction per list.
import { expect } from "chai";
import type { StoreOp } from "../../../daemon/core/storeOps.js";
import type { SyncStateSnapshot } from "../../../daemon/ports.js";
import { draft, key, putKey, type StoreCase } from "./context.js";

const EMPTY_STATE: SyncStateSnapshot = {
  lastReceivedCommitId: -1, serverCommitId: null, probes: [], repairInProgress: false, lastSyncedAtMs: null, filterRegex: null, serverTimeWatermarkMs: null,
};

export function opCases(t: StoreCase): void {
  it("putKey adopts a server version whole (value, metadata, commit id, server time, time), leaving pending rows alone", () => {
    const mine = t.store.putLocal(key("k"), "local", { ttr: 1 }).outboxId!;
    t.store.apply([{ op: "markAllUnseen" }, putKey(key("k"), 4, "server", { metadata: { isEncrypted: true }, serverTimeMs: 700, atMs: 800 })]);
    expect(t.store.get(key("k"))).to.deep.equal({ atKey: key("k"), value: "server", metadata: { isEncrypted: true }, commitId: 4, updatedAtMs: 800 });
    expect(t.store.facts([key("k")]).get(key("k"))?.key).to.deep.include({ serverTimeMs: 700, seen: true });
    expect(t.store.pendingChanges().map((c) => c.id)).to.deep.equal([mine]);
    t.store.apply([putKey(key("n"), 5, "v", { metadata: null })]);
    expect(t.store.get(key("n"))?.metadata).to.deep.equal({});
  });

  it("putKey of a deleted version leaves a tombstone: hidden from get and listKeys, a fact with its commit id", () => {
    t.store.putLocal(key("k"), "v");
    t.store.apply([putKey(key("k"), 6, null, { serverTimeMs: 50 })]);
    expect(t.store.get(key("k"))).to.equal(undefined);
    expect(t.store.listKeys()).to.deep.equal([]);
    expect(t.store.facts([key("k")]).get(key("k"))?.key).to.deep.equal({
      atKey: key("k"), value: null, metadata: null, deleted: true, commitId: 6, serverTimeMs: 50, seen: true,
    });
    t.store.apply([putKey(key("k"), 7, "back")]);
    expect(t.store.get(key("k"))?.value).to.equal("back");
  });

  it("verifyKey records the server's commit id and time, and its metadata when given; nothing else, and no row for an unknown key", () => {
    const put = t.store.putLocal(key("k"), "v", { ttl: 10 });
    t.store.apply([{ op: "verifyKey", atKey: key("k"), commitId: 3, serverTimeMs: 90 }]);
    expect(t.store.get(key("k"))).to.deep.equal({ ...put.record, commitId: 3 });
    expect(t.store.facts([key("k")]).get(key("k"))?.key?.serverTimeMs).to.equal(90);
    t.store.apply([{ op: "verifyKey", atKey: key("k"), commitId: null, serverTimeMs: null, metadata: { ttl: 10, expiresAt: "2026-11-22 12:00:10.000Z" } }]);
    expect(t.store.get(key("k"))).to.deep.equal({ ...put.record, commitId: null, metadata: { ttl: 10, expiresAt: "2026-11-22 12:00:10.000Z" } });
    expect(t.store.pendingChanges()).to.have.length(1);
    t.store.apply([{ op: "verifyKey", atKey: key("unknown"), commitId: 1, serverTimeMs: 1, metadata: {} }]);
    expect(t.store.facts([key("unknown")]).size).to.equal(0);
  });

  it("markAllUnseen marks every row, tombstones too; markSeen and putKey clear a mark, local writes keep it; new keys are seen", () => {
    t.store.apply([putKey(key("a"), 1, "a"), putKey(key("b"), 2, "b"), putKey(key("c"), 3, null), putKey(key("d"), 4, "d")]);
    t.store.apply([{ op: "markAllUnseen" }]);
    expect(t.store.unseenKeys().map((k) => [k.atKey, k.deleted, k.seen])).to.have.deep.members([
      [key("a"), false, false], [key("b"), false, false], [key("c"), true, false], [key("d"), false, false],
    ]);
    t.store.apply([{ op: "markSeen", atKey: key("a") }, putKey(key("b"), 5, "b2"), { op: "markSeen", atKey: key("nothing") }]);
    t.store.putLocal(key("d"), "local");
    t.store.putLocal(key("new"), "n");
    expect(t.store.unseenKeys().map((k) => k.atKey)).to.have.members([key("c"), key("d")]);
    expect(t.store.unseenKeys().find((k) => k.atKey === key("d"))).to.deep.include({ value: "local", commitId: 4 });
  });

  it("boundServerTime records an acknowledged push's server-time bound, which a pulled version (putKey) clears", () => {
    t.store.putLocal(key("b"), "mine");
    t.store.apply([{ op: "verifyKey", atKey: key("b"), commitId: 3, serverTimeMs: null }, { op: "boundServerTime", atKey: key("b"), boundMs: 1234 }]);
    expect(t.store.facts([key("b")]).get(key("b"))?.key).to.deep.include({ commitId: 3, serverTimeMs: null, serverTimeBoundMs: 1234 });
    t.store.apply([putKey(key("b"), 4, "theirs", { serverTimeMs: 2000 })]);
    expect(t.store.facts([key("b")]).get(key("b"))?.key?.serverTimeBoundMs).to.equal(undefined);
  });

  it("keysUpTo: keys (tombstones too) with a commit id at most the one given, at most `limit`, never those without one", () => {
    t.store.apply([putKey(key("a"), 1, "a"), putKey(key("b"), 2, null), putKey(key("c"), 5, "c")]);
    t.store.putLocal(key("local"), "never pushed");
    const got = t.store.keysUpTo(2, 10);
    expect(got.map((k) => [k.atKey, k.commitId, k.deleted])).to.have.deep.members([[key("a"), 1, false], [key("b"), 2, true]]);
    expect(t.store.keysUpTo(5, 1)).to.have.length(1);
    expect(t.store.keysUpTo(0, 10)).to.deep.equal([]);
  });

  it("insertConflict records conflicts (always unresolved) and returns their ids in order", () => {
    const res = t.store.apply([
      { op: "insertConflict", conflict: draft(key("a")) },
      putKey(key("a"), 4, "theirs"),
      { op: "insertConflict", conflict: draft(key("b"), { policy: "last-writer-wins", winner: "remote", resolved: true, local: { op: "-", value: null, metadata: null, timeMs: null } }) },
    ]);
    expect(res.conflictIds).to.have.length(2);
    expect(res.conflictIds[1]).to.be.greaterThan(res.conflictIds[0]!);
    const [a, b] = res.conflictIds;
    expect(t.store.listConflicts()).to.deep.equal([
      { ...draft(key("a")), id: a },
      { ...draft(key("b"), { policy: "last-writer-wins", winner: "remote", local: { op: "-", value: null, metadata: null, timeMs: null } }), id: b, resolved: false },
    ]);
    expect(t.store.conflictCount()).to.equal(2);
    expect(t.store.apply([]).conflictIds).to.deep.equal([]);
  });

  it("writeConflictSide writes the side kept and records the choice in one transaction: for no such conflict, neither", () => {
    const [id] = t.store.apply([{ op: "insertConflict", conflict: draft(key("w")) }]).conflictIds;
    const r = t.store.writeConflictSide(id!, "remote", { atKey: key("w"), value: "theirs" });
    expect([r.atKey, t.store.get(key("w"))?.value, t.store.pendingChanges().length]).to.deep.equal([key("w"), "theirs", 1]);
    expect(t.store.listConflicts()[0]).to.deep.include({ resolved: true, winner: "remote" });
    expect(() => t.store.writeConflictSide(id! + 99, "local", { atKey: key("w"), value: "mine" })).to.throw(/no such conflict/);
    expect([t.store.get(key("w"))?.value, t.store.pendingChanges().length]).to.deep.equal(["theirs", 1]);
  });

  it("markConflictResolved settles an open conflict once (keeping the policy's winner unless told); keepConflictSide records a choice on any", () => {
    const [a, b, c] = t.store.apply([1, 2, 3].map((i): StoreOp => ({ op: "insertConflict", conflict: draft(key(`k${i}`)) }))).conflictIds;
    expect(t.store.markConflictResolved(a!)).to.equal(true);
    expect(t.store.markConflictResolved(a!, "remote")).to.equal(false);
    expect(t.store.markConflictResolved(b!, "remote")).to.equal(true);
    expect(t.store.markConflictResolved(9999)).to.equal(false);
    expect(t.store.listConflicts().map((r) => [r.id, r.resolved, r.winner])).to.deep.equal([[a, true, "local"], [b, true, "remote"], [c, false, "local"]]);
    expect(t.store.listConflicts({ unresolvedOnly: true }).map((r) => r.id)).to.deep.equal([c]);
    expect(t.store.conflictCount()).to.equal(1);
    expect(t.store.keepConflictSide(a!, "remote")).to.equal(true);
    expect(t.store.keepConflictSide(c!, "local")).to.equal(true);
    expect(t.store.keepConflictSide(9999, "local")).to.equal(false);
    expect(t.store.listConflicts().map((r) => [r.resolved, r.winner])).to.deep.equal([[true, "remote"], [true, "remote"], [true, "local"]]);
    expect(t.store.conflictCount()).to.equal(0);
  });

  it("setSyncState writes the facts a patch names and leaves the rest; a snapshot does not change after it is taken", () => {
    expect(t.store.syncState()).to.deep.equal(EMPTY_STATE);
    const probes = [
      { atKey: key("p"), commitId: 3, operation: "*" as const, updatedAt: null, valueHash: "0123456789abcdef", notBeforeMs: 1700 },
      { atKey: key("q"), commitId: 2, operation: "-" as const, updatedAt: "2026-11-22 12:00:00.000Z" },
    ];
    t.store.apply([{ op: "setSyncState", patch: { lastReceivedCommitId: 7, serverCommitId: 9, probes, repairInProgress: true } }]);
    const first = t.store.syncState();
    t.store.apply([{ op: "setSyncState", patch: { lastSyncedAtMs: 1234, filterRegex: "", serverTimeWatermarkMs: 99, serverCommitId: null, lastReceivedCommitId: undefined } }]);
    expect(first).to.deep.equal({ ...EMPTY_STATE, lastReceivedCommitId: 7, serverCommitId: 9, probes, repairInProgress: true });
    expect(t.store.syncState()).to.deep.equal({
      lastReceivedCommitId: 7, serverCommitId: null, probes, repairInProgress: true, lastSyncedAtMs: 1234, filterRegex: "", serverTimeWatermarkMs: 99,
    });
    t.store.apply([{ op: "setSyncState", patch: { probes: [], repairInProgress: false, filterRegex: "\\.wavi@" } }]);
    expect(t.store.syncState()).to.deep.include({ probes: [], repairInProgress: false, filterRegex: "\\.wavi@" });
  });

  it("a caller changing a syncState() snapshot, or the probes it passed to setSyncState, does not change the stored sync state", () => {
    const probes = [{ atKey: key("p"), commitId: 3, operation: "*" as const, updatedAt: null }];
    t.store.syncState();
    t.store.apply([{ op: "setSyncState", patch: { probes } }]);
    probes.push({ atKey: key("x"), commitId: 1, operation: "*", updatedAt: null });
    probes[0]!.commitId = 99;
    const snap = t.store.syncState();
    snap.probes.push({ atKey: key("y"), commitId: 1, operation: "*", updatedAt: null });
    snap.lastReceivedCommitId = 50;
    expect(t.store.syncState()).to.deep.include({ probes: [{ atKey: key("p"), commitId: 3, operation: "*", updatedAt: null }], lastReceivedCommitId: -1 });
  });

  it("apply is one transaction: when an op fails, nothing of its list remains, not even the ids it took", () => {
    const before = t.store.putLocal(key("before"), "v").outboxId!;
    const failing: StoreOp[][] = [
      [{ op: "insertConflict", conflict: draft(key("a"), { winner: "neither" as "local" }) }],
      [{ op: "requeue", atKey: key("a"), change: "?" as "*", atMs: 1, versionTimeMs: null }],
      [{ op: "noSuchOp" } as unknown as StoreOp],
    ];
    for (const last of failing) {
      expect(() => t.store.apply([
        putKey(key("a"), 3, "a"),
        { op: "verifyKey", atKey: key("before"), commitId: 8, serverTimeMs: 8, metadata: { ttr: 8 } },
        { op: "markAllUnseen" },
        { op: "markSent", ids: [before], sent: { op: "*", value: "v", metadata: null } },
        { op: "retryChanges", ids: [before], error: "x", nextRetryAtMs: 5 },
        { op: "requeue", atKey: key("a"), change: "*", atMs: 1, versionTimeMs: null },
        { op: "insertConflict", conflict: draft(key("a")) },
        { op: "setSyncState", patch: { lastReceivedCommitId: 3, probes: [{ atKey: key("a"), commitId: 3, operation: "*", updatedAt: null }], repairInProgress: true } },
        ...last,
      ]), JSON.stringify(last)).to.throw();
      expect(t.store.syncState()).to.deep.equal(EMPTY_STATE);
      expect(t.store.get(key("a"))).to.equal(undefined);
      expect(t.store.get(key("before"))).to.deep.include({ commitId: null, metadata: {} });
      expect(t.store.unseenKeys()).to.deep.equal([]);
      expect(t.store.pendingChanges()).to.deep.equal([{ ...t.store.change(before)!, sent: null }]);
      expect(t.store.change(before)).to.deep.include({ attempts: 0, lastError: null });
      expect(t.store.listConflicts()).to.deep.equal([]);
    }
    expect(t.store.apply([{ op: "insertConflict", conflict: draft(key("a")) }]).conflictIds, "the first conflict's id").to.deep.equal([1]);
    expect(t.store.putLocal(key("after"), "v").outboxId).to.equal(before + 1);
  });

  it("a NaN (a number SQLite holds as NULL) reads back as null, and fails where the schema needs a value", () => {
    t.store.apply([putKey(key("k"), 1, "v", { serverTimeMs: 5 }), { op: "verifyKey", atKey: key("k"), commitId: NaN, serverTimeMs: NaN }]);
    expect(t.store.facts([key("k")]).get(key("k"))?.key).to.deep.include({ commitId: null, serverTimeMs: null });
    expect(() => t.store.apply([{ op: "requeue", atKey: key("k"), change: "*", atMs: NaN, versionTimeMs: null }])).to.throw(/NOT NULL constraint failed: changes.created_at_ms/u);
    expect(t.store.pendingChanges()).to.deep.equal([]);
  });

  it("a conflict's winner and an outbox row's op are what the schema allows (local|remote, + # * -), even outside apply", () => {
    const [id] = t.store.apply([{ op: "insertConflict", conflict: draft(key("a")) }]).conflictIds;
    expect(() => t.store.keepConflictSide(id!, "both" as "local")).to.throw(/constraint/iu);
    expect(() => t.store.markConflictResolved(id!, "both" as "local")).to.throw(/constraint/iu);
    expect(t.store.listConflicts().map((c) => [c.resolved, c.winner])).to.deep.equal([[false, "local"]]);
    expect(() => t.store.apply([{ op: "requeue", atKey: key("a"), change: "?" as "*", atMs: 1, versionTimeMs: null }])).to.throw(/constraint/iu);
  });
}
