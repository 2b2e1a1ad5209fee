// The narrow interfaces between the sync core and the world (house-style §2).
// Adapters implement them (SystemClock, TlsRemote, SqliteStore, a winston logger);
// the core never sees an adapter class.

import type { StoreApplyResult, StoreOp, SyncStatePatch } from "./core/storeOps.js";
import type { ChangeOp, ChangeRecord, ConflictRecord, KeyFacts, KeyRecord, LocalKey, OutboxId, PendingChange, RejectedRow, ResetProbe } from "./core/types.js";
import type { AtMetadata } from "../protocol/metadata.js";

export interface LocalWriteResult {
  atKey: string;
  /** The outbox row, or null for keys that never leave this device (`local:`, `private:`...). */
  outboxId: OutboxId | null;
  /** The state after the write; null after a delete. */
  record: KeyRecord | null;
  /** The state before the write; null when the key did not exist. */
  previous: KeyRecord | null;
}

export type LocalWrite =
  | { atKey: string; value: string; metadata?: AtMetadata }
  | { atKey: string; delete: true };

/** Which live keys a listing selects; every part is optional and they combine (and). */
export interface KeyQuery {
  /** JS syntax, `u` flag, tested against the whole key. */
  regex?: string;
  /** One `\w+` word, any case: keys ending in `.<namespace>@<owner>`. */
  namespace?: string;
  /** Keys starting with this text (keys are stored in lower case). */
  prefix?: string;
}

/** A listed key with what decides whether it is live (daemon/worker/keyLifetime.ts), without its value. */
export interface ListedKey {
  atKey: string;
  updatedAtMs: number;
  /** Its metadata when a ttb or ttl above 0 may make it not live; null when nothing in it can (not even read then). */
  lifetime: AtMetadata | null;
}

export interface KeyPage {
  keys: ListedKey[];
  /** The last key this page examined: the next page starts after it. Null once the listing has reached the end. */
  next: string | null;
}

/** One key with changes the atServer has not acknowledged, as a page of them shows it (Store.pendingPage). */
export interface PendingKeyRow {
  atKey: string;
  /** Its pending rows. */
  changes: number;
  /** The op of its latest pending row. */
  op: ChangeOp;
  /** When its oldest pending row was written. */
  sinceMs: number;
  /** The most attempts of any of its rows that failed for now (0: none did). */
  attempts: number;
  /** The earliest retry of those rows; null when none failed. */
  nextRetryAtMs: number | null;
  /** The last error of its latest pending row. */
  lastError: string | null;
}

export interface Disposable {
  dispose(): void;
}

/** All time goes through a Clock, so tests can drive it. */
export interface Clock {
  now(): number;
  setTimer(ms: number, fn: () => void): Disposable;
}

export type LogFields = Record<string, unknown>;

/** Structured logging; never pass secrets in `msg` or `fields`. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/**
 * An authenticated request/reply channel to one atSign's own atServer.
 * `request` sends one command (without the trailing newline) and resolves with the
 * reply payload after `data:` (e.g. "27" for `data:27`); an `error:` reply rejects with
 * an AtProtocolError (protocol/errors.ts) carrying the AT code; a transport failure
 * (closed socket, timeout) rejects with a RemoteUnavailableError. Requests are
 * serialized: at most one is on the wire at a time.
 */
