// The ceiling an initial sync is held against: the rows a pull wrote, inserted again with plain
// better-sqlite3 into a fresh store (the same schema and pragmas SqliteStore.open sets), in
// transactions of one full request's pages (the least a pull's transaction holds once its requests
// carry 16 pages), with no parsing, no decisions and no network. Whatever the
// machine's load, the pull cannot beat this in the same run.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { SYNC_PAGE_LIMIT } from "../../daemon/core/pull.js";
import { MAX_PAGES_PER_REQUEST } from "../../daemon/core/pullFrontier.js";
import { clock, timed } from "./remotes.js";

const COLUMNS = ["at_key", "value", "metadata", "deleted", "commit_id", "updated_at_ms", "resync_seen", "server_time_ms", "server_time_bound_ms", "namespace"];

/** Rows per second of the plain insert of every row of `storePath`'s keys table. */
export async function sqliteCeiling(storePath: string): Promise<{ rows: number; rowsPerSecond: number; cpuMs: number }> {
  const src = new Database(storePath, { readonly: true });
  const rows = src.prepare(`SELECT ${COLUMNS.join(", ")} FROM keys`).raw(true).all() as unknown[][];
  src.close();
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-ceiling-"));
  try {
    const path = join(dir, "ceiling.db");
    SqliteStore.open({ path, clock }).close();
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const insert = db.prepare(`INSERT INTO keys (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`);
    const tx = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(...rows[i]!);
    });
    const run = await timed(() => {
      const perTx = MAX_PAGES_PER_REQUEST * SYNC_PAGE_LIMIT;
      for (let i = 0; i < rows.length; i += perTx) tx(i, Math.min(rows.length, i + perTx));
      return Promise.resolve();
    });
    db.close();
    return { rows: rows.length, rowsPerSecond: Math.round((rows.length / run.ms) * 1000), cpuMs: run.cpuMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
