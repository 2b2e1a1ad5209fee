// Our engine's initial pull: a fresh store and a SyncDriver whose first run pulls everything,
// over `lanes` connections (its own plus lanes-1 pullRemotes, in disjoint commit-id ranges).
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

/** Pulls everything `target` holds into a new store; `keys` counts the bench keys that arrived. */
export async function enginePull(target: Target, lanes: number, expectKeys: number): Promise<PullFigures> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-store-"));
  const remotes = await openRemotes(target, lanes);
  const store = SqliteStore.open({ path: join(dir, "device.db"), clock });
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
    const { value: end, ms, cpuMs } = await timed(() => {
      driver.start();
      return done;
    });
    await driver.stop();
    if (end.type === "sync.failed") throw new Error(`initial sync failed: ${end.error.code} ${end.error.message}`);
    const keys = store.listKeys({ namespace: "bench" }).length;
    if (keys !== expectKeys) throw new Error(`initial sync over ${lanes} connection(s) left ${keys} of ${expectKeys} keys`);
    return { keys, ms, cpuMs };
  } finally {
    store.close();
    await closeRemotes(remotes);
    rmSync(dir, { recursive: true, force: true });
  }
}
