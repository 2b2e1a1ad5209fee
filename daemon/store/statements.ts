// Prepared statements of the store, prepared once per open file.
import type Database from "better-sqlite3";
import type { ChangeRow, ConflictRow, KeyRow } from "./rows.js";

export interface Statements {
  getKey: Database.Statement<[string], KeyRow>;
  keysIn: Database.Statement<[string], KeyRow>;
  pendingIn: Database.Statement<[string], ChangeRow>;
  countPending: Database.Statement<[], { n: number }>;
  unseenKeys: Database.Statement<[], KeyRow>;
  keysUpTo: Database.Statement<[number, number], KeyRow>;
  putRemote: Database.Statement<[string, string | null, string, number, number, number | null, number, string | null]>;
  verifyKey: Database.Statement<[number | null, number | null, string]>;
  verifyKeyMeta: Database.Statement<[number | null, number | null, string, string]>;
  markSeen: Database.Statement<[string]>;
  boundServerTime: Database.Statement<[number, string]>;
  markAllUnseen: Database.Statement<[]>;
  markSent: Database.Statement<[string, number]>;
  boundSent: Database.Statement<[number]>;
  commitChange: Database.Statement<[number | null, number]>;
  rejectChange: Database.Statement<[string, number]>;
  retryChange: Database.Statement<[string, number, number]>;
  supersede: Database.Statement<[string]>;
  upgradeMetaOnly: Database.Statement<[string]>;
  insertChange: Database.Statement<[string, string, number]>;
  requeueChange: Database.Statement<[string, string, number, number | null]>;
  insertConflict: Database.Statement<[string, string, string, string, string | null, string | null, number | null, string, string | null, string | null, number | null, number, number]>;
  upsertLocal: Database.Statement<[string, string | null, string, number, number, string | null]>;
  changesInState: Database.Statement<[string], ChangeRow>;
  countInState: Database.Statement<[string], { n: number }>;
  changeById: Database.Statement<[number], ChangeRow>;
  pendingKeys: Database.Statement<[], { at_key: string }>;
  pendingRetries: Database.Statement<[], { at_key: string; t: number }>;
  allConflicts: Database.Statement<[], ConflictRow>;
  unresolvedConflicts: Database.Statement<[], ConflictRow>;
  countUnresolved: Database.Statement<[], { n: number }>;
  resolveConflict: Database.Statement<[string | null, number]>;
  pruneChanges: Database.Statement<[number]>;
}

