// Events a SyncDriver emits for the daemon to fan out to subscribers (past tense, house-style §7).
import type { ConnectionState, ConnectionStateKind } from "../core/connectionState.js";
import type { ResetReason } from "../core/reset.js";
import type { ConflictRecord, OutboxId } from "../core/types.js";

export type KeyChangeOrigin = "local" | "remote";

export interface SyncCounts {
  /** Server entries applied locally. */
  pulled: number;
  /** Commands the server acknowledged. */
  pushed: number;
  conflicts: number;
  rejected: number;
  /** Commands that failed transiently and will be retried. */
  retrying: number;
}

export interface SyncErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * How far the current phase of a run is. Download: entries received in this run against the
 * server's commit id minus the id the run started from, an upper bound (several commits of one
 * key arrive as one entry, so a run can finish below it). Upload: commands answered against the
 * keys pending when the push began.
 */
export interface SyncProgressInfo {
  direction: "upload" | "download";
  done: number;
  total: number | null;
}

export type SyncEvent =
  | { type: "key.changed"; atKey: string; origin: KeyChangeOrigin; op: "update" | "delete"; commitId: number | null }
  | { type: "sync.started"; atMs: number }
  | { type: "sync.completed"; atMs: number; durationMs: number; counts: SyncCounts }
  | { type: "sync.failed"; atMs: number; durationMs: number; counts: SyncCounts; error: SyncErrorInfo }
  | { type: "conflict.detected"; conflict: ConflictRecord }
  | { type: "change.rejected"; atKey: string; changeIds: OutboxId[]; code: string; error: string }
  | { type: "server.reset"; reason: ResetReason; requeued: number }
  /** Emitted once per applied page or answered batch, never per key. */
  | { type: "sync.progress"; progress: SyncProgressInfo }
  | { type: "state.changed"; from: ConnectionStateKind; to: ConnectionStateKind; durationMs: number; state: ConnectionState };

export type SyncEventType = SyncEvent["type"];

export function emptyCounts(): SyncCounts {
  return { pulled: 0, pushed: 0, conflicts: 0, rejected: 0, retrying: 0 };
}
