// A Store (daemon/ports.ts) held in memory, for tests that need no file: SqliteStore's tables as
// Maps of the same rows (daemon/store/rows.ts), each op and read doing what its statement in daemon/store/statements.ts
// does. It decides nothing. test/contracts/runStoreContract.ts keeps the two the same.
import { Buffer } from "node:buffer";
import type { AtMetadata } from "../../protocol/metadata.js";
import type { Clock, KeyPage, KeyQuery, LocalWrite, LocalWriteResult, PendingKeyRow, Store } from "../../daemon/ports.js";
import { StoreError } from "../../daemon/store/StoreError.js";
import type { StoreApplyResult, StoreOp } from "../../daemon/core/storeOps.js";
import type { ChangeRecord, ChangeState, ConflictRecord, KeyFacts, KeyRecord, LocalKey, OutboxId, PendingChange, RejectedRow } from "../../daemon/core/types.js";
import { unknownOp } from "../../daemon/store/applyOps.js";
import { LIST_SCAN_BUDGET, literalPrefix, namespaceOf } from "../../daemon/store/keyListing.js";
import { liveRow, writeLocal, writeMetaLocal, type LocalRows } from "../../daemon/store/localWrites.js";
import { parseMetadataJson, toChangeRecord, toConflictRecord, toFacts, toKeyRecord, toLocalKey, toPendingChange, type ChangeRow, type ConflictRow, type KeyRow } from "../../daemon/store/rows.js";
import { SyncStateTable, type SyncStateSnapshot } from "../../daemon/store/SyncStateTable.js";
import { pendingPageOf } from "../../daemon/store/pendingPage.js";

/** SQLite's BINARY collation, the order of `at_key` in every read: UTF-8 bytes, not UTF-16 units. */
function byKey(a: { at_key: string }, b: { at_key: string }): number {
  return Buffer.compare(Buffer.from(a.at_key), Buffer.from(b.at_key));
}

/** KeyLister's LIFETIME column: the metadata when its ttb or ttl (SQLite compares a text as above any number) is above 0. */
function mayExpire(m: AtMetadata): AtMetadata | null {
  const above = (v: unknown): boolean => typeof v === "string" || (typeof v === "number" && v > 0);
  return above(m.ttb) || above(m.ttl) ? m : null;
}

/** What SQLite stores for a bound value: undefined and NaN become NULL. */
function sqlRow<R extends object>(row: R): R {
  const out = { ...row } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (v === undefined || Number.isNaN(v)) out[k] = null;
  return out as R;
}

/** The schema's NOT NULL and CHECK constraints (schema.ts), which SQLite checks on every row written. */
function check<R extends object>(table: string, row: R, notNull: readonly (keyof R & string)[], oneOf: Partial<Record<keyof R & string, readonly unknown[]>> = {}): R {
  const r = sqlRow(row);
  for (const col of notNull) if (r[col] === null) throw new Error(`NOT NULL constraint failed: ${table}.${col}`);
  for (const [col, allowed] of Object.entries(oneOf) as [keyof R & string, readonly unknown[]][]) {
    if (r[col] !== null && !allowed.includes(r[col])) throw new Error(`CHECK constraint failed: ${col} IN (${allowed.map((v) => `'${String(v)}'`).join(", ")})`);
  }
  return r;
}

const OPS = ["+", "#", "*", "-"] as const;
const STATES = ["pending", "committed", "rejected", "superseded"] as const;
const keyRow = (r: KeyRow): KeyRow => check("keys", r, ["at_key", "metadata", "deleted", "updated_at_ms", "resync_seen"]);
const changeRow = (r: ChangeRow): ChangeRow =>
  check("changes", r, ["at_key", "op", "created_at_ms", "state", "attempts", "next_retry_at_ms"], { op: OPS, state: STATES });
