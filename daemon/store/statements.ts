// Prepared statements of the store, prepared once per open file.
import type Database from "better-sqlite3";
import type { PageStatements } from "./applyRemotePage.js";
import type { ChangeRow, ConflictRow } from "./rows.js";

export interface Statements extends PageStatements {
  upsertLocal: Database.Statement<[string, string | null, string, number, number]>;
  insertChange: Database.Statement<[string, string, number]>;
  listLive: Database.Statement<[], { at_key: string }>;
  changesInState: Database.Statement<[string], ChangeRow>;
  changeById: Database.Statement<[number], ChangeRow>;
  pendingKeys: Database.Statement<[], { at_key: string }>;
  nextRetry: Database.Statement<[], { t: number | null }>;
  commitChange: Database.Statement<[number | null, number]>;
  rejectChange: Database.Statement<[string, number]>;
  retryChange: Database.Statement<[string, number, number]>;
  raiseKeyCommit: Database.Statement<[number, string]>;
  clearKeyCommits: Database.Statement<[]>;
  unseenLive: Database.Statement<[], { at_key: string }>;
  resetSeen: Database.Statement<[]>;
  allConflicts: Database.Statement<[], ConflictRow>;
  unresolvedConflicts: Database.Statement<[], ConflictRow>;
  countUnresolved: Database.Statement<[], { n: number }>;
  resolveConflict: Database.Statement<[string | null, number]>;
  pruneChanges: Database.Statement<[number]>;
  pruneTombstones: Database.Statement<[number]>;
  markSent: Database.Statement<[string, number]>;
  commitEarlierOfKey: Database.Statement<[number | null, string, number]>;
}

export function prepareStatements(db: Database.Database): Statements {
  return {
    getKey: db.prepare("SELECT * FROM keys WHERE at_key = ?"),
    pendingForKey: db.prepare("SELECT * FROM changes WHERE state = 'pending' AND at_key = ? ORDER BY id"),
    countPending: db.prepare("SELECT COUNT(*) AS n FROM changes WHERE state = 'pending'"),
    upsertRemote: db.prepare(
      `INSERT INTO keys (at_key, value, metadata, deleted, commit_id, updated_at_ms, resync_seen) VALUES (?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (at_key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, deleted = excluded.deleted,
         commit_id = excluded.commit_id, updated_at_ms = excluded.updated_at_ms, resync_seen = 1`,
    ),
    upsertIfNewer: db.prepare(
      `INSERT INTO keys (at_key, value, metadata, deleted, commit_id, updated_at_ms, resync_seen) VALUES (?, ?, ?, 0, ?, ?, 1)
       ON CONFLICT (at_key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, deleted = 0,
         commit_id = excluded.commit_id, updated_at_ms = excluded.updated_at_ms, resync_seen = 1
       WHERE keys.commit_id IS NULL OR keys.commit_id < excluded.commit_id`,
    ),
    setKeyCommit: db.prepare("UPDATE keys SET commit_id = ? WHERE at_key = ?"),
    markSeen: db.prepare("UPDATE keys SET resync_seen = 1 WHERE at_key = ?"),
    supersede: db.prepare("UPDATE changes SET state = 'superseded' WHERE at_key = ? AND state = 'pending'"),
    upgradeMetaOnly: db.prepare("UPDATE changes SET op = '*' WHERE at_key = ? AND state = 'pending' AND op = '#'"),
    commitPendingOfKey: db.prepare(
      "UPDATE changes SET state = 'committed', commit_id = ?, sent = NULL WHERE at_key = ? AND state = 'pending'",
    ),
    commitPendingUpTo: db.prepare(
      "UPDATE changes SET state = 'committed', commit_id = ?, sent = NULL WHERE at_key = ? AND state = 'pending' AND id <= ?",
    ),
    insertConflict: db.prepare(
      `INSERT INTO conflicts (at_key, policy, winner, local_op, local_value, local_metadata, local_time_ms,
         remote_op, remote_value, remote_metadata, remote_time_ms, remote_commit_id, detected_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    upsertLocal: db.prepare(
      `INSERT INTO keys (at_key, value, metadata, deleted, commit_id, updated_at_ms) VALUES (?, ?, ?, ?, NULL, ?)
       ON CONFLICT (at_key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, deleted = excluded.deleted,
         updated_at_ms = excluded.updated_at_ms`,
    ),
    insertChange: db.prepare("INSERT INTO changes (at_key, op, created_at_ms) VALUES (?, ?, ?)"),
    listLive: db.prepare("SELECT at_key FROM keys WHERE deleted = 0 ORDER BY at_key"),
    changesInState: db.prepare("SELECT * FROM changes WHERE state = ? ORDER BY id"),
    changeById: db.prepare("SELECT * FROM changes WHERE id = ?"),
    pendingKeys: db.prepare("SELECT DISTINCT at_key FROM changes WHERE state = 'pending'"),
    nextRetry: db.prepare("SELECT MIN(next_retry_at_ms) AS t FROM changes WHERE state = 'pending' AND attempts > 0"),
    commitChange: db.prepare(
      "UPDATE changes SET state = 'committed', commit_id = ?, last_error = NULL, sent = NULL WHERE id = ? AND state = 'pending'",
    ),
    rejectChange: db.prepare(
      "UPDATE changes SET state = 'rejected', attempts = attempts + 1, last_error = ?, sent = NULL WHERE id = ? AND state = 'pending'",
    ),
    retryChange: db.prepare(
      "UPDATE changes SET attempts = attempts + 1, last_error = ?, next_retry_at_ms = ? WHERE id = ? AND state = 'pending'",
    ),
    raiseKeyCommit: db.prepare("UPDATE keys SET commit_id = MAX(COALESCE(commit_id, -1), ?) WHERE at_key = ?"),
    clearKeyCommits: db.prepare("UPDATE keys SET commit_id = NULL, resync_seen = 0"),
    unseenLive: db.prepare(
      `SELECT at_key FROM keys WHERE resync_seen = 0 AND deleted = 0
         AND at_key NOT IN (SELECT at_key FROM changes WHERE state = 'pending')`,
    ),
    resetSeen: db.prepare("UPDATE keys SET resync_seen = 1 WHERE resync_seen = 0"),
    allConflicts: db.prepare("SELECT * FROM conflicts ORDER BY id"),
    unresolvedConflicts: db.prepare("SELECT * FROM conflicts WHERE resolved = 0 ORDER BY id"),
    countUnresolved: db.prepare("SELECT COUNT(*) AS n FROM conflicts WHERE resolved = 0"),
    resolveConflict: db.prepare("UPDATE conflicts SET resolved = 1, winner = coalesce(?, winner) WHERE id = ? AND resolved = 0"),
    pruneChanges: db.prepare(
      "DELETE FROM changes WHERE state IN ('committed', 'superseded') AND id <= (SELECT MAX(id) FROM changes) - ?",
    ),
    // The first state a row went out with; a later send of the same row carries a newer row's state too.
    markSent: db.prepare("UPDATE changes SET sent = ? WHERE id = ? AND state = 'pending' AND sent IS NULL"),
    commitEarlierOfKey: db.prepare(
      "UPDATE changes SET state = 'committed', commit_id = ?, last_error = NULL, sent = NULL WHERE at_key = ? AND state = 'pending' AND id < ?",
    ),
    pruneTombstones: db.prepare(
      `DELETE FROM keys WHERE deleted = 1 AND commit_id IS NOT NULL AND commit_id <= ?
         AND at_key NOT IN (SELECT at_key FROM changes WHERE state = 'pending')`,
    ),
  };
}
