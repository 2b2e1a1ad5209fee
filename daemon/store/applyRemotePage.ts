// The body of the pull transaction: applies one `sync:from` page under the conflict policy.
// Runs inside SqliteStore's transaction; synchronous, no I/O beyond the database.
import type Database from "better-sqlite3";
import { parseDartDate } from "../../protocol/metadata.js";
import { resolveConflict, sidesDiffer } from "../core/conflict.js";
import type { AtMetadata } from "../../protocol/metadata.js";
import { isChangeOp, type ConflictPolicy, type ConflictRecord, type ConflictSide, type RemoteEntry } from "../core/types.js";
import type { ChangeRow, KeyRow } from "./rows.js";
import { parseMetadataJson } from "./rows.js";

export interface RemoteKeyChange {
  atKey: string;
  op: "update" | "delete";
  commitId: number;
}

export interface RemoteApplyResult {
  /** Keys whose local state changed because of the server (for `key changed`, origin remote). */
  changed: RemoteKeyChange[];
  conflicts: ConflictRecord[];
  /** The last received server commit id after this page. */
  lastReceivedCommitId: number;
}

export interface PageStatements {
  getKey: Database.Statement<[string], KeyRow>;
  pendingForKey: Database.Statement<[string], ChangeRow>;
  countPending: Database.Statement<[], { n: number }>;
  upsertRemote: Database.Statement<[string, string | null, string, number, number, number]>;
  upsertIfNewer: Database.Statement<[string, string, string, number, number]>;
  setKeyCommit: Database.Statement<[number, string]>;
  markSeen: Database.Statement<[string]>;
  supersede: Database.Statement<[string]>;
  upgradeMetaOnly: Database.Statement<[string]>;
  commitPendingOfKey: Database.Statement<[number, string]>;
  commitPendingUpTo: Database.Statement<[number, string, number]>;
  insertConflict: Database.Statement<
    [string, string, string, string, string | null, string | null, number | null, string, string | null, string | null, number | null, number, number]
  >;
}

function timeOf(updatedAt: string | undefined): number | null {
  if (updatedAt === undefined) return null;
  try {
    const ms = parseDartDate(updatedAt);
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

function metaJson(m: object | null): string | null {
  return m === null ? null : JSON.stringify(m);
}

function sentSide(json: string | null): ConflictSide | null {
  if (json === null) return null;
  try {
    const v = JSON.parse(json) as { op?: unknown; value?: unknown; metadata?: unknown };
    if (!isChangeOp(v.op)) return null;
    const metadata = v.metadata !== null && typeof v.metadata === "object" ? (v.metadata as AtMetadata) : null;
    return { op: v.op, value: typeof v.value === "string" ? v.value : null, metadata, timeMs: null };
  } catch {
    return null;
  }
}

/** The highest pending row whose sent state is what this server entry holds, if any. */
function lastEchoed(pending: readonly ChangeRow[], e: RemoteEntry): number | undefined {
  const remote: ConflictSide = { op: e.operation, value: e.value, metadata: e.metadata, timeMs: null };
  for (let i = pending.length - 1; i >= 0; i--) {
    const row = pending[i]!;
    const sent = sentSide(row.sent);
    if (sent && !sidesDiffer(sent, remote)) return row.id;
  }
  return undefined;
}

/** Applies the entries in order; call inside a transaction. */
export function applyEntries(
  st: PageStatements,
  entries: readonly RemoteEntry[],
  policy: ConflictPolicy,
  nowMs: number,
  startCommitId: number,
  resync: boolean,
): RemoteApplyResult {
  const changed: RemoteKeyChange[] = [];
  const conflicts: ConflictRecord[] = [];
  let last = startCommitId;
  // Most pages meet an empty outbox: skip the per-key outbox query then.
  const anyPending = (st.countPending.get()?.n ?? 0) > 0;
  for (const e of entries) {
    if (e.commitId > last) last = e.commitId;
    const atKey = e.atKey.toLowerCase();
    if (!anyPending && !resync && e.operation !== "-") {
      // The common case (initial sync, another device's writes): one statement per entry,
      // which skips our own echoes and older states by the key's commit id.
      const done = st.upsertIfNewer.run(atKey, e.value ?? "", JSON.stringify(e.metadata ?? {}), e.commitId, nowMs);
      if (done.changes > 0) changed.push({ atKey, op: "update", commitId: e.commitId });
      continue;
    }
    const row = st.getKey.get(atKey);
    if (resync && row) st.markSeen.run(atKey);
    // Our own acknowledged push, or an older state than one we hold: nothing to do.
    if (row && row.commit_id !== null && e.commitId <= row.commit_id) continue;
    const remoteDeleted = e.operation === "-";
    const pending = anyPending ? st.pendingForKey.all(atKey) : [];
    const latest = pending[pending.length - 1];
    if (latest) {
      const echo = lastEchoed(pending, e);
      if (echo !== undefined) {
        // The echo of a push whose reply we never saw (a cut, a killed process): those rows are
        // done; rows written after it stay pending and go out next. Not a conflict with ourselves.
        st.commitPendingUpTo.run(e.commitId, atKey, echo);
        if (row) st.setKeyCommit.run(e.commitId, atKey);
        continue;
      }
      const localDeleted = !row || row.deleted !== 0;
      const local: ConflictSide = {
        op: localDeleted ? "-" : (latest.op as ConflictSide["op"]),
        value: localDeleted ? null : row.value,
        metadata: localDeleted ? null : parseMetadataJson(row.metadata),
        timeMs: latest.created_at_ms,
      };
      const remote: ConflictSide = {
        op: e.operation,
        value: remoteDeleted ? null : e.value,
        metadata: remoteDeleted ? null : e.metadata,
        timeMs: remoteDeleted ? null : timeOf(e.metadata?.updatedAt),
      };
      if (!sidesDiffer(local, remote)) {
        // The server already holds what we were going to send.
        st.commitPendingOfKey.run(e.commitId, atKey);
        if (row) st.setKeyCommit.run(e.commitId, atKey);
        continue;
      }
      const winner = resolveConflict(policy, local, remote);
      const info = st.insertConflict.run(
        atKey, policy, winner,
        local.op, local.value, metaJson(local.metadata), local.timeMs,
        remote.op, remote.value, metaJson(remote.metadata), remote.timeMs,
        e.commitId, nowMs,
      );
      conflicts.push({
        id: Number(info.lastInsertRowid), atKey, policy, winner, local,
        remote: { ...remote, commitId: e.commitId }, detectedAtMs: nowMs, resolved: false,
      });
      if (winner === "local") {
        // Remember the server state we saw, so its echo is not a conflict again; our push overwrites it.
        if (row) st.setKeyCommit.run(e.commitId, atKey);
        // A winning meta-only change must carry the value too, or the server keeps the other value.
        st.upgradeMetaOnly.run(atKey);
        continue;
      }
      st.supersede.run(atKey);
    }
    if (remoteDeleted) {
      // A tombstone even for a key we never had: it keeps an older entry of the key, applied
      // later by a parallel pull, from bringing it back.
      st.upsertRemote.run(atKey, null, "{}", 1, e.commitId, nowMs);
      if (row && row.deleted === 0) changed.push({ atKey, op: "delete", commitId: e.commitId });
    } else {
      st.upsertRemote.run(atKey, e.value ?? "", JSON.stringify(e.metadata ?? {}), 0, e.commitId, nowMs);
      changed.push({ atKey, op: "update", commitId: e.commitId });
    }
  }
  return { changed, conflicts, lastReceivedCommitId: last };
}
