// Local writes (values arrive already encrypted) as row changes, the same for every store: the
// caller holds the transaction and gives the three row operations they need.
import type { AtMetadata } from "../../protocol/metadata.js";
import { isPushable } from "../core/filter.js";
import type { ChangeOp, OutboxId } from "../core/types.js";
import type { LocalWrite, LocalWriteResult } from "../ports.js";
import { toKeyRecord, type KeyRow } from "./rows.js";
import { StoreError } from "./StoreError.js";

/** What a local write does to the tables (statements.ts `getKey`, `upsertLocal`, `insertChange`). */
export interface LocalRows {
  key(atKey: string): KeyRow | undefined;
  /** Inserts a row without a commit id, or sets value, metadata, deleted and time of the existing one. */
  upsertLocal(atKey: string, value: string | null, metadata: string, deleted: number, nowMs: number): void;
  /** A new pending outbox row; its id. */
  insertChange(atKey: string, op: ChangeOp, nowMs: number): number;
}

/** A UTF-16 code unit of half a pair, alone (in `u` mode a whole pair is one code point, not matched). */
const LONE_SURROGATE = /\p{Surrogate}/gu;

export function normalizeKey(atKey: string): string {
  const k = atKey.trim().toLowerCase();
  if (k.length === 0 || /\s/u.test(k)) throw new StoreError("STORE_BAD_KEY", "an atKey may not be empty or contain whitespace");
  // UTF-8 cannot hold it: SQLite would keep bytes that read back as another key.
  if (k.search(LONE_SURROGATE) >= 0) throw new StoreError("STORE_BAD_KEY", "an atKey may not contain a lone surrogate");
  return k;
}

/** A value as UTF-8 keeps it (each lone surrogate a U+FFFD): what SQLite can hold and the wire carries. */
function storable(value: string): string {
  return value.replace(LONE_SURROGATE, "\uFFFD");
}

export function liveRow(rows: LocalRows, atKey: string): KeyRow | undefined {
  const row = rows.key(atKey);
  return row && row.deleted === 0 ? row : undefined;
}

function addChange(rows: LocalRows, atKey: string, op: ChangeOp, nowMs: number): OutboxId | null {
  return isPushable(atKey, op) ? (rows.insertChange(atKey, op, nowMs) as OutboxId) : null;
}

/** A put or a delete. */
export function writeLocal(rows: LocalRows, w: LocalWrite, nowMs: number): LocalWriteResult {
  const k = normalizeKey(w.atKey);
  const prevRow = liveRow(rows, k);
  const previous = prevRow ? toKeyRecord(prevRow) : null;
  if ("delete" in w) {
    // A tombstone keeps the key's server commit id, so the echo of our delete is recognised; a
    // key this device never held gets one too, so a repair can push the delete again.
    rows.upsertLocal(k, null, "{}", 1, nowMs);
    return { atKey: k, outboxId: addChange(rows, k, "-", nowMs), record: null, previous };
  }
  const metadata = w.metadata ?? {};
  const value = storable(w.value);
  rows.upsertLocal(k, value, JSON.stringify(metadata), 0, nowMs);
  const outboxId = addChange(rows, k, "*", nowMs);
  const commitId = rows.key(k)?.commit_id ?? null;
  return { atKey: k, outboxId, record: { atKey: k, value, metadata, commitId, updatedAtMs: nowMs }, previous };
}

/** Merges `metadata` into the key's metadata (an `update:meta`); the key must exist. */
export function writeMetaLocal(rows: LocalRows, atKey: string, metadata: Partial<AtMetadata>, nowMs: number): LocalWriteResult {
  const k = normalizeKey(atKey);
  const prev = liveRow(rows, k);
  if (!prev) throw new StoreError("STORE_KEY_NOT_FOUND", `no such key: ${k}`);
  const previous = toKeyRecord(prev);
  const merged: AtMetadata = { ...previous.metadata, ...metadata };
  rows.upsertLocal(k, previous.value, JSON.stringify(merged), 0, nowMs);
  const outboxId = addChange(rows, k, "#", nowMs);
  return { atKey: k, outboxId, record: { ...previous, metadata: merged, updatedAtMs: nowMs }, previous };
}
