import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatDartDate } from "../../protocol/metadata.js";
import type { RemoteEntry } from "../../daemon/core/types.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { SCHEMA_VERSION } from "../../daemon/store/schema.js";
import { StoreError } from "../../daemon/store/StoreError.js";
import { applyPushOutcomes, applyRemotePage, beginFullResync, finishFullResync, nextRetryAtMs, useFilter } from "../support/engine.js";
import { ManualClock } from "../sync/support/ManualClock.js";

const A = "@alice🛠";

function entry(atKey: string, commitId: number, value: string | null, op: RemoteEntry["operation"] = "*", updatedAtMs?: number): RemoteEntry {
  return {
    atKey,
    commitId,
    operation: op,
    value: op === "-" ? null : value,
    metadata: op === "-" ? null : { isEncrypted: true, ...(updatedAtMs !== undefined ? { updatedAt: formatDartDate(updatedAtMs) } : {}) },
  };
}

describe("store: SqliteStore", () => {
  let dir: string;
  let clock: ManualClock;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-store-"));
    clock = new ManualClock();
    store = SqliteStore.open({ path: join(dir, "alice.db"), clock });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates a 0600 WAL file at the current schema version, and keeps data across reopen", () => {
    const path = join(dir, "alice.db");
    store.putLocal(`phone.wavi${A}`, "c1");
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(f).mode & 0o777, f).to.equal(0o600);
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).to.equal("wal");
    expect(db.pragma("user_version", { simple: true })).to.equal(SCHEMA_VERSION);
    db.close();
    store = SqliteStore.open({ path, clock });
    expect(store.get(`phone.wavi${A}`)?.value).to.equal("c1");
  });

  it("refuses a file written by a newer schema with STORE_SCHEMA_TOO_NEW", () => {
    const path = join(dir, "alice.db");
    store.close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let err: unknown;
    try {
      store = SqliteStore.open({ path, clock });
    } catch (e) {
      err = e;
      store = SqliteStore.open({ path: join(dir, "other.db"), clock });
    }
    expect(err).to.be.instanceOf(StoreError);
    expect((err as StoreError).code).to.equal("STORE_SCHEMA_TOO_NEW");
  });

  it("records puts, meta updates and deletes in the outbox, lowercasing keys and keeping local: keys local", () => {
    const put = store.putLocal(`Phone.Wavi${A}`, "cipher", { ttl: 1000, isEncrypted: true });
    expect(put.atKey).to.equal(`phone.wavi${A}`);
    expect(put.outboxId).to.be.a("number");
    expect(put.previous).to.equal(null);
    const meta = store.putMetaLocal(`phone.wavi${A}`, { ttr: 50 });
    expect(meta.record?.metadata).to.deep.equal({ ttl: 1000, isEncrypted: true, ttr: 50 });
    const local = store.putLocal(`local:draft.wavi${A}`, "x");
    expect(local.outboxId).to.equal(null);
    const del = store.deleteLocal(`phone.wavi${A}`);
    expect(del.previous?.value).to.equal("cipher");
    expect(store.get(`phone.wavi${A}`)).to.equal(undefined);
    expect(store.pendingChanges().map((c) => c.op)).to.deep.equal(["*", "#", "-"]);
    expect(store.pendingKeys().length).to.equal(1);
    expect(() => store.putMetaLocal(`nope.wavi${A}`, { ttl: 1 })).to.throw(StoreError).with.property("code", "STORE_KEY_NOT_FOUND");
  });

  it("writes putManyLocal in one transaction: a bad item leaves nothing behind", () => {
    expect(() => store.putManyLocal([{ atKey: `a.wavi${A}`, value: "1" }, { atKey: "bad key", value: "2" }])).to.throw(StoreError);
    expect(store.listKeys()).to.deep.equal([]);
    expect(store.pendingChanges()).to.deep.equal([]);
    const res = store.putManyLocal([{ atKey: `a.wavi${A}`, value: "1" }, { atKey: `b.buzz${A}`, value: "2" }, { atKey: `a.wavi${A}`, delete: true }]);
    expect(res.map((r) => r.outboxId !== null)).to.deep.equal([true, true, true]);
    expect(store.listKeys()).to.deep.equal([`b.buzz${A}`]);
  });

  it("lists keys by regex and by namespace", () => {
    store.putManyLocal([
      { atKey: `phone.wavi${A}`, value: "1" },
      { atKey: `@bob🛠:phone.wavi${A}`, value: "2" },
      { atKey: `x.buzz${A}`, value: "3" },
    ]);
    expect(store.listKeys({ namespace: "wavi" })).to.have.members([`phone.wavi${A}`, `@bob🛠:phone.wavi${A}`]);
    expect(store.listKeys({ regex: "^@bob" })).to.deep.equal([`@bob🛠:phone.wavi${A}`]);
  });

  it("writes back push outcomes: committed, retried with backoff, rejected with the server's error", () => {
    const a = store.putLocal(`a.wavi${A}`, "1").outboxId!;
    const b = store.putLocal(`b.wavi${A}`, "2").outboxId!;
    const c = store.putLocal(`c.wavi${A}`, "3").outboxId!;
    applyPushOutcomes(store, [
      { kind: "committed", atKey: `a.wavi${A}`, changeIds: [a], commitId: 7 },
      { kind: "retry", atKey: `b.wavi${A}`, changeIds: [b], code: "AT0024", error: "paused" },
      { kind: "rejected", atKey: `c.wavi${A}`, changeIds: [c], code: "AT0016", error: "Invalid atKey" },
    ], clock.now());
    expect(store.change(a)?.state).to.equal("committed");
    expect(store.get(`a.wavi${A}`)?.commitId).to.equal(7);
    const retried = store.change(b)!;
    expect(retried.state).to.equal("pending");
    expect(retried.attempts).to.equal(1);
    expect(retried.nextRetryAtMs).to.be.greaterThan(clock.now());
    expect(nextRetryAtMs(store)).to.equal(retried.nextRetryAtMs);
    expect(store.rejectedChanges().map((r) => [r.id, r.lastError])).to.deep.equal([[c, "AT0016: Invalid atKey"]]);
  });

  it("applies a pull page in order, skips the echo of its own push, and advances the last received id", () => {
    const put = store.putLocal(`mine.wavi${A}`, "m1");
    applyPushOutcomes(store, [{ kind: "committed", atKey: `mine.wavi${A}`, changeIds: [put.outboxId!], commitId: 3 }], clock.now());
    const res = applyRemotePage(store, [
      entry(`x.wavi${A}`, 1, "v1"),
      entry(`x.wavi${A}`, 2, "v2"),
      entry(`mine.wavi${A}`, 3, "m1"),
      entry(`gone.wavi${A}`, 4, null, "-"),
    ], "local-wins");
    expect(res.changed.map((c) => [c.atKey, c.op])).to.deep.equal([[`x.wavi${A}`, "update"], [`x.wavi${A}`, "update"]]);
    expect(res.conflicts).to.deep.equal([]);
    expect(store.get(`x.wavi${A}`)?.value).to.equal("v2");
    expect(store.syncState().lastReceivedCommitId).to.equal(4);
    expect(store.syncState().probes[0]).to.deep.include({ atKey: `gone.wavi${A}`, commitId: 4, operation: "-" });
    const del = applyRemotePage(store, [entry(`x.wavi${A}`, 5, null, "-")], "local-wins");
    expect(del.changed).to.deep.equal([{ atKey: `x.wavi${A}`, op: "delete", commitId: 5 }]);
    expect(store.get(`x.wavi${A}`)).to.equal(undefined);
  });

  it("a newer server change to a key with a pending local change is a conflict: local-wins keeps the local change", () => {
    store.putLocal(`k.wavi${A}`, "local");
    const res = applyRemotePage(store, [entry(`k.wavi${A}`, 10, "remote", "*", clock.now() + 5000)], "local-wins");
    expect(res.conflicts).to.have.length(1);
    const c = res.conflicts[0]!;
    expect([c.winner, c.local.value, c.remote.value, c.remote.commitId]).to.deep.equal(["local", "local", "remote", 10]);
    expect(c.local.timeMs).to.equal(clock.now());
    expect(c.remote.timeMs).to.equal(clock.now() + 5000);
    expect(store.get(`k.wavi${A}`)?.value).to.equal("local");
    expect(store.pendingChanges()).to.have.length(1);
    expect(store.listConflicts()).to.deep.equal(res.conflicts);
    expect(store.conflictCount()).to.equal(1);
    expect(store.markConflictResolved(c.id)).to.equal(true);
    expect(store.conflictCount()).to.equal(0);
    expect(store.listConflicts().map((r) => [r.resolved, r.winner])).to.deep.equal([[true, "local"]]);
    expect(store.markConflictResolved(c.id, "remote")).to.equal(false);
  });

  it("a conflict a person resolved the other way records the side kept", () => {
    store.putLocal(`k.wavi${A}`, "local");
    const [c] = applyRemotePage(store, [entry(`k.wavi${A}`, 10, "remote")], "local-wins").conflicts;
    expect(store.markConflictResolved(c!.id, "remote")).to.equal(true);
    expect(store.listConflicts().map((r) => [r.resolved, r.winner, r.policy])).to.deep.equal([[true, "remote", "local-wins"]]);
  });

  it("remote-wins applies the server's value and supersedes the local change, keeping both in the record", () => {
    const put = store.putLocal(`k.wavi${A}`, "local");
    const res = applyRemotePage(store, [entry(`k.wavi${A}`, 10, "remote")], "remote-wins");
    expect(res.conflicts.map((c) => [c.winner, c.local.value, c.remote.value])).to.deep.equal([["remote", "local", "remote"]]);
    expect(store.get(`k.wavi${A}`)?.value).to.equal("remote");
    expect(store.change(put.outboxId!)?.state).to.equal("superseded");
    expect(store.pendingChanges()).to.deep.equal([]);
  });

  it("last-writer-wins compares the server's updatedAt with the local change time", () => {
    store.putLocal(`old.wavi${A}`, "local-old");
    store.putLocal(`new.wavi${A}`, "local-new");
    const t = clock.now();
    const res = applyRemotePage(store, [
      entry(`old.wavi${A}`, 1, "remote-newer", "*", t + 1000),
      entry(`new.wavi${A}`, 2, "remote-older", "*", t - 1000),
    ], "last-writer-wins");
    expect(res.conflicts.map((c) => [c.atKey, c.winner])).to.deep.equal([[`old.wavi${A}`, "remote"], [`new.wavi${A}`, "local"]]);
    expect(store.get(`old.wavi${A}`)?.value).to.equal("remote-newer");
    expect(store.get(`new.wavi${A}`)?.value).to.equal("local-new");
  });

  it("a server change equal to the pending local one is no conflict and acknowledges it", () => {
    const put = store.putLocal(`k.wavi${A}`, "same", { isEncrypted: true });
    const res = applyRemotePage(store, [entry(`k.wavi${A}`, 4, "same")], "local-wins");
    expect(res.conflicts).to.deep.equal([]);
    expect(store.change(put.outboxId!)).to.deep.include({ state: "committed", commitId: 4 });
  });

  it("a full resync keeps pending changes and queues the keys the server lost", () => {
    applyRemotePage(store, [entry(`kept.wavi${A}`, 1, "k"), entry(`lost.wavi${A}`, 2, "l")], "local-wins");
    store.putLocal(`pending.wavi${A}`, "p");
    beginFullResync(store);
    expect(store.syncState()).to.deep.include({ lastReceivedCommitId: -1, repairInProgress: true });
    applyRemotePage(store, [entry(`kept.wavi${A}`, 0, "k")], "local-wins");
    const lost = finishFullResync(store, clock.now());
    expect(lost).to.deep.equal([`lost.wavi${A}`]);
    expect(store.pendingChanges().map((c) => c.atKey)).to.deep.equal([`pending.wavi${A}`, `lost.wavi${A}`]);
    expect(store.syncState().repairInProgress).to.equal(false);
    expect(store.get(`kept.wavi${A}`)?.commitId).to.equal(0);
  });

  it("applies pages out of order (parallel pull): older states never overwrite newer ones or resurrect deleted keys", () => {
    applyRemotePage(store, [entry(`a.wavi${A}`, 50, "new"), entry(`d.wavi${A}`, 60, null, "-")], "local-wins", { lastReceived: -1 });
    expect(store.syncState().lastReceivedCommitId).to.equal(-1);
    const late = applyRemotePage(store, [entry(`a.wavi${A}`, 10, "old"), entry(`d.wavi${A}`, 20, "zombie")], "local-wins", { lastReceived: 60 });
    expect(late.changed).to.deep.equal([]);
    expect(store.get(`a.wavi${A}`)?.value).to.equal("new");
    expect(store.get(`d.wavi${A}`)).to.equal(undefined);
    expect(store.syncState().lastReceivedCommitId).to.equal(60);
    expect(store.syncState().probes[0]).to.deep.include({ atKey: `d.wavi${A}`, commitId: 60 });
  });

  it("a meta-only local change that wins a conflict is pushed with its value, so the server does not keep the other value", () => {
    applyRemotePage(store, [entry(`m.wavi${A}`, 1, "v1")], "local-wins");
    const meta = store.putMetaLocal(`m.wavi${A}`, { ttr: 60 });
    expect(store.change(meta.outboxId!)?.op).to.equal("#");
    const res = applyRemotePage(store, [entry(`m.wavi${A}`, 2, "v2-from-elsewhere")], "local-wins");
    expect(res.conflicts.map((c) => c.winner)).to.deep.equal(["local"]);
    expect(store.change(meta.outboxId!)?.op).to.equal("*");
    expect(store.get(`m.wavi${A}`)?.value).to.equal("v1");
  });

  it("a changed selective-sync filter restarts the pull from -1; the same filter does not", () => {
    expect(useFilter(store, "\\.(?:wavi)@")).to.equal(false);
    applyRemotePage(store, [entry(`a.wavi${A}`, 5, "v")], "local-wins");
    expect(useFilter(store, "\\.(?:wavi)@")).to.equal(false);
    expect(store.syncState().lastReceivedCommitId).to.equal(5);
    expect(useFilter(store, undefined)).to.equal(true);
    expect(store.syncState()).to.deep.include({ lastReceivedCommitId: -1, probes: [], filterRegex: "" });
    expect(store.get(`a.wavi${A}`)?.value).to.equal("v");
  });

  it("prunes acknowledged outbox rows beyond the kept window and keeps tombstones (a restored server may bring their keys back)", () => {
    const ids = [1, 2, 3].map((i) => store.putLocal(`p${i}.wavi${A}`, "v").outboxId!);
    applyPushOutcomes(store, ids.slice(0, 2).map((id, i) => ({ kind: "committed" as const, atKey: `p${i + 1}.wavi${A}`, changeIds: [id], commitId: i })), clock.now());
    applyRemotePage(store, [entry(`gone.wavi${A}`, 7, null, "-"), entry(`later.wavi${A}`, 9, null, "-")], "local-wins", { lastReceived: 8 });
    expect(store.prune(1)).to.equal(2);
    expect(applyRemotePage(store, [entry(`gone.wavi${A}`, 6, "older")], "local-wins").changed).to.deep.equal([]);
    expect(store.change(ids[0]!)).to.equal(undefined);
    expect(store.change(ids[2]!)?.state).to.equal("pending");
    expect(applyRemotePage(store, [entry(`later.wavi${A}`, 8, "older")], "local-wins").changed).to.deep.equal([]);
  });
});
