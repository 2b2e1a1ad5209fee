// The driver against an in-memory atServer (test/sync/support/FakeAtServer.ts): triggers,
// retries, rejections, empty pages, backoff and reset, with a manual clock.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import type { AtNotification, AtRemote, Disposable } from "../../daemon/ports.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { SyncDriver, type SyncDriverOptions } from "../../daemon/sync/SyncDriver.js";
import { FakeAtServer } from "./support/FakeAtServer.js";
import { ManualClock } from "./support/ManualClock.js";
import { nextEvent, recordEvents, waitFor } from "./support/waitFor.js";

const A = "@alice🛠";

class Notifier {
  private fns = new Set<(n: AtNotification) => void>();
  onNotification(fn: (n: AtNotification) => void): Disposable {
    this.fns.add(fn);
    return { dispose: () => void this.fns.delete(fn) };
  }
  stats(value: number): void {
    const n: AtNotification = { id: "-1", from: A, to: A, key: `statsNotification.${A}`, value: String(value), operation: "update", epochMillis: Date.now() };
    for (const fn of this.fns) fn(n);
  }
}

describe("sync: SyncDriver (in-memory server)", () => {
  let dir: string;
  let clock: ManualClock;
  let server: FakeAtServer;
  let store: SqliteStore;
  let notifier: Notifier;
  let driver: SyncDriver;
  let backoffCalls: number;

  function makeDriver(extra: Partial<SyncDriverOptions> = {}): SyncDriver {
    return new SyncDriver({
      atSign: A, remote: server, store, clock, logger: nullLogger, notifications: notifier,
      backoff: { next: () => { backoffCalls++; return 1000; }, reset: () => {} },
      ...extra,
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-driver-"));
    clock = new ManualClock();
    server = new FakeAtServer();
    store = SqliteStore.open({ path: join(dir, "a.db"), clock });
    notifier = new Notifier();
    backoffCalls = 0;
    driver = makeDriver();
  });

  afterEach(async () => {
    await driver.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a local write is pushed at once, with no timer, and its commit id written back", async () => {
    driver.start();
    await driver.syncNow();
    const done = nextEvent(driver, "sync.completed", (e) => e.counts.pushed > 0);
    const w = driver.local.put(`phone.wavi${A}`, "cipher", { isEncrypted: true });
    await done;
    expect(clock.pendingTimers).to.equal(0);
    expect(server.keys.get(`phone.wavi${A}`)?.value).to.equal("cipher");
    expect(store.change(w.outboxId!)?.state).to.equal("committed");
    expect(driver.status()).to.include({ pendingUploads: 0, state: "online" });
  });

  it("coalesces a burst of local writes into few runs and one command per key", async () => {
    driver.start();
    await driver.syncNow();
    const before = server.commands.filter((c) => c.startsWith("batch:")).length;
    for (let i = 0; i < 50; i++) driver.local.put(`k${i % 5}.wavi${A}`, `v${i}`);
    await waitFor(() => driver.status().pendingUploads === 0, "pushes");
    const batches = server.commands.filter((c) => c.startsWith("batch:")).slice(before);
    expect(batches.length).to.be.lessThan(5);
    const items = batches.flatMap((b) => JSON.parse(b.slice(6)) as unknown[]);
    expect(items).to.have.length(5);
    for (let k = 0; k < 5; k++) expect(server.keys.get(`k${k}.wavi${A}`)?.value).to.equal(`v${45 + k}`);
  });

  it("retries a transient item failure after its backoff, records a permanent one as rejected, and retries items left out", async () => {
    const seen = new Map<string, number>();
    server.itemFault = (cmd) => {
      const n = (seen.get(cmd) ?? 0) + 1;
      seen.set(cmd, n);
      if (cmd.includes("paused.wavi") && n === 1) return "AT0024";
      if (cmd.includes("omitted.wavi") && n === 1) return "omit";
      return undefined;
    };
    const events = recordEvents(driver);
    driver.start();
    await driver.syncNow();
    driver.local.putMany([
      { atKey: `paused.wavi${A}`, value: "p" },
      { atKey: `omitted.wavi${A}`, value: "o" },
      { atKey: `bad.wavi${A}`, value: "b" },
      { atKey: `fine.wavi${A}`, value: "f" },
    ]);
    await waitFor(() => events.some((e) => e.type === "change.rejected"), "rejection");
    await waitFor(() => driver.status().pendingUploads === 2 && clock.pendingTimers > 0, "retry timer");
    expect(server.keys.has(`fine.wavi${A}`)).to.equal(true);
    const rejected = events.find((e) => e.type === "change.rejected");
    expect(rejected).to.deep.include({ atKey: `bad.wavi${A}`, code: "AT0016" });
    expect(driver.status().rejectedUploads).to.equal(1);
    clock.advance(1000);
    await waitFor(() => driver.status().pendingUploads === 0, "retried pushes");
    expect(server.keys.get(`paused.wavi${A}`)?.value).to.equal("p");
    expect(server.keys.get(`omitted.wavi${A}`)?.value).to.equal("o");
    expect(store.rejectedChanges().map((c) => c.lastError)).to.deep.equal(["AT0016: Invalid atKey"]);
  });

  it("pulls past more than a page of skipped entries (empty pages) to the server's commit id", async () => {
    server.put(`first.wavi${A}`, "1");
    for (let i = 0; i < 60; i++) server.commit(`junk${i}.wavi${A}`, "*", true);
    server.put(`last.wavi${A}`, "2");
    driver.start();
    await driver.syncNow();
    expect(store.get(`first.wavi${A}`)?.value).to.equal("1");
    expect(store.get(`last.wavi${A}`)?.value).to.equal("2");
    expect(store.syncState().lastReceivedCommitId).to.equal(61);
    expect(server.commands.some((c) => c.startsWith("stats:15"))).to.equal(true);
  });

  it("pulls on a statsNotification above the last received id, and not on one at or below it", async () => {
    driver.start();
    await driver.syncNow();
    const id = server.put(`remote.wavi${A}`, "r");
    const changed = nextEvent(driver, "key.changed", (e) => e.origin === "remote");
    notifier.stats(id);
    expect(await changed).to.include({ atKey: `remote.wavi${A}`, op: "update" });
    const count = server.commands.length;
    notifier.stats(id);
    notifier.stats(id - 1);
    await new Promise<void>((r) => setImmediate(r));
    expect(server.commands.length).to.equal(count);
  });

  it("backs off after a transport failure (syncNow rejects), then reconnects and completes", async () => {
    const states: string[] = [];
    driver.on((e) => { if (e.type === "state.changed") states.push(e.to); });
    driver.start();
    await driver.syncNow();
    server.failNext = 1;
    const err = await driver.syncNow().then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
    expect(driver.status().state).to.equal("backoff");
    expect(driver.status().downloadError?.code).to.equal("REMOTE_UNAVAILABLE");
    expect(backoffCalls).to.equal(1);
    const completed = nextEvent(driver, "sync.completed");
    clock.advance(1000);
    await completed;
    expect(states).to.deep.equal(["connecting", "online", "backoff", "connecting", "online"]);
    expect(driver.status().downloadError).to.equal(null);
  });

  it("detects a server reset whose new writes passed our id, re-pulls, keeps pending changes and restores lost keys", async () => {
    for (let i = 0; i < 3; i++) server.put(`old${i}.wavi${A}`, `o${i}`);
    driver.start();
    await driver.syncNow();
    server.reset();
    for (let i = 0; i < 5; i++) server.put(`new${i}.wavi${A}`, `n${i}`);
    await driver.stop();
    store.putLocal(`pending.wavi${A}`, "p");
    driver = makeDriver();
    const reset = nextEvent(driver, "server.reset");
    driver.start();
    await driver.syncNow();
    expect(await reset).to.include({ reason: "last-entry-missing", requeued: 3 });
    for (let i = 0; i < 3; i++) expect(server.keys.get(`old${i}.wavi${A}`)?.value).to.equal(`o${i}`);
    expect(server.keys.get(`pending.wavi${A}`)?.value).to.equal("p");
    expect(store.get(`new4.wavi${A}`)?.value).to.equal("n4");
    expect(driver.status().pendingUploads).to.equal(0);
  });

  it("detects a reset by a commit id that went back", async () => {
    for (let i = 0; i < 5; i++) server.put(`k${i}.wavi${A}`, "v");
    driver.start();
    await driver.syncNow();
    server.reset();
    server.put(`other.wavi${A}`, "x");
    const reset = nextEvent(driver, "server.reset");
    await driver.syncNow();
    expect(await reset).to.include({ reason: "commit-id-went-back", requeued: 5 });
    expect(server.keys.size).to.equal(6);
  });

  it("keeps keys outside the selective-sync filter out of both directions", async () => {
    await driver.stop();
    driver = makeDriver({ filter: { namespaces: ["wavi"] } });
    server.put(`in.wavi${A}`, "i");
    server.put(`out.buzz${A}`, "o");
    driver.start();
    await driver.syncNow();
    expect(store.get(`in.wavi${A}`)?.value).to.equal("i");
    expect(store.get(`out.buzz${A}`)).to.equal(undefined);
    driver.local.put(`local.buzz${A}`, "l");
    driver.local.put(`local.wavi${A}`, "w");
    await waitFor(() => server.keys.has(`local.wavi${A}`), "push of the wavi key");
    await driver.syncNow();
    expect(server.keys.has(`local.buzz${A}`)).to.equal(false);
    expect(store.pendingChanges().map((c) => c.atKey)).to.deep.equal([`local.buzz${A}`]);
    expect(driver.status().pendingUploads).to.equal(0);
    // Widening the filter pulls what it now includes, though it lies below the last received id.
    await driver.stop();
    driver = makeDriver();
    driver.start();
    await driver.syncNow();
    expect(store.get(`out.buzz${A}`)?.value).to.equal("o");
    expect(server.keys.get(`local.buzz${A}`)?.value).to.equal("l");
  });

  it("splits a long pull over the extra connections in disjoint ranges, past skipped entries, to the exact server id", async () => {
    for (let i = 0; i < 700; i++) server.put(`bulk${i}.wavi${A}`, `b${i}`);
    for (let i = 0; i < 60; i++) server.commit(`junk${i}.wavi${A}`, "*", true);
    for (let i = 0; i < 100; i += 10) server.remove(`bulk${i}.wavi${A}`);
    for (let i = 0; i < 300; i++) server.put(`more${i}.wavi${A}`, `m${i}`);
    const used = [0, 0, 0];
    const lane = (i: number): AtRemote => ({
      connected: true,
      close: async () => {},
      request: (c: string) => {
        if (c.startsWith("sync:from:")) used[i]!++;
        return server.request(c);
      },
    });
    await driver.stop();
    driver = makeDriver({ remote: lane(0), pullRemotes: [lane(1), lane(2)] });
    driver.start();
    await driver.syncNow();
    expect(used.every((n) => n > 5), `pages per lane ${used.join(",")}`).to.equal(true);
    const keys = store.listKeys();
    expect(keys).to.have.length(700 - 10 + 300);
    expect(store.get(`bulk10.wavi${A}`)).to.equal(undefined);
    expect(store.get(`bulk11.wavi${A}`)?.value).to.equal("b11");
    expect(store.get(`more299.wavi${A}`)?.value).to.equal("m299");
    expect(store.syncState().lastReceivedCommitId).to.equal(server.nextId - 1);
  });

  it("a refused login goes to needs-attention without retrying; an explicit syncNow tries again", async () => {
    class AuthError extends Error {
      readonly code = "AUTH_FAILED";
      readonly retryable = false;
    }
    let refuse = true;
    const remote: AtRemote = {
      connected: false,
      close: async () => {},
      request: (c: string) => (refuse ? Promise.reject(new AuthError("pkam refused")) : server.request(c)),
    };
    await driver.stop();
    driver = makeDriver({ remote });
    const attention = nextEvent(driver, "state.changed", (e) => e.to === "needs-attention");
    driver.start();
    expect(await attention).to.deep.include({ from: "connecting", to: "needs-attention" });
    expect(clock.pendingTimers).to.equal(0);
    expect(backoffCalls).to.equal(0);
    driver.requestPull();
    expect(driver.status().state).to.equal("needs-attention");
    refuse = false;
    await driver.syncNow();
    expect(driver.status()).to.include({ state: "online", lastError: null });
  });
});
