// Our engine's initial pull: a fresh store and a SyncDriver whose first run pulls everything,
// over `lanes` connections (its own plus lanes-1 pullRemotes, as the worker has: daemon/worker/main.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { Backoff } from "../../daemon/backoff.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { SyncDriver } from "../../daemon/sync/SyncDriver.js";
import type { SyncEvent } from "../../daemon/sync/events.js";
import type { Target } from "./benchServer.js";
import { clock, closeRemotes, openRemotes, timed, type PullFigures } from "./remotes.js";
import { sqliteCeiling } from "./sqliteCeiling.js";
import { procCpuMs } from "./stats.js";

export interface EnginePullOptions {
  /** The server process: its CPU time during the pull is reported too. */
  serverPid?: number;
  /** Also measure the plain insert of the rows this pull wrote (sqliteCeiling). */
  ceiling?: boolean;
}

export interface EnginePullFigures extends PullFigures {
  /** The server process's CPU during the pull (ms), when its pid was given. */
  serverCpuMs?: number;
  /** Rows per second of the plain insert of the same rows, when asked for. */
  ceilingRowsPerSecond?: number;
}

/** Pulls everything `target` holds into a new store; `keys` counts the bench keys that arrived. */
export async function enginePull(target: Target, lanes: number, expectKeys: number, opts: EnginePullOptions = {}): Promise<EnginePullFigures> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-store-"));
  const remotes = await openRemotes(target, lanes);
  const path = join(dir, "device.db");
  const store = SqliteStore.open({ path, clock });
  try {
    const [main, ...extra] = remotes;
    if (!main) throw new Error("lanes must be at least 1");
    const driver = new SyncDriver({ atSign: target.atSign, remote: main, pullRemotes: extra, store, clock, logger: nullLogger, backoff: new Backoff() });
    // The first run start() asks for is the initial sync; syncNow() would add a second run.
    const done = new Promise<SyncEvent>((resolve) => {
      driver.on((e) => {
        if (e.type === "sync.completed" || e.type === "sync.failed") resolve(e);
      });
    });
    const server0 = opts.serverPid !== undefined ? procCpuMs(opts.serverPid) : 0;
    const { value: end, ms, cpuMs } = await timed(() => {
      driver.start();
      return done;
    });
    const serverCpuMs = opts.serverPid !== undefined ? procCpuMs(opts.serverPid) - server0 : undefined;
    await driver.stop();
    if (end.type === "sync.failed") throw new Error(`initial sync failed: ${end.error.code} ${end.error.message}`);
    const keys = store.listKeys({ namespace: "bench" }).length;
    if (keys !== expectKeys) throw new Error(`initial sync over ${lanes} connection(s) left ${keys} of ${expectKeys} keys`);
    const ceiling = opts.ceiling === true ? (await sqliteCeiling(path)).rowsPerSecond : undefined;
    return { keys, ms, cpuMs, ...(serverCpuMs !== undefined ? { serverCpuMs } : {}), ...(ceiling !== undefined ? { ceilingRowsPerSecond: ceiling } : {}) };
  } finally {
    store.close();
    await closeRemotes(remotes);
    rmSync(dir, { recursive: true, force: true });
  }
}
