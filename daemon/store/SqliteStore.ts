// One atSign's local secondary: one SQLite file (WAL, 0600) holding the keys as the server
// stores them, the outbox of local changes, the sync state and the conflicts.
// Every public method is one synchronous transaction (house-style §21).
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import type { AtMetadata } from "../../protocol/metadata.js";
import type { Clock } from "../ports.js";
import { retryDelayMs, type PushOutcome } from "../core/batchReply.js";
import type { PushCommand } from "../core/pushPlan.js";
import { isPushable, type KeyFilter } from "../core/filter.js";
import type { ChangeOp, ChangeRecord, ConflictPolicy, ConflictRecord, KeyRecord, OutboxId, RemoteEntry, ResetProbe } from "../core/types.js";
import { applyEntries, type RemoteApplyResult } from "./applyRemotePage.js";
import type { ChangeRow, ConflictRow, KeyRow } from "./rows.js";
import { toChangeRecord, toConflictRecord, toKeyRecord } from "./rows.js";
import { migrate } from "./schema.js";
import { SyncStateTable, type SyncStateSnapshot } from "./SyncStateTable.js";
import { prepareStatements, type Statements } from "./statements.js";
import { StoreError } from "./StoreError.js";

export type { RemoteApplyResult } from "./applyRemotePage.js";
export type { SyncStateSnapshot } from "./SyncStateTable.js";

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

function normalizeKey(atKey: string): string {
  const k = atKey.trim().toLowerCase();
  if (k.length === 0 || /\s/u.test(k)) throw new StoreError("STORE_BAD_KEY", "an atKey may not be empty or contain whitespace");
  return k;
}

export class SqliteStore {
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly state: SyncStateTable;
  private readonly clock: Clock;

  private constructor(db: Database.Database, clock: Clock) {
    this.db = db;
    this.clock = clock;
    this.st = prepareStatements(db);
    this.state = new SyncStateTable(db);
  }

