// Events a SyncDriver emits for the daemon to fan out to subscribers (past tense, house-style §7).
import type { SyncLoopState, SyncLoopStateKind } from "../core/syncLoopState.js";
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

export type SyncEvent =
  | { type: "key.changed"; atKey: string; origin: KeyChangeOrigin; op: "update" | "delete"; commitId: number | null }
  | { type: "sync.started"; atMs: number }
  | { type: "sync.completed"; atMs: number; durationMs: number; counts: SyncCounts }
  | { type: "sync.failed"; atMs: number; durationMs: number; counts: SyncCounts; error: SyncErrorInfo }
  | { type: "conflict.detected"; conflict: ConflictRecord }
  | { type: "change.rejected"; atKey: string; changeIds: OutboxId[]; code: string; error: string }
  | { type: "server.reset"; reason: ResetReason; requeued: number }
  /** Progress moved (a page received, a batch answered), never per key; the figures are in facts(). */
  | { type: "sync.progress" }
  /** The sync loop moved (daemon/core/syncLoopState.ts); what apps see as state.changed is derived. */
  | { type: "state.changed"; from: SyncLoopStateKind; to: SyncLoopStateKind; durationMs: number; state: SyncLoopState };

export type SyncEventType = SyncEvent["type"];

export function emptyCounts(): SyncCounts {
  return { pulled: 0, pushed: 0, conflicts: 0, rejected: 0, retrying: 0 };
}
