// The sync state: a few named facts, each a JSON value, in the `sync_state` table (or, for
// MemoryStore, a Map). Callers hold the transaction.
import type Database from "better-sqlite3";
import type { SyncStatePatch } from "../core/storeOps.js";
import type { SyncStateSnapshot } from "../ports.js";
import type { ResetProbe } from "../core/types.js";
import { isChangeOp } from "../core/types.js";

export type { SyncStateSnapshot };

/** The probes; a store written before several were kept has one (`reset_probe`). */
function parseProbes(list: unknown, single: unknown): ResetProbe[] {
  if (Array.isArray(list)) return list.map(parseProbe).filter((p): p is ResetProbe => p !== null);
  const one = parseProbe(single);
  return one ? [one] : [];
}

function parseProbe(v: unknown): ResetProbe | null {
  if (v === null || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  if (typeof o.atKey !== "string" || typeof o.commitId !== "number" || !isChangeOp(o.operation)) return null;
  const probe: ResetProbe = { atKey: o.atKey, commitId: o.commitId, operation: o.operation, updatedAt: typeof o.updatedAt === "string" ? o.updatedAt : null };
  if (typeof o.valueHash === "string") probe.valueHash = o.valueHash;
  if (typeof o.notBeforeMs === "number" && Number.isFinite(o.notBeforeMs)) probe.notBeforeMs = o.notBeforeMs;
  return probe;
}

/** Where the named facts live, as JSON text. */
export interface NamedValues {
  get(name: string): string | undefined;
  set(name: string, json: string): void;
}

/** The `sync_state` table of a store file. */
export function syncStateRows(db: Database.Database): NamedValues {
  const get = db.prepare<[string], { value: string }>("SELECT value FROM sync_state WHERE name = ?");
  const set = db.prepare<[string, string]>(
    "INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
  );
  return { get: (name) => get.get(name)?.value, set: (name, json) => void set.run(name, json) };
}

/** Only this process writes the store, so the snapshot is cached and patched by each setter. */
export class SyncStateTable {
  private cache: SyncStateSnapshot | null = null;

  constructor(private readonly values: NamedValues) {}

  private read(name: string): unknown {
    const text = this.values.get(name);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  }

  private write(name: string, value: unknown): void {
    this.values.set(name, JSON.stringify(value));
  }

  /** Drops the cache (after a rolled-back transaction). */
  invalidate(): void {
    this.cache = null;
  }

  /** A copy: what the caller does with it does not reach the cache. */
  snapshot(): SyncStateSnapshot {
    this.cache ??= this.load();
    return { ...this.cache, probes: this.cache.probes.map((p) => ({ ...p })) };
  }

  private load(): SyncStateSnapshot {
    const last = this.read("last_received_commit_id");
    const server = this.read("server_commit_id");
    const synced = this.read("last_synced_at_ms");
    const filter = this.read("filter_regex");
    const watermark = this.read("server_time_watermark_ms");
    return {
      lastReceivedCommitId: typeof last === "number" ? last : -1,
      serverCommitId: typeof server === "number" ? server : null,
      probes: parseProbes(this.read("reset_probes"), this.read("reset_probe")),
      repairInProgress: this.read("resync_in_progress") === true,
      serverTimeWatermarkMs: typeof watermark === "number" ? watermark : null,
      lastSyncedAtMs: typeof synced === "number" ? synced : null,
      filterRegex: typeof filter === "string" ? filter : null,
    };
  }

  /** Writes the named facts of a patch (the engine decided them: daemon/core/storeOps.ts). */
  apply(p: SyncStatePatch): void {
    if (p.lastReceivedCommitId !== undefined) this.write("last_received_commit_id", p.lastReceivedCommitId);
    if (p.serverCommitId !== undefined) this.write("server_commit_id", p.serverCommitId);
    if (p.probes !== undefined) this.write("reset_probes", p.probes);
    if (p.repairInProgress !== undefined) this.write("resync_in_progress", p.repairInProgress);
    if (p.lastSyncedAtMs !== undefined) this.write("last_synced_at_ms", p.lastSyncedAtMs);
    if (p.filterRegex !== undefined) this.write("filter_regex", p.filterRegex);
    if (p.serverTimeWatermarkMs !== undefined) this.write("server_time_watermark_ms", p.serverTimeWatermarkMs);
    if (this.cache) {
      const defined = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Partial<SyncStateSnapshot>;
      // The probes as a reload would read them back, not the caller's array.
      if (p.probes !== undefined) defined.probes = parseProbes(p.probes, undefined);
      this.cache = { ...this.cache, ...defined };
    }
  }
}
