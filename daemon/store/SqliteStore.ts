// One atSign's local secondary: one SQLite file (WAL, 0600) holding the keys as the server
// stores them, the outbox of local changes, the sync state and the conflicts.
// Every public method is one synchronous transaction (house-style §21).
import Database from "better-sqlite3";
import type { AtMetadata } from "../../protocol/metadata.js";
import type { Clock, KeyPage, KeyQuery, LocalWrite, LocalWriteResult, PendingKeyRow, Store } from "../ports.js";
import type { StoreApplyResult, StoreOp } from "../core/storeOps.js";
import type { ChangeRecord, ConflictRecord, KeyFacts, KeyRecord, LocalKey, OutboxId, PendingChange, RejectedRow } from "../core/types.js";
import { applyOps } from "./applyOps.js";
import { ensurePrivateFile } from "./ensurePrivateFile.js";
import { KeyLister, registerStoreFunctions } from "./KeyLister.js";
import { namespaceOf } from "./keyListing.js";
import { liveRow, writeLocal, writeMetaLocal, type LocalRows } from "./localWrites.js";
import { PENDING_PAGE_SQL, toPendingKeyRow, type PendingPageRow } from "./pendingPage.js";
import type { ChangeRow, ConflictRow } from "./rows.js";
import { toChangeRecord, toConflictRecord, toFacts, toKeyRecord, toLocalKey, toPendingChange } from "./rows.js";
import { migrate } from "./schema.js";
import { SyncStateTable, syncStateRows, type SyncStateSnapshot } from "./SyncStateTable.js";
import { prepareStatements, type Statements } from "./statements.js";
import { StoreError } from "./StoreError.js";

export type { SyncStateSnapshot } from "./SyncStateTable.js";

export type { LocalWrite, LocalWriteResult } from "../ports.js";

/** The page cache of each store's connection, in KiB. */
export const STORE_CACHE_KIB = 1024;

/** What bounds the store's page cache (debug.memory): it holds at most min(pages, limit) of the file. */
export interface StoreCacheFacts {
  pageSize: number;
  pages: number;
  cacheLimitBytes: number;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly state: SyncStateTable;
  private readonly clock: Clock;
  private readonly rows: LocalRows;
  private readonly lister: KeyLister;

  private constructor(db: Database.Database, clock: Clock) {
    this.db = db;
    this.clock = clock;
    this.st = prepareStatements(db);
    this.lister = new KeyLister(db);
    const st = this.st;
    this.state = new SyncStateTable(syncStateRows(db));
    this.rows = {
      key: (k) => st.getKey.get(k),
      upsertLocal: (k, value, metadata, deleted, nowMs) => void st.upsertLocal.run(k, value, metadata, deleted, nowMs, namespaceOf(k)),
      insertChange: (k, op, nowMs) => Number(st.insertChange.run(k, op, nowMs).lastInsertRowid),
    };
  }

