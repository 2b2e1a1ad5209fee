// The world of a SyncDriver unit test: the simulator's in-process atServer with a test's script
// around it (ScriptedServer), a manual clock, a real store file in a temp dir and a notifier
// standing in for the monitor, fresh for each test.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nullLogger } from "../../../daemon/adapters/nullLogger.js";
import type { AtNotification, Disposable } from "../../../daemon/ports.js";
import { SqliteStore } from "../../../daemon/store/SqliteStore.js";
import { SyncDriver, type SyncDriverOptions } from "../../../daemon/sync/SyncDriver.js";
import { ManualClock } from "./ManualClock.js";
import { ScriptedServer } from "./ScriptedServer.js";

/** Stands in for the Monitor: sends statsNotifications when a test says so. */
export class Notifier {
  private fns = new Set<(n: AtNotification) => void>();

  constructor(private readonly atSign: string) {}

  onNotification(fn: (n: AtNotification) => void): Disposable {
    this.fns.add(fn);
    return { dispose: () => void this.fns.delete(fn) };
  }

  /** A statsNotification of commit id `value`, stamped `epochMillis` (the server's clock). */
  stats(value: number, epochMillis = Date.now()): void {
    const a = this.atSign;
    const n: AtNotification = { id: "-1", from: a, to: a, key: `statsNotification.${a}`, value: String(value), operation: "update", epochMillis };
    for (const fn of this.fns) fn(n);
  }
}

/** What a driver suite's tests see; the hooks set the fields before each test. */
export class DriverWorld {
  dir = "";
  clock!: ManualClock;
  server!: ScriptedServer;
  store!: SqliteStore;
  notifier!: Notifier;
  /** Made by `makeDriver()` before each test, stopped after it; a test may replace it. */
  driver!: SyncDriver;
  /** How often the driver asked for a backoff delay (always 1000 ms). */
  backoffCalls = 0;

  constructor(private readonly atSign: string) {}

  makeDriver(extra: Partial<SyncDriverOptions> = {}): SyncDriver {
    return new SyncDriver({
      atSign: this.atSign, remote: this.server, store: this.store, clock: this.clock, logger: nullLogger, notifications: this.notifier,
      backoff: { next: () => { this.backoffCalls++; return 1000; }, reset: () => {} },
      ...extra,
    });
  }
}

/** Registers the hooks that give each test of the suite a fresh DriverWorld (call it inside `describe`). */
export function useDriverWorld(atSign: string, tmpPrefix: string): DriverWorld {
  const w = new DriverWorld(atSign);

  beforeEach(() => {
    w.dir = mkdtempSync(join(tmpdir(), `${tmpPrefix}-`));
    w.clock = new ManualClock();
    w.server = new ScriptedServer(atSign, w.clock);
    w.store = SqliteStore.open({ path: join(w.dir, "a.db"), clock: w.clock });
    w.notifier = new Notifier(atSign);
    w.backoffCalls = 0;
    w.driver = w.makeDriver();
  });

  afterEach(async () => {
    await w.driver.stop();
    w.store.close();
    w.server.dispose();
    rmSync(w.dir, { recursive: true, force: true });
  });

  return w;
}
