// Store.pendingPage: a page of the keys with changes the atServer has not acknowledged, for the
// status page's list of pending uploads. SqliteStore reads it along the (state, at_key) index, so
// a page costs its own rows however long the outbox is; MemoryStore computes the same from its rows.
import { isChangeOp } from "../core/types.js";
import type { PendingKeyRow } from "../ports.js";
import type { ChangeRow } from "./rows.js";
import { StoreError } from "./StoreError.js";

export const PENDING_PAGE_SQL = `SELECT g.at_key, g.n, g.since, g.attempts, g.retry_at, c.op, c.last_error
  FROM (SELECT at_key, COUNT(*) AS n, MIN(created_at_ms) AS since, MAX(attempts) AS attempts,
               MIN(CASE WHEN attempts > 0 THEN next_retry_at_ms END) AS retry_at, MAX(id) AS last_id
          FROM changes WHERE state = 'pending' AND at_key > ? GROUP BY at_key ORDER BY at_key LIMIT ?) g
  JOIN changes c ON c.id = g.last_id ORDER BY g.at_key`;

export interface PendingPageRow {
  at_key: string;
  n: number;
  since: number;
  attempts: number;
  retry_at: number | null;
  op: string;
  last_error: string | null;
}

export function toPendingKeyRow(r: PendingPageRow): PendingKeyRow {
  if (!isChangeOp(r.op)) throw new StoreError("STORE_CORRUPT", `bad op in the changes of ${r.at_key}`);
  return { atKey: r.at_key, changes: r.n, op: r.op, sinceMs: r.since, attempts: r.attempts, nextRetryAtMs: r.retry_at, lastError: r.last_error };
}

/** The same page from pending rows in id order, keys compared by `compare` (SQLite's BINARY order). */
export function pendingPageOf(pending: readonly ChangeRow[], afterKey: string | null, limit: number, compare: (a: string, b: string) => number): PendingKeyRow[] {
  const byKey = new Map<string, PendingPageRow>();
  for (const r of pending) {
    if (afterKey !== null && compare(r.at_key, afterKey) <= 0) continue;
    const g = byKey.get(r.at_key);
    const retry = r.attempts > 0 ? r.next_retry_at_ms : null;
    if (!g) {
      byKey.set(r.at_key, { at_key: r.at_key, n: 1, since: r.created_at_ms, attempts: r.attempts, retry_at: retry, op: r.op, last_error: r.last_error });
      continue;
    }
    g.n++;
    g.since = Math.min(g.since, r.created_at_ms);
    g.attempts = Math.max(g.attempts, r.attempts);
    if (retry !== null) g.retry_at = g.retry_at === null ? retry : Math.min(g.retry_at, retry);
    // Id order: the last one seen is the latest row.
    g.op = r.op;
    g.last_error = r.last_error;
  }
  return [...byKey.values()].sort((a, b) => compare(a.at_key, b.at_key)).slice(0, limit).map(toPendingKeyRow);
}
