// One atSign's keystore and commit log in SQLite (WAL). The commit id is an ever-increasing
// integer from 0; committing a key again deletes its previous entry at once (§4.1), so the log
// holds the latest entry per key plus tombstones. Only keys that §3.1 commits get entries.
import { chmodSync } from "node:fs";
import Database from "better-sqlite3";
import { isCommittedKey, parseAtKey } from "../../protocol/atKey.js";
import { metaToStrings, parseStoredMeta, type StoredMeta } from "./StoredMeta.js";

export type CommitOp = "+" | "#" | "*" | "-";

export interface StoredKey {
  readonly key: string;
  readonly value: string;
  readonly meta: StoredMeta;
}

/** A commit-log row as sync:from reads it: [id, key, entry JSON or null for an invalid key]. */
export type CommitRow = [id: number, key: string, entry: string | null];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, value TEXT NOT NULL, meta TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_expiry ON keys(expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS commits (id INTEGER PRIMARY KEY, key TEXT NOT NULL, op TEXT NOT NULL, entry TEXT);
CREATE INDEX IF NOT EXISTS commits_key ON commits(key);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

function isValidKey(key: string): boolean {
  try {
    parseAtKey(key);
    return true;
  } catch {
    return false;
  }
}

/** The sync:from entry (§4): deletes carry null value and metadata; invalid keys get none. */
function syncEntryJson(id: number, key: string, op: CommitOp, value: string | undefined, meta: StoredMeta | undefined): string | null {
  if (!isValidKey(key)) return null;
  const atKey = JSON.stringify(key);
  if (op === "-" || value === undefined || meta === undefined) {
    return `{"atKey":${atKey},"value":null,"metadata":null,"commitId":${id},"operation":"-"}`;
  }
  return `{"atKey":${atKey},"value":${JSON.stringify(value)},"metadata":${JSON.stringify(metaToStrings(meta))},"commitId":${id},"operation":"${op}"}`;
}

export class ServerStore {
  private readonly db: Database.Database;
  private readonly q;
  private nextId: number;

  /** A file's store, or (given a snapshot() buffer) a copy of one held in memory. */
  constructor(source: string | Buffer) {
    this.db = new Database(source);
    if (typeof source === "string") {
      // Values and identity keys live here; SQLite gives the -wal/-shm files the same mode.
      chmodSync(source, 0o600);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
    }
    this.db.exec(SCHEMA);
    this.q = {
      get: this.db.prepare<[string], { key: string; value: string; meta: string }>("SELECT key, value, meta FROM keys WHERE key = ?"),
      put: this.db.prepare<[string, string, string, number | null]>(
        "INSERT INTO keys (key, value, meta, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, meta = excluded.meta, expires_at = excluded.expires_at",
      ),
      del: this.db.prepare<[string]>("DELETE FROM keys WHERE key = ?"),
      uncommit: this.db.prepare<[string]>("DELETE FROM commits WHERE key = ?"),
      commit: this.db.prepare<[number, string, string, string | null]>("INSERT INTO commits (id, key, op, entry) VALUES (?, ?, ?, ?)"),
      setNext: this.db.prepare<[number]>("INSERT INTO state (name, value) VALUES ('next_commit_id', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value"),
      getNext: this.db.prepare<[], { value: number }>("SELECT value FROM state WHERE name = 'next_commit_id'"),
      allKeys: this.db.prepare<[], { key: string; meta: string }>("SELECT key, meta FROM keys ORDER BY key"),
      page: this.db.prepare<[number, number], CommitRow>("SELECT id, key, entry FROM commits WHERE id > ? ORDER BY id LIMIT ?").raw(true),
      log: this.db.prepare<[], { id: number; key: string; op: CommitOp }>("SELECT id, key, op FROM commits ORDER BY id"),
      lastId: this.db.prepare<[], { id: number | null }>("SELECT MAX(id) AS id FROM commits"),
      expired: this.db.prepare<[number], { key: string }>("SELECT key FROM keys WHERE expires_at IS NOT NULL AND expires_at <= ?"),
    };
    this.nextId = this.q.getNext.get()?.value ?? 0;
  }

  /** Runs `fn` in one transaction (one per command). */
  transaction<T>(fn: () => T): T {
    const saved = this.nextId;
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.nextId = saved;
      throw err;
    }
  }

  get(key: string): StoredKey | undefined {
    const row = this.q.get.get(key);
    return row ? { key: row.key, value: row.value, meta: parseStoredMeta(row.meta) } : undefined;
  }

  /** Writes the key and commits it; returns the commit id, or -1 for keys that are never committed. */
  put(key: string, value: string, meta: StoredMeta, op: CommitOp): number {
    return this.transaction(() => {
      this.q.put.run(key, value, JSON.stringify(meta), meta.expiresAt ?? null);
      return this.commit(key, op, value, meta);
    });
  }

  /** Deletes the key (present or not) and commits a `-`. */
  remove(key: string): number {
    return this.transaction(() => {
      this.q.del.run(key);
      return this.commit(key, "-");
    });
  }

  /**
   * Every change to a committed key re-commits it, so the row can carry the whole sync:from
   * entry, computed once per write instead of once per page read.
   */
  private commit(key: string, op: CommitOp, value?: string, meta?: StoredMeta): number {
    if (!isCommittedKey(key)) return -1;
    this.q.uncommit.run(key);
    const id = this.nextId++;
    this.q.commit.run(id, key, op, syncEntryJson(id, key, op, value, meta));
    this.q.setNext.run(this.nextId);
    return id;
  }

  /** The highest commit id, null when the log is empty. */
  lastCommitId(): number | null {
    return this.q.lastId.get()?.id ?? null;
  }

  /** Up to `limit` entries with id > `after`, in commit order, joined with the keys' current state. */
  entriesAfter(after: number, limit: number): CommitRow[] {
    return this.q.page.all(after, limit);
  }

  /** The whole commit log in order (stats:15, stats:3 with a regex). */
  commitLog(): Array<{ id: number; key: string; op: CommitOp }> {
    return this.q.log.all();
  }

  allKeys(): Array<{ key: string; meta: StoredMeta }> {
    return this.q.allKeys.all().map((r) => ({ key: r.key, meta: parseStoredMeta(r.meta) }));
  }

  expiredKeys(now: number): string[] {
    return this.q.expired.all(now).map((r) => r.key);
  }

  /** Bulk load without per-row transactions (benchmarks and fixtures). */
  bulkPut(rows: Iterable<{ key: string; value: string; meta: StoredMeta }>): void {
    this.transaction(() => {
      for (const r of rows) {
        this.q.put.run(r.key, r.value, JSON.stringify(r.meta), r.meta.expiresAt ?? null);
        this.commit(r.key, "*", r.value, r.meta);
      }
    });
  }

  /** An empty store in memory (the simulator's server, atserver tests). */
  static inMemory(): ServerStore {
    return new ServerStore(new Database(":memory:").serialize());
  }

  /** Everything the store holds, as one buffer `new ServerStore(buffer)` opens again: a backup. */
  snapshot(): Buffer {
    return this.db.serialize();
  }

  /** Forgets every key and the whole commit log: ids start again from 0. */
  wipe(): void {
    this.transaction(() => {
      this.db.exec("DELETE FROM keys; DELETE FROM commits; DELETE FROM state;");
      this.nextId = 0;
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