const conflictRow = (r: ConflictRow): ConflictRow =>
  check("conflicts", r, ["at_key", "policy", "winner", "local_op", "remote_op", "remote_commit_id", "detected_at_ms", "resolved"], { winner: ["local", "remote"] });

function json(m: object | null): string | null {
  return m === null ? null : JSON.stringify(m);
}

export class MemoryStore implements Store {
  private readonly keys = new Map<string, KeyRow>();
  private readonly changes = new Map<number, ChangeRow>();
  private readonly conflicts = new Map<number, ConflictRow>();
  private readonly named = new Map<string, string>();
  /** AUTOINCREMENT: ids are never reused, except those of a rolled-back transaction. */
  private readonly lastId = { changes: 0, conflicts: 0 };
  /** How to take back the writes of the running transaction, newest last. */
  private undo: (() => void)[] | null = null;
  private readonly state: SyncStateTable;
  private readonly rows: LocalRows;
  private readonly clock: Clock;

  constructor(opts: { clock: Clock }) {
    this.clock = opts.clock;
    this.state = new SyncStateTable({ get: (name) => this.named.get(name), set: (name, v) => this.set(this.named, name, v) });
    this.rows = {
      key: (k) => this.keys.get(k),
      upsertLocal: (k, value, metadata, deleted, nowMs) => {
        const old = this.keys.get(k);
        const base = old ?? { at_key: k, commit_id: null, server_time_ms: null, server_time_bound_ms: null, resync_seen: 1 };
        this.set(this.keys, k, keyRow({ ...base, value, metadata, deleted, updated_at_ms: nowMs }));
      },
      insertChange: (k, op, nowMs) => this.insertChange(k, op, nowMs),
    };
  }

  // ---- writes, each undone if its transaction fails ----

  private set<K, V>(m: Map<K, V>, k: K, v: V | undefined): void {
    const had = m.has(k);
    const old = m.get(k);
    this.undo?.push(() => (had ? m.set(k, old as V) : m.delete(k)));
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }

  private nextId(table: "changes" | "conflicts"): number {
    const id = ++this.lastId[table];
    this.undo?.push(() => void (this.lastId[table] = id - 1));
    return id;
  }

  /** One transaction: if `fn` throws, every write it made is taken back. */
  private tx<T>(fn: () => T): T {
    const undo: (() => void)[] = [];
    this.undo = undo;
    try {
      return fn();
    } catch (err) {
      for (const f of undo.reverse()) f();
      this.state.invalidate();
      throw err;
    } finally {
      this.undo = null;
    }
  }

  private insertChange(atKey: string, op: string, nowMs: number, versionTimeMs: number | null = null): number {
    const row = changeRow({
      id: 0, at_key: atKey, op, created_at_ms: nowMs, state: "pending", commit_id: null, attempts: 0, next_retry_at_ms: 0, last_error: null, sent: null,
      version_time_ms: versionTimeMs,
    });
    const id = this.nextId("changes");
    this.set(this.changes, id, { ...row, id });
    return id;
  }

  /** `UPDATE changes SET ... WHERE <where>`. */
  private updateChanges(where: (r: ChangeRow) => boolean, patch: (r: ChangeRow) => Partial<ChangeRow>): void {
    for (const r of [...this.changes.values()]) if (where(r)) this.set(this.changes, r.id, changeRow({ ...r, ...patch(r) }));
  }

  private updateKey(atKey: string, patch: Partial<KeyRow>): void {
    const r = this.keys.get(atKey);
    if (r) this.set(this.keys, atKey, keyRow({ ...r, ...patch }));
  }

  private updateConflict(id: number, where: (r: ConflictRow) => boolean, patch: (r: ConflictRow) => Partial<ConflictRow>): boolean {
    const r = this.conflicts.get(id);
    if (!r || !where(r)) return false;
    this.set(this.conflicts, id, conflictRow({ ...r, ...patch(r) }));
    return true;
  }

  private pendingOf(atKey: string): (r: ChangeRow) => boolean {
    return (r) => r.at_key === atKey && r.state === "pending";
  }

