// Plain data shared by the sync core, the store and the driver. No I/O here.
import type { AtMetadata } from "../../protocol/metadata.js";

/** Commit-log operations as written on the wire (atprotocol.md §4 sync:from). */
export const ChangeOp = {
  Update: "+",
  UpdateMeta: "#",
  UpdateAll: "*",
  Delete: "-",
} as const;
export type ChangeOp = (typeof ChangeOp)[keyof typeof ChangeOp];

export function isChangeOp(v: unknown): v is ChangeOp {
  return v === "+" || v === "#" || v === "*" || v === "-";
}

/** Branded id of a row of the local outbox (`changes`). */
export type OutboxId = number & { readonly __brand: "OutboxId" };

export const ConflictPolicy = {
  LocalWins: "local-wins",
  RemoteWins: "remote-wins",
  LastWriterWins: "last-writer-wins",
} as const;
export type ConflictPolicy = (typeof ConflictPolicy)[keyof typeof ConflictPolicy];

export function isConflictPolicy(v: unknown): v is ConflictPolicy {
  return v === "local-wins" || v === "remote-wins" || v === "last-writer-wins";
}

/** Selective sync: namespaces, or a regex (Dart RegExp on the full key, as the server applies it). */
export interface SyncFilter {
  namespaces?: readonly string[];
  regex?: string;
}

/** A key as stored locally: the value exactly as the server stores it (ciphertext stays ciphertext). */
export interface KeyRecord {
  atKey: string;
  value: string;
  metadata: AtMetadata;
  /** The server commit id of the state we hold, null when it is a local change not yet acknowledged. */
  commitId: number | null;
  /** Local time of the last write (ms). */
  updatedAtMs: number;
}

/** One entry of a `sync:from` page. */
export interface RemoteEntry {
  atKey: string;
  value: string | null;
  metadata: AtMetadata | null;
  commitId: number;
  operation: ChangeOp;
}

export const ChangeState = {
  Pending: "pending",
  Committed: "committed",
  Rejected: "rejected",
  /** Lost a conflict to the server's version (recorded in `conflicts`). */
  Superseded: "superseded",
} as const;
export type ChangeState = (typeof ChangeState)[keyof typeof ChangeState];

/** One row of the outbox. */
export interface ChangeRecord {
  id: OutboxId;
  atKey: string;
  op: ChangeOp;
  createdAtMs: number;
  /**
   * For a row a repair queued again: the server's clock when the server held the version it
   * re-pushes (last-writer-wins dates it by that, not by createdAtMs). Absent for a local write.
   */
  versionTimeMs?: number | null;
  state: ChangeState;
  commitId: number | null;
  attempts: number;
  nextRetryAtMs: number;
  lastError: string | null;
}

/** A rejected outbox row with what decides whether it is still in effect (core/syncState.ts `rejectedInEffect`). */
export interface RejectedRow {
  change: ChangeRecord;
  /** Another row of the key was added after it (a later write). */
  laterChange: boolean;
  /** The key row's last write time (local or pulled), null without a row. */
  keyUpdatedAtMs: number | null;
}

/** The side a conflict was resolved for. */
export type ConflictWinner = "local" | "remote";

export interface ConflictSide {
  op: ChangeOp;
  value: string | null;
  metadata: AtMetadata | null;
  /** ms since epoch: the local change time, or the server's `updatedAt` (null when the server gave none). */
  timeMs: number | null;
}

export interface ConflictRecord {
  id: number;
  atKey: string;
  policy: ConflictPolicy;
  winner: ConflictWinner;
  local: ConflictSide;
  remote: ConflictSide & { commitId: number };
  detectedAtMs: number;
  resolved: boolean;
}

/** What the last full pull has seen last: used to detect a server that lost its data (core/reset.ts). */
export interface ResetProbe {
  atKey: string;
  commitId: number;
  operation: ChangeOp;
  updatedAt: string | null;
  /** A digest of the value the entry held (core/reset.ts `valueDigest`); absent for deletes and older stores. */
  valueHash?: string;
  /** For an acknowledged push: the server's clock was at least this when it applied it (absent when no bound was known). */
  notBeforeMs?: number;
}

/** A key's local row as the engine decides over it (a tombstone has value and metadata null). */
export interface LocalKey {
  atKey: string;
  value: string | null;
  metadata: AtMetadata | null;
  deleted: boolean;
  /** The server commit id of the version held (the base of any pending change), null before the server acknowledged one. */
  commitId: number | null;
  /**
   * The atServer's clock at which the server was known to hold this version: the version's own
   * `updatedAt` when it was pulled, a lower bound (the highest `updatedAt` seen before it) for a
   * pulled delete, null when never verified (pushed, echo not yet pulled). Orders versions across
   * a server restore, where commit ids restart (README "Conflicts and restores").
   */
  serverTimeMs: number | null;
  /** During a repair: whether the re-pull has brought this key back yet. */
  /**
   * An upper bound of the server's clock when it applied our acknowledged push (the ack's receipt),
   * while serverTimeMs is still unknown (the echo not pulled yet). Null when unknown.
   */
  serverTimeBoundMs?: number | null;
  seen: boolean;
}

/** One pending outbox row, with the state it carried the first time it was sent. */
export interface PendingChange extends ChangeRecord {
  /**
   * What the row carried when first sent; `maxCommitId`, once a later stats:3 has answered, the
   * highest commit id its command can have been given if the server applied it (its echo can be
   * no higher). Cleared when the row is sent again.
   */
  sent: { op: ChangeOp; value: string | null; metadata: AtMetadata | null; maxCommitId?: number } | null;
}

/** Everything the engine needs to know of one key to decide over a server entry of it. */
export interface KeyFacts {
  key: LocalKey | null;
  /** Pending rows in outbox order. */
  pending: PendingChange[];
}
