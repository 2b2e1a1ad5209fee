// What only SqliteStore does: its file (mode, WAL, reopen), its schema versions and migrations.
// What every Store does is the store contract's (test/contracts/runStoreContract.ts).
import { expect } from "chai";
import Database from "better-sqlite3";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coalesceKey } from "../../daemon/core/pushPlan.js";
import type { OutboxId } from "../../daemon/core/types.js";
import { SqliteStore, STORE_CACHE_KIB } from "../../daemon/store/SqliteStore.js";
import { SCHEMA_VERSION } from "../../daemon/store/schema.js";
import { StoreError } from "../../daemon/store/StoreError.js";
import { applyRemotePage, markSent } from "../support/engine.js";
import { ManualClock } from "../sync/support/ManualClock.js";

const A = "@alice🛠";

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

  it("refuses a store file that is a symlink, leaving its target untouched, and tightens one left 0644", () => {
    const target = join(dir, "elsewhere");
    writeFileSync(target, "not yours", { mode: 0o644 });
    const link = join(dir, "bob.db");
    symlinkSync(target, link);
    expect(() => SqliteStore.open({ path: link, clock })).to.throw(StoreError, `the store file ${link} is a symlink; atsyncd refuses to open it`)
      .with.property("code", "STORE_NOT_OURS");
    expect([readFileSync(target, "utf8"), statSync(target).mode & 0o777]).to.deep.equal(["not yours", 0o644]);
    const wal = join(dir, "carol.db-wal");
    symlinkSync(target, wal);
    expect(() => SqliteStore.open({ path: join(dir, "carol.db"), clock })).to.throw(StoreError, `the store file ${wal} is a symlink`);
    store.close();
    chmodSync(join(dir, "alice.db"), 0o644);
    store = SqliteStore.open({ path: join(dir, "alice.db"), clock });
    expect(statSync(join(dir, "alice.db")).mode & 0o777).to.equal(0o600);
  });

  it("refuses a store file, or its -wal, that belongs to another uid, leaving it as it is", function () {
    // chown to another uid needs root (CI runs as root).
    if (process.getuid?.() !== 0) {
      process.stdout.write("      (skipped: needs root, to chown a file to another uid)\n");
      this.skip();
    }
    const theirs = join(dir, "bob.db");
    writeFileSync(theirs, "", { mode: 0o644 });
    chownSync(theirs, 65534, 65534);
    expect(() => SqliteStore.open({ path: theirs, clock })).to.throw(StoreError,
      `the store file ${theirs} belongs to uid 65534, not to uid 0; atsyncd refuses to open it: move it away and restart atsyncd (the store is pulled again)`)
      .with.property("code", "STORE_NOT_OURS");
    // Neither tightened nor written to: the owner's file is not ours to change.
    expect([statSync(theirs).uid, statSync(theirs).mode & 0o777, readFileSync(theirs, "utf8")]).to.deep.equal([65534, 0o644, ""]);
    const wal = join(dir, "carol.db-wal");
    writeFileSync(wal, "", { mode: 0o600 });
    chownSync(wal, 65534, 65534);
    expect(() => SqliteStore.open({ path: join(dir, "carol.db"), clock })).to.throw(StoreError, `the store file ${wal} belongs to uid 65534, not to uid 0`)
      .with.property("code", "STORE_NOT_OURS");
    expect(statSync(wal).uid).to.equal(65534);
  });

  it("creates a 0600 WAL file at the current schema version, and keeps keys, outbox, sync state and conflicts across reopen", () => {
    const path = join(dir, "alice.db");
    store.putLocal(`phone.wavi${A}`, "c1");
    store.apply([
      { op: "setSyncState", patch: { lastReceivedCommitId: 4, probes: [{ atKey: `phone.wavi${A}`, commitId: 4, operation: "*", updatedAt: null }] } },
      { op: "insertConflict", conflict: {
        atKey: `phone.wavi${A}`, policy: "local-wins", winner: "local", detectedAtMs: 1, resolved: false,
        local: { op: "*", value: "c1", metadata: null, timeMs: 1 }, remote: { op: "-", value: null, metadata: null, timeMs: null, commitId: 4 },
      } },
    ]);
    const before = { pending: store.pendingChanges(), state: store.syncState(), conflicts: store.listConflicts() };
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(f).mode & 0o777, f).to.equal(0o600);
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).to.equal("wal");
    expect(db.pragma("user_version", { simple: true })).to.equal(SCHEMA_VERSION);
    db.close();
    store = SqliteStore.open({ path, clock });
    expect(store.get(`phone.wavi${A}`)?.value).to.equal("c1");
    expect({ pending: store.pendingChanges(), state: store.syncState(), conflicts: store.listConflicts() }).to.deep.equal(before);
    expect(before.pending).to.have.length(1);
    expect(before.conflicts).to.have.length(1);
  });

  it("holds at most 1 MB of the file in its page cache, not better-sqlite3's 16 MB, and says so with the file's size", () => {
    store.putManyLocal(Array.from({ length: 3000 }, (_, i) => ({ atKey: `k${i}.bench${A}`, value: "x".repeat(400), metadata: {} })));
    const facts = store.cacheFacts();
    expect(facts.cacheLimitBytes).to.equal(STORE_CACHE_KIB * 1024).and.to.equal(1 << 20);
    // More than the cache holds, so the bound is the one in effect.
    expect(facts.pages * facts.pageSize).to.be.greaterThan(facts.cacheLimitBytes);
    // Another connection to the same file gets the build's default: the bound is the store's own.
    const db = new Database(join(dir, "alice.db"), { readonly: true });
    expect(db.pragma("cache_size", { simple: true })).to.equal(-16000);
    db.close();
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
    const k = `old.wavi${A}`;
    markSent(store, coalesceKey(store.pendingChanges(), store.get(k)));
    const res = applyRemotePage(store, [{ atKey: k, commitId: 2, operation: "*", value: "v", metadata: { isBinary: false, isEncrypted: false, updatedAt: "2026-11-22 12:00:00.000Z" } }], "remote-wins");
    expect(res.conflicts).to.deep.equal([]);
    expect(store.change(1 as OutboxId)?.state).to.equal("committed");
  });
});