export function prepareStatements(db: Database.Database): Statements {
  return {
    getKey: db.prepare<[string], KeyRow>("SELECT * FROM keys WHERE at_key = ?"),
    keysIn: db.prepare<[string], KeyRow>("SELECT * FROM keys WHERE at_key IN (SELECT value FROM json_each(?))"),
    pendingIn: db.prepare<[string], ChangeRow>(
      "SELECT * FROM changes WHERE state = 'pending' AND at_key IN (SELECT value FROM json_each(?)) ORDER BY id",
    ),
    countPending: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM changes WHERE state = 'pending'"),
    unseenKeys: db.prepare<[], KeyRow>("SELECT * FROM keys WHERE resync_seen = 0"),
    keysUpTo: db.prepare<[number, number], KeyRow>("SELECT * FROM keys WHERE commit_id IS NOT NULL AND commit_id <= ? LIMIT ?"),
    // ---- what ops do ----
    // The namespace is the key's (keyListing.ts namespaceOf): set once, when the row is made.
    putRemote: db.prepare<[string, string | null, string, number, number, number | null, number, string | null]>(
      `INSERT INTO keys (at_key, value, metadata, deleted, commit_id, server_time_ms, updated_at_ms, resync_seen, namespace) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (at_key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, deleted = excluded.deleted,
         commit_id = excluded.commit_id, server_time_ms = excluded.server_time_ms, updated_at_ms = excluded.updated_at_ms, resync_seen = 1,
         server_time_bound_ms = NULL`,
    ),
    verifyKey: db.prepare<[number | null, number | null, string]>("UPDATE keys SET commit_id = ?, server_time_ms = ? WHERE at_key = ?"),
    verifyKeyMeta: db.prepare<[number | null, number | null, string, string]>(
      "UPDATE keys SET commit_id = ?, server_time_ms = ?, metadata = ? WHERE at_key = ?",
    ),
    markSeen: db.prepare<[string]>("UPDATE keys SET resync_seen = 1 WHERE at_key = ?"),
    boundServerTime: db.prepare<[number, string]>("UPDATE keys SET server_time_bound_ms = ? WHERE at_key = ?"),
    markAllUnseen: db.prepare<[]>("UPDATE keys SET resync_seen = 0"),
    markSent: db.prepare<[string, number]>("UPDATE changes SET sent = ? WHERE id = ? AND state = 'pending'"),
    boundSent: db.prepare<[number]>(
      "UPDATE changes SET sent = json_set(sent, '$.maxCommitId', ?) WHERE state = 'pending' AND sent IS NOT NULL AND json_extract(sent, '$.maxCommitId') IS NULL",
    ),
    commitChange: db.prepare<[number | null, number]>(
      "UPDATE changes SET state = 'committed', commit_id = ?, last_error = NULL, sent = NULL WHERE id = ? AND state = 'pending'",
    ),
    rejectChange: db.prepare<[string, number]>(
      "UPDATE changes SET state = 'rejected', attempts = attempts + 1, last_error = ?, sent = NULL WHERE id = ? AND state = 'pending'",
    ),
    retryChange: db.prepare<[string, number, number]>(
      "UPDATE changes SET attempts = attempts + 1, last_error = ?, next_retry_at_ms = ? WHERE id = ? AND state = 'pending'",
    ),
    supersede: db.prepare<[string]>("UPDATE changes SET state = 'superseded' WHERE at_key = ? AND state = 'pending'"),
    upgradeMetaOnly: db.prepare<[string]>("UPDATE changes SET op = '*' WHERE at_key = ? AND state = 'pending' AND op = '#'"),
    insertChange: db.prepare<[string, string, number]>("INSERT INTO changes (at_key, op, created_at_ms) VALUES (?, ?, ?)"),
    requeueChange: db.prepare<[string, string, number, number | null]>("INSERT INTO changes (at_key, op, created_at_ms, version_time_ms) VALUES (?, ?, ?, ?)"),
    insertConflict: db.prepare<
      [string, string, string, string, string | null, string | null, number | null, string, string | null, string | null, number | null, number, number]
    >(
      `INSERT INTO conflicts (at_key, policy, winner, local_op, local_value, local_metadata, local_time_ms,
         remote_op, remote_value, remote_metadata, remote_time_ms, remote_commit_id, detected_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // ---- local writes ----
    upsertLocal: db.prepare<[string, string | null, string, number, number, string | null]>(
      `INSERT INTO keys (at_key, value, metadata, deleted, commit_id, updated_at_ms, namespace) VALUES (?, ?, ?, ?, NULL, ?, ?)
       ON CONFLICT (at_key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, deleted = excluded.deleted,
         updated_at_ms = excluded.updated_at_ms`,
    ),
    // ---- reads ----
    changesInState: db.prepare<[string], ChangeRow>("SELECT * FROM changes WHERE state = ? ORDER BY id"),
    countInState: db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM changes WHERE state = ?"),
    changeById: db.prepare<[number], ChangeRow>("SELECT * FROM changes WHERE id = ?"),
    pendingKeys: db.prepare<[], { at_key: string }>("SELECT DISTINCT at_key FROM changes WHERE state = 'pending'"),
    pendingRetries: db.prepare<[], { at_key: string; t: number }>(
      "SELECT at_key, MIN(next_retry_at_ms) AS t FROM changes WHERE state = 'pending' AND attempts > 0 GROUP BY at_key",
    ),
    allConflicts: db.prepare<[], ConflictRow>("SELECT * FROM conflicts ORDER BY id"),
    unresolvedConflicts: db.prepare<[], ConflictRow>("SELECT * FROM conflicts WHERE resolved = 0 ORDER BY id"),
    countUnresolved: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM conflicts WHERE resolved = 0"),
    resolveConflict: db.prepare<[string | null, number]>("UPDATE conflicts SET resolved = 1, winner = coalesce(?, winner) WHERE id = ? AND resolved = 0"),
    pruneChanges: db.prepare<[number]>(
      "DELETE FROM changes WHERE state IN ('committed', 'superseded') AND id <= (SELECT MAX(id) FROM changes) - ?",
    ),
  };
}
