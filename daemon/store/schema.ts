// The store's schema as an ordered list of migrations, tracked by `PRAGMA user_version`.
import type Database from "better-sqlite3";
import { StoreError } from "./StoreError.js";

/** Each entry moves the schema from version i to i+1. Never edit a released entry: append. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE keys (
    at_key TEXT PRIMARY KEY,
    value TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    deleted INTEGER NOT NULL DEFAULT 0,
    commit_id INTEGER,
    updated_at_ms INTEGER NOT NULL,
    resync_seen INTEGER NOT NULL DEFAULT 1
  ) WITHOUT ROWID;
  CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_key TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('+', '#', '*', '-')),
    created_at_ms INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'committed', 'rejected', 'superseded')),
    commit_id INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_retry_at_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE INDEX changes_by_state_key ON changes (state, at_key);
  CREATE TABLE sync_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_key TEXT NOT NULL,
    policy TEXT NOT NULL,
    winner TEXT NOT NULL CHECK (winner IN ('local', 'remote')),
    local_op TEXT NOT NULL,
    local_value TEXT,
    local_metadata TEXT,
    local_time_ms INTEGER,
    remote_op TEXT NOT NULL,
    remote_value TEXT,
    remote_metadata TEXT,
    remote_time_ms INTEGER,
    remote_commit_id INTEGER NOT NULL,
    detected_at_ms INTEGER NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0
  );
  `,
  // What each outbox row last carried to the server, so a pull recognises the echo of a push
  // whose reply was lost (a cut, a killed process) instead of taking it for another device's write.
  `ALTER TABLE changes ADD COLUMN sent TEXT;`,
  // prune() runs after every sync run: without it, finding tombstones scans every key.
  `CREATE INDEX keys_tombstones ON keys (commit_id) WHERE deleted = 1;`,
  // The server's clock at which the server held each key's version: orders versions across a
  // server restore, where commit ids restart (daemon/core/decidePage.ts).
  `ALTER TABLE keys ADD COLUMN server_time_ms INTEGER;`,
  // Tombstones are kept for ever now (a restore can bring back any old version), and the
  // repair's "not seen yet" marks are looked up by value.
  `DROP INDEX keys_tombstones; CREATE INDEX keys_unseen ON keys (at_key) WHERE resync_seen = 0;`,
  // An upper bound of the server's clock when it applied our acknowledged push (the ack's receipt,
  // on the server's clock), until its echo tells the exact time: orders it across a restore.
  `ALTER TABLE keys ADD COLUMN server_time_bound_ms INTEGER;`,
  // A row a repair queued again re-pushes a version the server lost: for last-writer-wins it is
  // as old as that version (the server's clock), not as the repair.
  `ALTER TABLE changes ADD COLUMN version_time_ms INTEGER;`,
  // Each key's namespace (keyListing.ts namespaceOf, registered as atsync_namespace by
  // SqliteStore.open), so a listing by namespace is an index search, not a scan of every key.
  `ALTER TABLE keys ADD COLUMN namespace TEXT;
   UPDATE keys SET namespace = atsync_namespace(at_key);
   CREATE INDEX keys_by_namespace ON keys (namespace) WHERE namespace IS NOT NULL AND deleted = 0;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file to SCHEMA_VERSION; refuses a file written by a newer atsyncd. */
export function migrate(db: Database.Database): void {
  const current = db.pragma("user_version", { simple: true });
  if (typeof current !== "number") throw new StoreError("STORE_CORRUPT", "user_version is not a number");
  if (current > SCHEMA_VERSION) {
    throw new StoreError("STORE_SCHEMA_TOO_NEW", `store schema ${current} is newer than this atsyncd (${SCHEMA_VERSION})`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    const sql = MIGRATIONS[v];
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
