// The store's side of a push whose reply was lost: rows record what they carried, a pull
// recognises that echo, and an acknowledged later command retires older rows of its key.
import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coalesceKey } from "../../daemon/core/pushPlan.js";
import type { OutboxId, RemoteEntry } from "../../daemon/core/types.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { SCHEMA_VERSION } from "../../daemon/store/schema.js";
import { applyPushOutcomes, applyRemotePage, markSent } from "../support/engine.js";
import { ManualClock } from "../sync/support/ManualClock.js";

const A = "@alice🛠";

describe("store: sent markers, echoes and migrations", () => {
  let dir: string;
  let clock: ManualClock;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-sent-"));
    clock = new ManualClock();
    store = SqliteStore.open({ path: join(dir, "alice.db"), clock });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function send(atKey: string): void {
    markSent(store, coalesceKey(store.pendingChanges().filter((c) => c.atKey === atKey), store.get(atKey)));
  }

  const echo = (atKey: string, commitId: number, value: string | null): RemoteEntry => ({
    atKey, commitId, operation: value === null ? "-" : "*", value, metadata: value === null ? null : { isBinary: false, isEncrypted: false, updatedAt: "2026-11-22 12:00:00.000Z" },
  });

  for (const policy of ["local-wins", "remote-wins", "last-writer-wins"] as const) {
    it(`the echo of a sent row commits it and leaves a newer row pending, with no conflict (${policy})`, () => {
      const k = `phone.wavi${A}`;
      const first = store.putLocal(k, "v1").outboxId!;
      send(k);
      const second = store.putLocal(k, "v2").outboxId!;
      const res = applyRemotePage(store, [echo(k, 7, "v1")], policy);
      expect(res.conflicts).to.deep.equal([]);
      expect(store.change(first)).to.include({ state: "committed", commitId: 7 });
      expect(store.change(second)?.state).to.equal("pending");
      expect(store.get(k)).to.include({ value: "v2", commitId: 7 });
    });
  }

  it("a server state no row was sent with is still a conflict", () => {
    const k = `phone.wavi${A}`;
    store.putLocal(k, "v1");
    send(k);
    store.putLocal(k, "v2");
    const res = applyRemotePage(store, [echo(k, 7, "other")], "local-wins");
    expect(res.conflicts.map((c) => [c.local.value, c.remote.value])).to.deep.equal([["v2", "other"]]);
  });

  it("the echo of a sent delete commits it; a re-create after it stays pending, recorded as replacing a delete that may have been another client's", () => {
    const k = `phone.wavi${A}`;
    store.putLocal(k, "v1");
    applyPushOutcomes(store, [{ kind: "committed", atKey: k, changeIds: store.pendingChanges().map((c) => c.id), commitId: 3 }], clock.now());
    const del = store.deleteLocal(k).outboxId!;
    send(k);
    const again = store.putLocal(k, "v2").outboxId!;
    const res = applyRemotePage(store, [echo(k, 4, null)], "remote-wins");
    // Two deletes look alike on the wire: the re-create stands, and the record says what it replaced.
    expect(res.conflicts.map((c) => [c.winner, c.local.value, c.remote.op])).to.deep.equal([["local", "v2", "-"]]);
    expect(store.change(del)?.state).to.equal("committed");
    expect(store.change(again)?.state).to.equal("pending");
    expect(store.get(k)?.value).to.equal("v2");
  });

  it("an acknowledged command retires older pending rows of its key (a failed delete before a re-create)", () => {
    const k = `phone.wavi${A}`;
    const del = store.deleteLocal(k).outboxId!;
    const put = store.putLocal(k, "v").outboxId!;
    const other = store.putLocal(`x.wavi${A}`, "x").outboxId!;
    applyPushOutcomes(store, [
      { kind: "retry", atKey: k, changeIds: [del], code: "AT0024", error: "paused" },
      { kind: "committed", atKey: k, changeIds: [put], commitId: 9 },
    ], clock.now());
    expect(store.change(del)).to.include({ state: "committed", commitId: 9 });
    expect(store.change(other)?.state).to.equal("pending");
  });

  it("migrates a version-1 file: pending rows survive and can be marked sent", () => {
    store.close();
    const path = join(dir, "old.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE keys (at_key TEXT PRIMARY KEY, value TEXT, metadata TEXT NOT NULL DEFAULT '{}', deleted INTEGER NOT NULL DEFAULT 0,
        commit_id INTEGER, updated_at_ms INTEGER NOT NULL, resync_seen INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID;
      CREATE TABLE changes (id INTEGER PRIMARY KEY AUTOINCREMENT, at_key TEXT NOT NULL, op TEXT NOT NULL CHECK (op IN ('+', '#', '*', '-')),
        created_at_ms INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'committed', 'rejected', 'superseded')),
        commit_id INTEGER, attempts INTEGER NOT NULL DEFAULT 0, next_retry_at_ms INTEGER NOT NULL DEFAULT 0, last_error TEXT);
      CREATE INDEX changes_by_state_key ON changes (state, at_key);
      CREATE TABLE sync_state (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE conflicts (id INTEGER PRIMARY KEY AUTOINCREMENT, at_key TEXT NOT NULL, policy TEXT NOT NULL, winner TEXT NOT NULL,
        local_op TEXT NOT NULL, local_value TEXT, local_metadata TEXT, local_time_ms INTEGER, remote_op TEXT NOT NULL, remote_value TEXT,
        remote_metadata TEXT, remote_time_ms INTEGER, remote_commit_id INTEGER NOT NULL, detected_at_ms INTEGER NOT NULL, resolved INTEGER NOT NULL DEFAULT 0);
      INSERT INTO keys (at_key, value, updated_at_ms) VALUES ('old.wavi${A}', 'v', 1);
      INSERT INTO changes (at_key, op, created_at_ms) VALUES ('old.wavi${A}', '*', 1);
      PRAGMA user_version = 1;`);
    db.close();
    store = SqliteStore.open({ path, clock });
    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).to.equal(SCHEMA_VERSION);
    check.close();
    expect(store.pendingChanges().map((c) => c.atKey)).to.deep.equal([`old.wavi${A}`]);
    send(`old.wavi${A}`);
    const res = applyRemotePage(store, [echo(`old.wavi${A}`, 2, "v")], "remote-wins");
    expect(res.conflicts).to.deep.equal([]);
    expect(store.change(1 as OutboxId)?.state).to.equal("committed");
  });
});