  /** Opens (creating with mode 0600 if needed) and migrates the store file. */
  static open(opts: { path: string; clock: Clock }): SqliteStore {
    if (!existsSync(opts.path)) closeSync(openSync(opts.path, "a", 0o600));
    chmodSync(opts.path, 0o600);
    const db = new Database(opts.path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      db.pragma("wal_autocheckpoint = 8192");
      db.pragma("journal_size_limit = 67108864");
      for (const suffix of ["-wal", "-shm"]) {
        if (existsSync(opts.path + suffix)) chmodSync(opts.path + suffix, 0o600);
      }
      migrate(db);
      return new SqliteStore(db, opts.clock);
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError("STORE_CORRUPT", `cannot open store: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** One synchronous transaction; a rollback also drops the cached sync state it may have touched. */
  private tx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.state.invalidate();
      throw err;
    }
  }

  /**
   * A local write is acknowledged to the app as durable, so its commit syncs the WAL to disk
   * (synchronous=FULL); with the file's NORMAL setting a power cut could still take it back.
   * Everything else (pull pages, push outcomes) stays NORMAL: the server still has it.
   */
  private durableTx<T>(fn: () => T): T {
    this.db.pragma("synchronous = FULL");
    try {
      return this.tx(fn);
    } finally {
      this.db.pragma("synchronous = NORMAL");
    }
  }

  // ---- local writes (values arrive already encrypted) ----

  putLocal(atKey: string, value: string, metadata: AtMetadata = {}): LocalWriteResult {
    return this.durableTx(() => this.writeOne({ atKey, value, metadata }));
  }

  /** Merges `metadata` into the key's metadata (an `update:meta`); the key must exist. */
  putMetaLocal(atKey: string, metadata: Partial<AtMetadata>): LocalWriteResult {
    return this.durableTx(() => {
      const k = normalizeKey(atKey);
      const prev = this.liveRow(k);
      if (!prev) throw new StoreError("STORE_KEY_NOT_FOUND", `no such key: ${k}`);
      const previous = toKeyRecord(prev);
      const merged: AtMetadata = { ...previous.metadata, ...metadata };
      const now = this.clock.now();
      this.st.upsertLocal.run(k, previous.value, JSON.stringify(merged), 0, now);
      const outboxId = this.addChange(k, "#", now);
      return { atKey: k, outboxId, record: { ...previous, metadata: merged, updatedAtMs: now }, previous };
    });
  }

  deleteLocal(atKey: string): LocalWriteResult {
    return this.durableTx(() => this.writeOne({ atKey, delete: true }));
  }

  /** Several puts and deletes in one transaction. */
  putManyLocal(items: readonly LocalWrite[]): LocalWriteResult[] {
    return this.durableTx(() => items.map((w) => this.writeOne(w)));
  }

  private writeOne(w: LocalWrite): LocalWriteResult {
    const k = normalizeKey(w.atKey);
    const prevRow = this.liveRow(k);
    const previous = prevRow ? toKeyRecord(prevRow) : null;
    const now = this.clock.now();
    if ("delete" in w) {
      // A tombstone keeps the key's server commit id, so the echo of our delete is recognised.
      if (this.st.getKey.get(k)) this.st.upsertLocal.run(k, null, "{}", 1, now);
      const outboxId = this.addChange(k, "-", now);
      return { atKey: k, outboxId, record: null, previous };
    }
    const metadata = w.metadata ?? {};
    this.st.upsertLocal.run(k, w.value, JSON.stringify(metadata), 0, now);
    const outboxId = this.addChange(k, "*", now);
    const commitId = this.st.getKey.get(k)?.commit_id ?? null;
    return { atKey: k, outboxId, record: { atKey: k, value: w.value, metadata, commitId, updatedAtMs: now }, previous };
  }

  private addChange(atKey: string, op: ChangeOp, now: number): OutboxId | null {
    if (!isPushable(atKey, op)) return null;
    return Number(this.st.insertChange.run(atKey, op, now).lastInsertRowid) as OutboxId;
  }

  private liveRow(atKey: string): KeyRow | undefined {
    const row = this.st.getKey.get(atKey);
    return row && row.deleted === 0 ? row : undefined;
  }

  // ---- reads ----

  get(atKey: string): KeyRecord | undefined {
    const row = this.liveRow(atKey.toLowerCase());
    return row ? toKeyRecord(row) : undefined;
  }

  /** Live keys, optionally those matching a regex (JS syntax) or in a namespace. */
  listKeys(opts: { regex?: string; namespace?: string } = {}): string[] {
    const keys = this.st.listLive.all().map((r) => r.at_key);
    const re = opts.regex !== undefined ? new RegExp(opts.regex, "u") : undefined;
    const ns = opts.namespace?.toLowerCase();
    return keys.filter((k) => (!re || re.test(k)) && (ns === undefined || k.endsWith(`.${ns}@${k.split("@").pop() ?? ""}`)));
  }

  // ---- outbox ----

  pendingChanges(): ChangeRecord[] {
    return this.st.changesInState.all("pending").map(toChangeRecord);
  }

  rejectedChanges(): ChangeRecord[] {
    return this.st.changesInState.all("rejected").map(toChangeRecord);
  }

  change(id: OutboxId): ChangeRecord | undefined {
    const row: ChangeRow | undefined = this.st.changeById.get(id);
    return row ? toChangeRecord(row) : undefined;
  }

  /** Distinct keys with pending rows, optionally only those the filter selects. */
  pendingKeyCount(filter?: KeyFilter): number {
    const keys = this.st.pendingKeys.all().map((r) => r.at_key);
    return filter ? keys.filter((k) => filter.matches(k)).length : keys.length;
  }

  /** Earliest retry time among pending rows in backoff (for the driver's timer), or null. */
  nextRetryAtMs(): number | null {
    return this.st.nextRetry.get()?.t ?? null;
  }

  /**
   * Records, before a batch goes out, the state each of its rows carries, so that if the reply is
   * lost the pull can tell the server's copy of it from another device's write.
   */
  markSent(commands: readonly PushCommand[]): void {
    this.tx(() => {
      for (const c of commands) {
        if (!c.sent) continue;
        const json = JSON.stringify(c.sent);
        for (const id of c.changeIds) this.st.markSent.run(json, id);
      }
    });
  }

  /** Distinct keys with pending rows that the filter does not select: kept locally, never pushed. */
  pendingOutsideFilterCount(filter: KeyFilter): number {
    return this.st.pendingKeys.all().filter((r) => !filter.matches(r.at_key)).length;
  }

  /** Writes back a batch's outcomes in one transaction; a row leaves `pending` only when acknowledged or rejected. */
  applyPushOutcomes(outcomes: readonly PushOutcome[]): void {
    const now = this.clock.now();
    this.tx(() => {
      for (const o of outcomes) {
        for (const id of o.changeIds) {
          if (o.kind === "committed") this.st.commitChange.run(o.commitId, id);
          else if (o.kind === "rejected") this.st.rejectChange.run(`${o.code}: ${o.error}`, id);
          else {
            const attempts = (this.st.changeById.get(id)?.attempts ?? 0) + 1;
            this.st.retryChange.run(`${o.code}: ${o.error}`, now + retryDelayMs(attempts), id);
          }
        }
        if (o.kind !== "committed") continue;
        // The server now holds a later state of the key than any older row still pending (a delete
        // that failed before the re-create that followed it succeeded): resending it would undo that.
        const first = Math.min(...o.changeIds);
        if (Number.isFinite(first)) this.st.commitEarlierOfKey.run(o.commitId, o.atKey, first);
        if (o.commitId !== null) this.st.raiseKeyCommit.run(o.commitId, o.atKey);
      }
    });
  }

  // ---- pull ----

  /**
   * Applies one page in one transaction. The last received id becomes the page's highest
   * commit id, or `opts.lastReceived` when given (pages of a parallel pull arrive out of order:
   * the caller passes what its complete ranges prove). The reset probe becomes the entry with
   * the highest commit id seen so far.
   */
  applyRemotePage(entries: readonly RemoteEntry[], policy: ConflictPolicy, opts: { lastReceived?: number } = {}): RemoteApplyResult {
    return this.tx(() => {
      const snap = this.state.snapshot();
      const start = snap.lastReceivedCommitId;
      const result = applyEntries(this.st, entries, policy, this.clock.now(), start, snap.resyncInProgress);
      const next = opts.lastReceived ?? result.lastReceivedCommitId;
      if (next > start) this.state.setLastReceived(next);
      result.lastReceivedCommitId = Math.max(start, next);
      const top = entries.reduce<RemoteEntry | undefined>((a, e) => (!a || e.commitId > a.commitId ? e : a), undefined);
      if (top && top.commitId > (snap.probe?.commitId ?? -Infinity)) {
        const probe: ResetProbe = {
          atKey: top.atKey.toLowerCase(),
          commitId: top.commitId,
          operation: top.operation,
          updatedAt: top.metadata?.updatedAt ?? null,
        };
        this.state.setProbe(probe);
      }
      return result;
    });
  }

  /** Moves the last received id past entries the server skipped (core/pull.ts decides it is sound). */
  advanceLastReceived(commitId: number): void {
    this.tx(() => {
      if (commitId > this.state.snapshot().lastReceivedCommitId) this.state.setLastReceived(commitId);
    });
  }

  syncState(): SyncStateSnapshot {
    return this.state.snapshot();
  }

  /**
   * Records the selective-sync regex in use. When it differs from the one the last received
   * id was pulled with, keys it now includes may lie below that id, so the pull starts over
   * from -1. Returns true when it did.
   */
  useFilter(regex: string | undefined): boolean {
    return this.tx(() => {
      const current = regex ?? "";
      const stored = this.state.snapshot().filterRegex;
      if (stored === current) return false;
      this.state.setFilterRegex(current);
      if (stored === null) return false;
      this.state.restartPull();
      return true;
    });
  }

  setServerCommitId(commitId: number | null): void {
    this.state.setServerCommitId(commitId);
  }

  setLastSyncedAt(ms: number): void {
    this.state.setLastSyncedAt(ms);
  }

  /**
   * Starts the repair of a server that lost data: pull everything again from -1. Uncommitted
   * changes stay pending; every key is marked unseen until the re-pull brings it back.
   */
  beginFullResync(): void {
    this.tx(() => {
      this.st.clearKeyCommits.run();
      this.state.beginResync();
    });
  }

  /**
   * Ends the repair: keys the re-pull did not bring back and that have no pending change are
   * queued again as local changes, so what the server lost is restored from this device.
   * Returns the keys queued. Keys outside the selective-sync filter were never pulled, so they
   * say nothing about what the server lost, and this device does not push them anyway.
   */
  finishFullResync(filter?: KeyFilter): string[] {
    return this.tx(() => {
      const now = this.clock.now();
      const lost = this.st.unseenLive.all().map((r) => r.at_key).filter((k) => !filter || filter.matches(k));
      for (const k of lost) this.addChange(k, "*", now);
      this.st.resetSeen.run();
      this.state.endResync();
      return lost;
    });
  }

  /**
   * Housekeeping after a complete run: acknowledged outbox rows beyond the most recent
   * `keepChanges` go, and so do tombstones at or below the last received id (no entry that
   * old can arrive again: the server keeps only each key's latest entry). Returns rows removed.
   */
  prune(keepChanges = 10_000): number {
    return this.tx(() => {
      const last = this.state.snapshot().lastReceivedCommitId;
      return this.st.pruneChanges.run(keepChanges).changes + this.st.pruneTombstones.run(last).changes;
    });
  }

  // ---- conflicts ----

  listConflicts(opts: { unresolvedOnly?: boolean } = {}): ConflictRecord[] {
    const rows: ConflictRow[] = opts.unresolvedOnly ? this.st.unresolvedConflicts.all() : this.st.allConflicts.all();
    return rows.map(toConflictRecord);
  }

  conflictCount(): number {
    return this.st.countUnresolved.get()?.n ?? 0;
  }

  /** Marks a conflict settled by a person; `kept` records the side now in effect (default: the policy's). */
  markConflictResolved(id: number, kept?: "local" | "remote"): boolean {
    return this.st.resolveConflict.run(kept ?? null, id).changes > 0;
  }

  /**
   * The rejected changes still in effect, one per key (its latest), oldest first: a change the
   * server refused for good whose key has neither been written since (no later change) nor
   * been brought newer from the server (the key's row is not newer than the change). A rejected
   * row stays in the outbox forever; once the key moved on, it no longer needs anyone.
   */
  rejectedInEffect(): ChangeRecord[] {
    const rows = this.db.prepare<[], ChangeRow>(
      `SELECT c.* FROM changes c WHERE c.state = 'rejected'
         AND NOT EXISTS (SELECT 1 FROM changes d WHERE d.at_key = c.at_key AND d.id > c.id)
         AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.at_key = c.at_key AND k.updated_at_ms > c.created_at_ms)
       ORDER BY c.id`,
    ).all();
    return rows.map(toChangeRecord);
  }

  /**
   * Records a person's choice on a conflict, resolved or not: it is resolved, and `kept` is the
   * side now in effect (markConflictResolved leaves a resolved conflict as it was).
   */
  keepConflictSide(id: number, kept: "local" | "remote"): boolean {
    return this.db.prepare<[string, number]>("UPDATE conflicts SET resolved = 1, winner = ? WHERE id = ?").run(kept, id).changes > 0;
  }
}