export interface AtRemote {
  request(command: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<string>;
  readonly connected: boolean;
  close(): Promise<void>;
}

/** A `notification: {json}` line from a monitor connection (the wire shape, shared with the dev-server). */
export type { AtNotification } from "../protocol/notification.js";

/**
 * One atSign's local secondary as the sync engine uses it: reads of the facts it decides over,
 * and one write path that carries out its decisions (daemon/core/storeOps.ts) in one
 * transaction. The adapter decides nothing. Implemented by SqliteStore and, for tests that need
 * no file, by test/support/MemoryStore.ts; test/contracts/runStoreContract.ts holds both to the same behaviour.
 */
export interface Store {
  // Local writes (values arrive encrypted); each is durable before it returns.
  putLocal(atKey: string, value: string, metadata?: AtMetadata): LocalWriteResult;
  /** Merges metadata into the key's (an `update:meta`); the key must exist. */
  putMetaLocal(atKey: string, metadata: Partial<AtMetadata>): LocalWriteResult;
  deleteLocal(atKey: string): LocalWriteResult;
  /** Several puts and deletes in one transaction. */
  putManyLocal(items: readonly LocalWrite[]): LocalWriteResult[];
  /** The live key, if any. */
  get(atKey: string): KeyRecord | undefined;
  /** Every live key the query selects, in key order: for queries that select few (a prefix); listings page with listKeyPage. */
  listKeys(q?: KeyQuery): string[];
  /**
   * Up to `limit` live keys after `after` ("" for the first page), in key order (SQLite's BINARY
   * order: the bytes of their UTF-8), that the query selects. A namespace or prefix is answered by
   * an index; a regex is tested on at most `scanBudget` keys per page, so a page may hold fewer
   * than `limit` keys, or none, before the end.
   */
  listKeyPage(q: KeyQuery, after: string, limit: number, scanBudget?: number): KeyPage;
  listConflicts(opts?: { unresolvedOnly?: boolean }): ConflictRecord[];
  markConflictResolved(id: number, kept?: "local" | "remote"): boolean;
  /** A person's choice on a conflict, resolved or not: it is resolved, and `kept` is the side now in effect. */
  keepConflictSide(id: number, kept: "local" | "remote"): boolean;
  /** keepConflictSide and the local write that puts the side kept in effect, in one transaction (a crash leaves both or neither). */
  writeConflictSide(id: number, kept: "local" | "remote", write: LocalWrite): LocalWriteResult;
  rejectedChanges(): ChangeRecord[];
  /** Every rejected change with the facts that decide whether it is still in effect (daemon/core/syncState.ts `rejectedInEffect`), oldest first. */
  rejectedRows(): RejectedRow[];
  /** One outbox row in any state (acknowledged rows until prune() drops them). */
  change(id: OutboxId): ChangeRecord | undefined;
  facts(atKeys: readonly string[]): Map<string, KeyFacts>;
  pendingChanges(): PendingChange[];
  /** Distinct keys with pending rows. */
  pendingKeys(): string[];
  /** Per key with rows in retry backoff: the earliest retry time. */
  pendingRetries(): { atKey: string; atMs: number }[];
  /** Up to `limit` keys with pending rows, after `afterKey` (null: from the first) in key order, without the rows' values. */
  pendingPage(afterKey: string | null, limit: number): PendingKeyRow[];
  rejectedCount(): number;
  conflictCount(): number;
  unseenKeys(): LocalKey[];
  /** Up to `limit` keys (tombstones too) whose commit id is at most `commitId`: any such keys, not the latest, found without a sort. */
  keysUpTo(commitId: number, limit: number): LocalKey[];
  syncState(): SyncStateSnapshot;
  apply(ops: readonly StoreOp[]): StoreApplyResult;
  /** Drops acknowledged outbox rows beyond the most recent `keepChanges`. */
  prune(keepChanges?: number): number;
}

/** The sync state as the engine reads it. */
export interface SyncStateSnapshot {
  /** Highest server commit id pulled so far; -1 before the first pull. */
  lastReceivedCommitId: number;
  /** The server's commit id at the last `stats:3` (null when its log was empty or never asked). */
  serverCommitId: number | null;
  probes: ResetProbe[];
  repairInProgress: boolean;
  lastSyncedAtMs: number | null;
  /** The selective-sync regex the last received id was pulled with ("" for everything); null before the first use. */
  filterRegex: string | null;
  serverTimeWatermarkMs: number | null;
}

export type { SyncStatePatch };