  /** Opens (creating with mode 0600 if needed) and migrates the store file; refuses a symlink or another user's file (STORE_NOT_OURS). */
  static open(opts: { path: string; clock: Clock }): SqliteStore {
    for (const suffix of ["", "-wal", "-shm"]) ensurePrivateFile(opts.path + suffix, suffix === "");
    const db = new Database(opts.path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      db.pragma("wal_autocheckpoint = 8192");
      db.pragma("journal_size_limit = 67108864");
      // better-sqlite3 builds SQLite with a 16 MB page cache a connection (SQLITE_DEFAULT_CACHE_SIZE
      // =-16000), which a store fills as it syncs: 4.6 MB after 10,000 keys, all 16 MB from ~35,000,
      // in every atSign's worker. The OS page cache keeps the file's hot pages anyway, and a pull
      // runs as fast with 1 MB (README, Benchmarks: where the memory goes).
      db.pragma(`cache_size = -${STORE_CACHE_KIB}`);
      // SQLite creates these with the database's mode; made here, they are checked like it.
      for (const suffix of ["-wal", "-shm"]) ensurePrivateFile(opts.path + suffix, false);
      registerStoreFunctions(db);
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

  cacheFacts(): StoreCacheFacts {
    const pageSize = Number(this.db.pragma("page_size", { simple: true }));
    const pages = Number(this.db.pragma("page_count", { simple: true }));
    const size = Number(this.db.pragma("cache_size", { simple: true }));
    // Negative: a limit in KiB; positive: in pages.
    return { pageSize, pages, cacheLimitBytes: size < 0 ? -size * 1024 : size * pageSize };
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
    return this.durableTx(() => writeLocal(this.rows, { atKey, value, metadata }, this.clock.now()));
  }

  /** Merges `metadata` into the key's metadata (an `update:meta`); the key must exist. */
  putMetaLocal(atKey: string, metadata: Partial<AtMetadata>): LocalWriteResult {
    return this.durableTx(() => writeMetaLocal(this.rows, atKey, metadata, this.clock.now()));
  }

  deleteLocal(atKey: string): LocalWriteResult {
    return this.durableTx(() => writeLocal(this.rows, { atKey, delete: true }, this.clock.now()));
  }

  /** Several puts and deletes in one transaction. */
  putManyLocal(items: readonly LocalWrite[]): LocalWriteResult[] {
    return this.durableTx(() => items.map((w) => writeLocal(this.rows, w, this.clock.now())));
  }

  // ---- reads ----

  get(atKey: string): KeyRecord | undefined {
    const row = liveRow(this.rows, atKey.toLowerCase());
    return row ? toKeyRecord(row) : undefined;
  }

  listKeys(q: KeyQuery = {}): string[] {
    const out: string[] = [];
    for (let after: string | null = ""; after !== null;) {
      const page = this.lister.page(q, after, 10_000);
      for (const k of page.keys) out.push(k.atKey);
      after = page.next;
    }
    return out;
  }

  listKeyPage(q: KeyQuery, after: string, limit: number, scanBudget?: number): KeyPage {
    return this.lister.page(q, after, limit, scanBudget);
  }

  // ---- outbox ----

  pendingChanges(): PendingChange[] {
    return this.st.changesInState.all("pending").map(toPendingChange);
  }

  rejectedChanges(): ChangeRecord[] {
    return this.st.changesInState.all("rejected").map(toChangeRecord);
  }

  rejectedCount(): number {
    return this.st.countInState.get("rejected")?.n ?? 0;
  }

  change(id: OutboxId): ChangeRecord | undefined {
    const row: ChangeRow | undefined = this.st.changeById.get(id);
    return row ? toChangeRecord(row) : undefined;
  }

  /** Distinct keys with pending rows. */
  pendingKeys(): string[] {
    return this.st.pendingKeys.all().map((r) => r.at_key);
  }

  /** Per key with rows in retry backoff: the earliest retry time. */
  pendingRetries(): { atKey: string; atMs: number }[] {
    return this.st.pendingRetries.all().map((r) => ({ atKey: r.at_key, atMs: r.t }));
  }

  /** A page of the keys with pending rows (daemon/store/pendingPage.ts). */
  pendingPage(afterKey: string | null, limit: number): PendingKeyRow[] {
    return this.db.prepare<[string, number], PendingPageRow>(PENDING_PAGE_SQL).all(afterKey ?? "", limit).map(toPendingKeyRow);
  }

  // ---- what the engine decides over ----

  /** The facts of these keys (their rows and pending changes), in two statements. */
  facts(atKeys: readonly string[]): Map<string, KeyFacts> {
    if (atKeys.length === 0) return new Map();
    const list = JSON.stringify(atKeys.map((k) => k.toLowerCase()));
    const anyPending = (this.st.countPending.get()?.n ?? 0) > 0;
    return toFacts(this.st.keysIn.all(list), anyPending ? this.st.pendingIn.all(list) : []);
  }

  /** Keys a repair's re-pull has not brought back (yet). */
  unseenKeys(): LocalKey[] {
    return this.st.unseenKeys.all().map(toLocalKey);
  }

  keysUpTo(commitId: number, limit: number): LocalKey[] {
    return this.st.keysUpTo.all(commitId, limit).map(toLocalKey);
  }

  /** Carries out the engine's operations in one transaction. */
  apply(ops: readonly StoreOp[]): StoreApplyResult {
    if (ops.length === 0) return { conflictIds: [] };
    return this.tx(() => applyOps(this.st, this.state, ops));
  }

  syncState(): SyncStateSnapshot {
    return this.state.snapshot();
  }

  /** Housekeeping: acknowledged outbox rows beyond the most recent `keepChanges` go. Tombstones stay. */
  prune(keepChanges = 10_000): number {
    return this.tx(() => this.st.pruneChanges.run(keepChanges).changes);
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

  rejectedRows(): RejectedRow[] {
    const rows = this.db.prepare<[], ChangeRow & { later: number; key_updated_at_ms: number | null }>(
      `SELECT c.*, EXISTS (SELECT 1 FROM changes d WHERE d.at_key = c.at_key AND d.id > c.id) AS later,
              (SELECT k.updated_at_ms FROM keys k WHERE k.at_key = c.at_key) AS key_updated_at_ms
         FROM changes c WHERE c.state = 'rejected' ORDER BY c.id`,
    ).all();
    return rows.map((r) => ({ change: toChangeRecord(r), laterChange: r.later === 1, keyUpdatedAtMs: r.key_updated_at_ms }));
  }

  /**
   * Records a person's choice on a conflict, resolved or not: it is resolved, and `kept` is the
   * side now in effect (markConflictResolved leaves a resolved conflict as it was).
   */
  writeConflictSide(id: number, kept: "local" | "remote", write: LocalWrite): LocalWriteResult {
    return this.durableTx(() => {
      const r = writeLocal(this.rows, write, this.clock.now());
      if (!this.keepConflictSide(id, kept)) throw new StoreError("STORE_CONFLICT_NOT_FOUND", `no such conflict: ${id}`);
      return r;
    });
  }

  keepConflictSide(id: number, kept: "local" | "remote"): boolean {
    return this.db.prepare<[string, number]>("UPDATE conflicts SET resolved = 1, winner = ? WHERE id = ?").run(kept, id).changes > 0;
  }
}