  /** `UPDATE changes SET ... WHERE id = ? AND state = 'pending' [AND <also>]`, once per id. */
  private byIds(ids: readonly OutboxId[], patch: (r: ChangeRow) => Partial<ChangeRow>, also: (r: ChangeRow) => boolean = () => true): void {
    for (const id of ids) {
      const r = this.changes.get(id);
      if (r && r.state === "pending" && also(r)) this.set(this.changes, id, changeRow({ ...r, ...patch(r) }));
    }
  }

  // ---- local writes ----

  putLocal(atKey: string, value: string, metadata: AtMetadata = {}): LocalWriteResult {
    return this.tx(() => writeLocal(this.rows, { atKey, value, metadata }, this.clock.now()));
  }

  putMetaLocal(atKey: string, metadata: Partial<AtMetadata>): LocalWriteResult {
    return this.tx(() => writeMetaLocal(this.rows, atKey, metadata, this.clock.now()));
  }

  deleteLocal(atKey: string): LocalWriteResult {
    return this.tx(() => writeLocal(this.rows, { atKey, delete: true }, this.clock.now()));
  }

  putManyLocal(items: readonly LocalWrite[]): LocalWriteResult[] {
    return this.tx(() => items.map((w) => writeLocal(this.rows, w, this.clock.now())));
  }

  // ---- the engine's ops ----

  apply(ops: readonly StoreOp[]): StoreApplyResult {
    if (ops.length === 0) return { conflictIds: [] };
    return this.tx(() => {
      const conflictIds: number[] = [];
      for (const o of ops) this.applyOne(o, conflictIds);
      return { conflictIds };
    });
  }

  private applyOne(o: StoreOp, conflictIds: number[]): void {
    switch (o.op) {
      case "putKey":
        this.set(this.keys, o.atKey, keyRow({
          at_key: o.atKey, value: o.value, metadata: JSON.stringify(o.metadata ?? {}), deleted: o.deleted ? 1 : 0,
          commit_id: o.commitId, server_time_ms: o.serverTimeMs, server_time_bound_ms: null, updated_at_ms: o.atMs, resync_seen: 1,
        }));
        break;
      case "boundServerTime":
        this.updateKey(o.atKey, { server_time_bound_ms: o.boundMs });
        break;
      case "verifyKey":
        this.updateKey(o.atKey, { commit_id: o.commitId, server_time_ms: o.serverTimeMs, ...(o.metadata ? { metadata: JSON.stringify(o.metadata) } : {}) });
        break;
      case "markSeen":
        this.updateKey(o.atKey, { resync_seen: 1 });
        break;
      case "markAllUnseen":
        for (const k of [...this.keys.keys()]) this.updateKey(k, { resync_seen: 0 });
        break;
      case "markSent": {
        const sent = JSON.stringify(o.sent);
        this.byIds(o.ids, () => ({ sent }));
        break;
      }
      case "boundSent":
        for (const [id, r] of [...this.changes]) {
          if (r.state !== "pending" || r.sent === null) continue;
          const v = JSON.parse(r.sent) as Record<string, unknown>;
          if (v.maxCommitId === undefined || v.maxCommitId === null) this.set(this.changes, id, changeRow({ ...r, sent: JSON.stringify({ ...v, maxCommitId: o.maxCommitId }) }));
        }
        break;
      case "commitChanges":
        this.byIds(o.ids, () => ({ state: "committed", commit_id: o.commitId, last_error: null, sent: null }));
        break;
      case "retryChanges":
        this.byIds(o.ids, (r) => ({ attempts: r.attempts + 1, last_error: o.error, next_retry_at_ms: o.nextRetryAtMs }));
        break;
      case "rejectChanges":
        this.byIds(o.ids, (r) => ({ state: "rejected", attempts: r.attempts + 1, last_error: o.error, sent: null }));
        break;
      case "supersedeChanges":
        this.updateChanges(this.pendingOf(o.atKey), () => ({ state: "superseded" }));
        break;
      case "upgradeMetaOnly":
        this.updateChanges((r) => this.pendingOf(o.atKey)(r) && r.op === "#", () => ({ op: "*" }));
        break;
      case "requeue":
        this.insertChange(o.atKey, o.change, o.atMs, o.versionTimeMs);
        break;
      case "insertConflict": {
        const c = o.conflict;
        const row = conflictRow({
          id: 0, at_key: c.atKey, policy: c.policy, winner: c.winner,
          local_op: c.local.op, local_value: c.local.value, local_metadata: json(c.local.metadata), local_time_ms: c.local.timeMs,
          remote_op: c.remote.op, remote_value: c.remote.value, remote_metadata: json(c.remote.metadata), remote_time_ms: c.remote.timeMs,
          remote_commit_id: c.remote.commitId, detected_at_ms: c.detectedAtMs, resolved: 0,
        });
        const id = this.nextId("conflicts");
        this.set(this.conflicts, id, { ...row, id });
        conflictIds.push(id);
        break;
      }
      case "setSyncState":
        this.state.apply(o.patch);
        break;
      default:
        throw unknownOp(o);
    }
  }

