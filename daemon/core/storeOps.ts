// What the engine tells the store to do: plain data, carried out by a `Store` adapter in one
// transaction per list (daemon/ports.ts). The store decides nothing; every choice below was
// made in daemon/core.
import type { AtMetadata } from "../../protocol/metadata.js";
import type { ChangeOp, ConflictRecord, OutboxId, ResetProbe } from "./types.js";

/** A conflict to record; the store gives it its id. */
export type ConflictDraft = Omit<ConflictRecord, "id">;

/** Named facts of the sync state a run may change (the rest is read-only to ops). */
export interface SyncStatePatch {
  lastReceivedCommitId?: number;
  serverCommitId?: number | null;
  probes?: ResetProbe[];
  repairInProgress?: boolean;
  lastSyncedAtMs?: number;
  filterRegex?: string;
  /** Highest server `updatedAt` pulled so far (ms); never lowered. */
  serverTimeWatermarkMs?: number;
}

export type StoreOp =
  /** Adopts a server version of a key (live or tombstone) as the local state. */
  | { op: "putKey"; atKey: string; value: string | null; metadata: AtMetadata | null; deleted: boolean; commitId: number; serverTimeMs: number | null; atMs: number }
  /** The server holds the version we hold: record its commit id and time, and the server-set metadata (expiresAt...). */
  | { op: "verifyKey"; atKey: string; commitId: number | null; serverTimeMs: number | null; metadata?: AtMetadata }
  /** Our acknowledged push was applied by the server's clock `boundMs` at the latest. */
  | { op: "boundServerTime"; atKey: string; boundMs: number }
  | { op: "markSeen"; atKey: string }
  | { op: "markAllUnseen" }
  | { op: "markSent"; ids: readonly OutboxId[]; sent: { op: ChangeOp; value: string | null; metadata: AtMetadata | null } }
  /** Pending rows sent before the stats:3 that answered `maxCommitId`: their echo can be no higher. */
  | { op: "boundSent"; maxCommitId: number }
  | { op: "commitChanges"; ids: readonly OutboxId[]; commitId: number | null }
  | { op: "retryChanges"; ids: readonly OutboxId[]; error: string; nextRetryAtMs: number }
  | { op: "rejectChanges"; ids: readonly OutboxId[]; error: string }
  /** Pending rows of the key lost a conflict to the server's version. */
  | { op: "supersedeChanges"; atKey: string }
  /** Pending meta-only rows of the key carry the value too (a winning update:meta must not keep the other value). */
  | { op: "upgradeMetaOnly"; atKey: string }
  /** Queues the key's local state for push again (the server lost it). */
  | { op: "requeue"; atKey: string; change: "*" | "-"; atMs: number; versionTimeMs: number | null }
  | { op: "insertConflict"; conflict: ConflictDraft }
  | { op: "setSyncState"; patch: SyncStatePatch };

/** What a list of ops produced that the engine reports on: the ids of the conflicts recorded, in order. */
export interface StoreApplyResult {
  conflictIds: number[];
}
