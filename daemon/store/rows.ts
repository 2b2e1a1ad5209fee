// Row shapes of the store's tables and their conversion to the core's plain data.
import type { AtMetadata } from "../../protocol/metadata.js";
import type { ChangeRecord, ConflictRecord, KeyFacts, KeyRecord, LocalKey, OutboxId, PendingChange } from "../core/types.js";
import { isChangeOp, isConflictPolicy } from "../core/types.js";
import { StoreError } from "./StoreError.js";

export interface KeyRow {
  at_key: string;
  value: string | null;
  metadata: string;
  deleted: number;
  commit_id: number | null;
  updated_at_ms: number;
  server_time_ms: number | null;
  /** Absent in rows built before schema 6 (test/support/MemoryStore.ts fills it). */
  server_time_bound_ms?: number | null;
  resync_seen: number;
  /** keyListing.ts namespaceOf(at_key); absent in rows built before schema 8. */
  namespace?: string | null;
}

export interface ChangeRow {
  id: number;
  at_key: string;
  op: string;
  created_at_ms: number;
  state: string;
  commit_id: number | null;
  attempts: number;
  next_retry_at_ms: number;
  last_error: string | null;
  /** JSON of the SentState the row first went out with (core/pushPlan.ts); null before it was sent. */
  sent: string | null;
  /** Absent in rows built before schema 7 (test/support/MemoryStore.ts fills it). */
  version_time_ms?: number | null;
}

export interface ConflictRow {
  id: number;
  at_key: string;
  policy: string;
  winner: string;
  local_op: string;
  local_value: string | null;
  local_metadata: string | null;
  local_time_ms: number | null;
  remote_op: string;
  remote_value: string | null;
  remote_metadata: string | null;
  remote_time_ms: number | null;
  remote_commit_id: number;
  detected_at_ms: number;
  resolved: number;
}

export function parseMetadataJson(text: string): AtMetadata {
  const v: unknown = JSON.parse(text);
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new StoreError("STORE_CORRUPT", "metadata is not an object");
  return v as AtMetadata;
}

function parseOptionalMetadata(text: string | null): AtMetadata | null {
  return text === null ? null : parseMetadataJson(text);
}

/** Only for rows that are not tombstones. */
export function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    atKey: row.at_key,
    value: row.value ?? "",
    metadata: parseMetadataJson(row.metadata),
    commitId: row.commit_id,
    updatedAtMs: row.updated_at_ms,
  };
}

export function toLocalKey(row: KeyRow): LocalKey {
  const deleted = row.deleted !== 0;
  return {
    atKey: row.at_key,
    value: deleted ? null : (row.value ?? ""),
    metadata: deleted ? null : parseMetadataJson(row.metadata),
    deleted,
    commitId: row.commit_id,
    serverTimeMs: row.server_time_ms,
    seen: row.resync_seen !== 0,
    ...(row.server_time_bound_ms != null ? { serverTimeBoundMs: row.server_time_bound_ms } : {}),
  };
}

function parseSent(json: string | null): PendingChange["sent"] {
  if (json === null) return null;
  try {
    const v = JSON.parse(json) as { op?: unknown; value?: unknown; metadata?: unknown; maxCommitId?: unknown };
    if (!isChangeOp(v.op)) return null;
    const metadata = v.metadata !== null && typeof v.metadata === "object" ? (v.metadata as AtMetadata) : null;
    const out: NonNullable<PendingChange["sent"]> = { op: v.op, value: typeof v.value === "string" ? v.value : null, metadata };
    if (typeof v.maxCommitId === "number") out.maxCommitId = v.maxCommitId;
    return out;
  } catch {
    return null;
  }
}

export function toPendingChange(row: ChangeRow): PendingChange {
  return { ...toChangeRecord(row), sent: parseSent(row.sent) };
}

/** The facts of some keys from their rows and their pending rows (in outbox order); a key with pending rows but no row has `key: null`. */
export function toFacts(keyRows: Iterable<KeyRow>, pendingRows: Iterable<ChangeRow>): Map<string, KeyFacts> {
  const out = new Map<string, KeyFacts>();
  for (const row of keyRows) out.set(row.at_key, { key: toLocalKey(row), pending: [] });
  for (const row of pendingRows) {
    let f = out.get(row.at_key);
    if (!f) {
      f = { key: null, pending: [] };
      out.set(row.at_key, f);
    }
    f.pending.push(toPendingChange(row));
  }
  return out;
}

export function toChangeRecord(row: ChangeRow): ChangeRecord {
  if (!isChangeOp(row.op)) throw new StoreError("STORE_CORRUPT", `bad op in changes row ${row.id}`);
  const state = row.state;
  if (state !== "pending" && state !== "committed" && state !== "rejected" && state !== "superseded") {
    throw new StoreError("STORE_CORRUPT", `bad state in changes row ${row.id}`);
  }
  return {
    id: row.id as OutboxId,
    atKey: row.at_key,
    op: row.op,
    createdAtMs: row.created_at_ms,
    ...(row.version_time_ms != null ? { versionTimeMs: row.version_time_ms } : {}),
    state,
    commitId: row.commit_id,
    attempts: row.attempts,
    nextRetryAtMs: row.next_retry_at_ms,
    lastError: row.last_error,
  };
}

export function toConflictRecord(row: ConflictRow): ConflictRecord {
  if (!isChangeOp(row.local_op) || !isChangeOp(row.remote_op) || !isConflictPolicy(row.policy)) {
    throw new StoreError("STORE_CORRUPT", `bad conflicts row ${row.id}`);
  }
  if (row.winner !== "local" && row.winner !== "remote") throw new StoreError("STORE_CORRUPT", `bad winner in conflicts row ${row.id}`);
  return {
    id: row.id,
    atKey: row.at_key,
    policy: row.policy,
    winner: row.winner,
    local: {
      op: row.local_op,
      value: row.local_value,
      metadata: parseOptionalMetadata(row.local_metadata),
      timeMs: row.local_time_ms,
    },
    remote: {
      op: row.remote_op,
      value: row.remote_value,
      metadata: parseOptionalMetadata(row.remote_metadata),
      timeMs: row.remote_time_ms,
      commitId: row.remote_commit_id,
    },
    detectedAtMs: row.detected_at_ms,
    resolved: row.resolved !== 0,
  };
}