  // ---- reads ----

  private sortedKeys(where: (r: KeyRow) => boolean): KeyRow[] {
    return [...this.keys.values()].filter(where).sort(byKey);
  }

  /** In id order, the Map's: rows are inserted with rising ids and deleted only by prune, which cannot fail. */
  private changesIn(state: ChangeState): ChangeRow[] {
    return [...this.changes.values()].filter((r) => r.state === state);
  }

  get(atKey: string): KeyRecord | undefined {
    const row = liveRow(this.rows, atKey.toLowerCase());
    return row ? toKeyRecord(row) : undefined;
  }

  listKeys(q: KeyQuery = {}): string[] {
    const out: string[] = [];
    for (let after: string | null = ""; after !== null;) {
      const page = this.listKeyPage(q, after, 10_000);
      out.push(...page.keys.map((k) => k.atKey));
      after = page.next;
    }
    return out;
  }

  /** What KeyLister's statements select, over the sorted rows: the range (namespace, prefixes, after), then the regex on at most `scanBudget` of it. */
  listKeyPage(q: KeyQuery, after: string, limit: number, scanBudget = LIST_SCAN_BUDGET): KeyPage {
    const literal = q.regex !== undefined ? literalPrefix(q.regex) : "";
    const ns = q.namespace?.toLowerCase();
    const afterBytes = Buffer.from(after);
    const range = this.sortedKeys((r) => r.deleted === 0 && Buffer.compare(Buffer.from(r.at_key), afterBytes) > 0
      && r.at_key.startsWith(q.prefix ?? "") && r.at_key.startsWith(literal) && (ns === undefined || namespaceOf(r.at_key) === ns));
    const scanned = q.regex === undefined ? range : range.slice(0, Math.max(1, scanBudget));
    const re = q.regex !== undefined ? new RegExp(q.regex, "u") : undefined;
    const rows = scanned.filter((r) => re === undefined || re.test(r.at_key)).slice(0, Math.max(1, limit));
    const keys = rows.map((r) => ({ atKey: r.at_key, updatedAtMs: r.updated_at_ms, lifetime: mayExpire(parseMetadataJson(r.metadata)) }));
    if (keys.length === Math.max(1, limit)) return { keys, next: keys.at(-1)?.atKey ?? null };
    const budgetLast = re !== undefined && scanned.length === Math.max(1, scanBudget) ? scanned.at(-1)?.at_key : undefined;
    return { keys, next: budgetLast ?? null };
  }

  facts(atKeys: readonly string[]): Map<string, KeyFacts> {
    const list = new Set(atKeys.map((k) => k.toLowerCase()));
    const pending = this.changesIn("pending").filter((r) => list.has(r.at_key));
    return toFacts(this.sortedKeys((r) => list.has(r.at_key)), pending);
  }

