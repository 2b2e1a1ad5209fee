// The `sync_state` table: a few named facts, each a JSON value. Callers hold the transaction.
import type Database from "better-sqlite3";
import type { ResetProbe } from "../core/types.js";
import { isChangeOp } from "../core/types.js";

export interface SyncStateSnapshot {
  /** Highest server commit id pulled so far; -1 before the first pull. */
  lastReceivedCommitId: number;
  /** The server's commit id at the last `stats:3` (null when its log was empty or never asked). */
  serverCommitId: number | null;
  /** The last entry the pull received, checked later to detect a server that lost data. */
  probe: ResetProbe | null;
  /** A full re-pull after a server reset has begun and not finished. */
  resyncInProgress: boolean;
  lastSyncedAtMs: number | null;
  /** The selective-sync regex the last received id was pulled with ("" for everything); null before the first use. */
  filterRegex: string | null;
}

function parseProbe(v: unknown): ResetProbe | null {
  if (v === null || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  if (typeof o.atKey !== "string" || typeof o.commitId !== "number" || !isChangeOp(o.operation)) return null;
  return { atKey: o.atKey, commitId: o.commitId, operation: o.operation, updatedAt: typeof o.updatedAt === "string" ? o.updatedAt : null };
}

/** Only this process writes the file, so the snapshot is cached and patched by each setter. */
export class SyncStateTable {
  private cache: SyncStateSnapshot | null = null;
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly setStmt: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare("SELECT value FROM sync_state WHERE name = ?");
    this.setStmt = db.prepare(
      "INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    );
  }

  private read(name: string): unknown {
    const row = this.getStmt.get(name);
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  private write(name: string, value: unknown): void {
    this.setStmt.run(name, JSON.stringify(value));
  }

  /** Drops the cache (after a rolled-back transaction). */
  invalidate(): void {
    this.cache = null;
  }

  snapshot(): SyncStateSnapshot {
    this.cache ??= this.load();
    return { ...this.cache };
  }

  private patch(p: Partial<SyncStateSnapshot>): void {
    if (this.cache) this.cache = { ...this.cache, ...p };
  }

  private load(): SyncStateSnapshot {
    const last = this.read("last_received_commit_id");
    const server = this.read("server_commit_id");
    const synced = this.read("last_synced_at_ms");
    const filter = this.read("filter_regex");
    return {
      lastReceivedCommitId: typeof last === "number" ? last : -1,
      serverCommitId: typeof server === "number" ? server : null,
      probe: parseProbe(this.read("reset_probe")),
      resyncInProgress: this.read("resync_in_progress") === true,
      lastSyncedAtMs: typeof synced === "number" ? synced : null,
      filterRegex: typeof filter === "string" ? filter : null,
    };
  }

  setLastReceived(n: number): void {
    this.write("last_received_commit_id", n);
    this.patch({ lastReceivedCommitId: n });
  }

  setServerCommitId(n: number | null): void {
    this.write("server_commit_id", n);
    this.patch({ serverCommitId: n });
  }

  setProbe(p: ResetProbe | null): void {
    this.write("reset_probe", p);
    this.patch({ probe: p });
  }

  setLastSyncedAt(ms: number): void {
    this.write("last_synced_at_ms", ms);
    this.patch({ lastSyncedAtMs: ms });
  }

  setFilterRegex(regex: string): void {
    this.write("filter_regex", regex);
    this.patch({ filterRegex: regex });
  }

  /** Pull again from the start (the per-key commit ids make unchanged keys cheap to skip). */
  restartPull(): void {
    this.write("last_received_commit_id", -1);
    this.write("reset_probe", null);
    this.patch({ lastReceivedCommitId: -1, probe: null });
  }

  beginResync(): void {
    this.write("resync_in_progress", true);
    this.write("last_received_commit_id", -1);
    this.write("reset_probe", null);
    this.patch({ resyncInProgress: true, lastReceivedCommitId: -1, probe: null });
  }

  endResync(): void {
    this.write("resync_in_progress", false);
    this.patch({ resyncInProgress: false });
  }
}
