// A pull over many connections shares the run's one AbortSignal: each request in flight listens
// on it (as TlsRemote and AtConnection do), and past 10 Node warned MaxListenersExceededWarning.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import type { AtRemote } from "../../daemon/ports.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { SyncDriver } from "../../daemon/sync/SyncDriver.js";
import { ManualClock } from "../sync/support/ManualClock.js";
import { ScriptedServer } from "../sync/support/ScriptedServer.js";

const A = "@alice🛠";

describe("sync: a pull over many connections", function () {
  let dir: string;
  let store: SqliteStore | undefined;
  let driver: SyncDriver | undefined;
  let server: ScriptedServer | undefined;
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);

  before(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-lanes-"));
    process.on("warning", onWarning);
  });

  after(async function () {
    process.off("warning", onWarning);
    await driver?.stop();
    store?.close();
    server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("listens on the run's signal from 12 lanes at once without a MaxListenersExceededWarning", async function () {
    const clock = new ManualClock();
    const srv = (server = new ScriptedServer(A, clock));
    for (let i = 0; i < 3000; i++) await srv.put(`bulk${i}.wavi${A}`, `b${i}`);
    store = SqliteStore.open({ path: join(dir, "a.db"), clock });
    let peak = 0;
    let inFlight = 0;
    // Each lane its own connection to the server, as the worker's extra pull connections are.
    const lane = (): AtRemote => {
      const conn = srv.connect();
      return {
        connected: true,
        close: async () => {},
        request: async (command: string, opts?: { signal?: AbortSignal }) => {
          const onAbort = (): void => undefined;
          opts?.signal?.addEventListener("abort", onAbort, { once: true });
          peak = Math.max(peak, ++inFlight);
          try {
            // Every lane's request is in flight at once before any is answered.
            await new Promise((r) => setImmediate(r));
            return await conn.request(command);
          } finally {
            inFlight--;
            opts?.signal?.removeEventListener("abort", onAbort);
          }
        },
      };
    };
    const remotes = Array.from({ length: 12 }, lane);
    driver = new SyncDriver({
      atSign: A, remote: remotes[0]!, pullRemotes: remotes.slice(1), store, clock, logger: nullLogger,
      backoff: { next: () => 1000, reset: () => {} },
    });
    driver.start();
    await driver.syncNow();
    expect(store.listKeys().filter((k) => k !== srv.identityKey)).to.have.length(3000);
    expect(peak).to.be.greaterThan(10);
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message)).to.deep.equal([]);
  });
});