  unseenKeys(): LocalKey[] {
    return this.sortedKeys((r) => r.resync_seen === 0).map(toLocalKey);
  }

  keysUpTo(commitId: number, limit: number): LocalKey[] {
    return this.sortedKeys((r) => r.commit_id !== null && r.commit_id <= commitId).slice(0, Math.max(0, limit)).map(toLocalKey);
  }

  syncState(): SyncStateSnapshot {
    return this.state.snapshot();
  }

  change(id: OutboxId): ChangeRecord | undefined {
    const row = this.changes.get(id);
    return row ? toChangeRecord(row) : undefined;
  }

  pendingChanges(): PendingChange[] {
    return this.changesIn("pending").map(toPendingChange);
  }

  rejectedChanges(): ChangeRecord[] {
    return this.changesIn("rejected").map(toChangeRecord);
  }

  rejectedCount(): number {
    return this.changesIn("rejected").length;
  }

  rejectedRows(): RejectedRow[] {
    const all = [...this.changes.values()];
    return this.changesIn("rejected").map((c) => ({
      change: toChangeRecord(c),
      laterChange: all.some((d) => d.at_key === c.at_key && d.id > c.id),
      keyUpdatedAtMs: this.keys.get(c.at_key)?.updated_at_ms ?? null,
    }));
  }

  pendingKeys(): string[] {
    return [...new Set(this.changesIn("pending").sort(byKey).map((r) => r.at_key))];
  }

  pendingPage(afterKey: string | null, limit: number): PendingKeyRow[] {
    return pendingPageOf(this.changesIn("pending"), afterKey, limit, (a, b) => byKey({ at_key: a }, { at_key: b }));
  }

  pendingRetries(): { atKey: string; atMs: number }[] {
    const earliest = new Map<string, number>();
    for (const r of this.changesIn("pending").sort(byKey)) {
      if (r.attempts > 0) earliest.set(r.at_key, Math.min(earliest.get(r.at_key) ?? Infinity, r.next_retry_at_ms));
    }
    return [...earliest].map(([atKey, atMs]) => ({ atKey, atMs }));
  }

  prune(keepChanges = 10_000): number {
    return this.tx(() => {
      const ids = [...this.changes.keys()];
      if (ids.length === 0) return 0;
      const upTo = ids.reduce((m, id) => Math.max(m, id)) - keepChanges;
      const gone = [...this.changes.values()].filter((r) => (r.state === "committed" || r.state === "superseded") && r.id <= upTo);
      for (const r of gone) this.set(this.changes, r.id, undefined);
      return gone.length;
    });
  }

  // ---- conflicts ----

  listConflicts(opts: { unresolvedOnly?: boolean } = {}): ConflictRecord[] {
    return [...this.conflicts.values()].filter((r) => !opts.unresolvedOnly || r.resolved === 0).map(toConflictRecord);
  }

  conflictCount(): number {
    return [...this.conflicts.values()].filter((r) => r.resolved === 0).length;
  }

  markConflictResolved(id: number, kept?: "local" | "remote"): boolean {
    return this.updateConflict(id, (r) => r.resolved === 0, (r) => ({ resolved: 1, winner: kept ?? r.winner }));
  }

  writeConflictSide(id: number, kept: "local" | "remote", write: LocalWrite): LocalWriteResult {
    return this.tx(() => {
      const r = writeLocal(this.rows, write, this.clock.now());
      if (!this.keepConflictSide(id, kept)) throw new StoreError("STORE_CONFLICT_NOT_FOUND", `no such conflict: ${id}`);
      return r;
    });
  }

  keepConflictSide(id: number, kept: "local" | "remote"): boolean {
    return this.updateConflict(id, () => true, () => ({ resolved: 1, winner: kept }));
  }
}
