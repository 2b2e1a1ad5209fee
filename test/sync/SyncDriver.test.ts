// The driver against the simulator's in-process atServer with a test's script around it
// (test/sync/support/ScriptedServer.ts): triggers, retries, rejections, empty pages, backoff and
// reset, with a manual clock.
import { expect } from "chai";
import type { AtRemote } from "../../daemon/ports.js";
import { useDriverWorld } from "./support/driverHarness.js";
import { nextEvent, recordEvents, waitFor } from "./support/waitFor.js";

const A = "@alice🛠";

describe("sync: SyncDriver (in-process server)", () => {
  const world = useDriverWorld(A, "atsyncd-driver");

  it("a local write is pushed at once, with no timer, and its commit id written back", async () => {
    world.driver.start();
    await world.driver.syncNow();
    const done = nextEvent(world.driver, "sync.completed", (e) => e.counts.pushed > 0);
    const w = world.driver.local.put(`phone.wavi${A}`, "cipher", { isEncrypted: true });
    await done;
    expect(world.clock.pendingTimers).to.equal(0);
    expect(world.server.value(`phone.wavi${A}`)).to.equal("cipher");
    expect(world.store.change(w.outboxId!)?.state).to.equal("committed");
    expect(world.driver.facts()).to.include({ pendingUploads: 0 });
    expect(world.driver.facts().loop.kind).to.equal("ready");
  });

  it("coalesces a burst of local writes into few runs and one command per key", async () => {
    world.driver.start();
    await world.driver.syncNow();
    const before = world.server.commands.filter((c) => c.startsWith("batch:")).length;
    for (let i = 0; i < 50; i++) world.driver.local.put(`k${i % 5}.wavi${A}`, `v${i}`);
    await waitFor(() => world.driver.facts().pendingUploads === 0, "pushes");
    const batches = world.server.commands.filter((c) => c.startsWith("batch:")).slice(before);
    expect(batches.length).to.be.lessThan(5);
    const items = batches.flatMap((b) => JSON.parse(b.slice(6)) as unknown[]);
    expect(items).to.have.length(5);
    for (let k = 0; k < 5; k++) expect(world.server.value(`k${k}.wavi${A}`)).to.equal(`v${45 + k}`);
  });

  it("retries a transient item failure after its backoff, records a permanent one as rejected, and retries items left out", async () => {
    const seen = new Map<string, number>();
    world.server.itemFault = (cmd) => {
      const n = (seen.get(cmd) ?? 0) + 1;
      seen.set(cmd, n);
      if (cmd.includes("paused.wavi") && n === 1) return "AT0024";
      if (cmd.includes("omitted.wavi") && n === 1) return "omit";
      return undefined;
    };
    // Longer than the 248 characters an atServer allows a key: refused for good (AT0016).
    const bad = `bad${"x".repeat(250)}.wavi${A}`;
    const events = recordEvents(world.driver);
    world.driver.start();
    await world.driver.syncNow();
    world.driver.local.putMany([
      { atKey: `paused.wavi${A}`, value: "p" },
      { atKey: `omitted.wavi${A}`, value: "o" },
      { atKey: bad, value: "b" },
      { atKey: `fine.wavi${A}`, value: "f" },
    ]);
    await waitFor(() => events.some((e) => e.type === "change.rejected"), "rejection");
    await waitFor(() => world.driver.facts().pendingUploads === 2 && world.clock.pendingTimers > 0, "retry timer");
    expect(world.server.has(`fine.wavi${A}`)).to.equal(true);
    const rejected = events.find((e) => e.type === "change.rejected");
    expect(rejected).to.deep.include({ atKey: bad, code: "AT0016" });
    expect(world.driver.facts().rejectedUploads).to.equal(1);
    // The faults kept both from the server: only the retry can bring them there.
    expect([world.server.has(`paused.wavi${A}`), world.server.has(`omitted.wavi${A}`)]).to.deep.equal([false, false]);
    world.clock.advance(1000);
    await waitFor(() => world.driver.facts().pendingUploads === 0, "retried pushes");
    expect(world.server.value(`paused.wavi${A}`)).to.equal("p");
    expect(world.server.value(`omitted.wavi${A}`)).to.equal("o");
    expect(world.store.rejectedChanges().map((c) => c.lastError)).to.deep.equal(["AT0016: Invalid atKey"]);
  });

  it("pulls past more than a page of skipped entries (empty pages) to the server's commit id", async () => {
    await world.server.put(`first.wavi${A}`, "1");
    for (let i = 0; i < 60; i++) world.server.invalidEntry(`junk${i}.wavi`);
    await world.server.put(`last.wavi${A}`, "2");
    world.driver.start();
    await world.driver.syncNow();
    expect(world.store.get(`first.wavi${A}`)?.value).to.equal("1");
    expect(world.store.get(`last.wavi${A}`)?.value).to.equal("2");
    // The identity's public key (0), first (1), the 60 invalid entries, last (62).
    expect(world.store.syncState().lastReceivedCommitId).to.equal(62);
    expect(world.server.commands.some((c) => c.startsWith("stats:15"))).to.equal(true);
  });

  it("a run that a notification of one change starts costs two round trips: the reset window (which carries the change) and stats:3", async () => {
    world.driver.start();
    await world.driver.syncNow();
    const before = world.server.commands.length;
    const id = await world.server.put(`one.wavi${A}`, "1");
    const done = nextEvent(world.driver, "sync.completed");
    world.notifier.stats(id);
    await done;
    const sent = world.server.commands.slice(before);
    expect(sent.map((c) => c.split(":").slice(0, 2).join(":"))).to.deep.equal(["sync:from", "stats:3"]);
    expect(world.store.get(`one.wavi${A}`)?.value).to.equal("1");
    expect(world.store.syncState().lastReceivedCommitId).to.equal(id);
  });

  it("pulls on a statsNotification above the last received id, and not on one at or below it", async () => {
    world.driver.start();
    await world.driver.syncNow();
    const id = await world.server.put(`remote.wavi${A}`, "r");
    const changed = nextEvent(world.driver, "key.changed", (e) => e.origin === "remote");
    const done = nextEvent(world.driver, "sync.completed");
    world.notifier.stats(id);
    expect(await changed).to.include({ atKey: `remote.wavi${A}`, op: "update" });
    await done;
    const count = world.server.commands.length;
    world.notifier.stats(id);
    world.notifier.stats(id - 1);
    await new Promise<void>((r) => setImmediate(r));
    expect(world.server.commands.length).to.equal(count);
  });

  it("hot loop: with selective sync, a repeated statsNotification of the global commit id starts one run, not one per notification", async () => {
    await world.driver.stop();
    world.driver = world.makeDriver({ filter: { namespaces: ["wavi"] } });
    await world.server.put(`in.wavi${A}`, "i");
    const global = await world.server.put(`out.buzz${A}`, "o");
    world.driver.start();
    await world.driver.syncNow();
    let runs = 0;
    world.driver.on((e) => { if (e.type === "sync.completed") runs++; });
    world.notifier.stats(global);
    await waitFor(() => runs === 1, "the run the first notification asks for");
    for (let i = 0; i < 3; i++) {
      world.notifier.stats(global);
      for (let t = 0; t < 5; t++) await new Promise<void>((r) => setImmediate(r));
    }
    expect(runs).to.equal(1);
  });

  it("hot loop: a row in retry backoff that a narrowed filter excludes does not start a run each time its timer fires", async () => {
    world.server.itemFault = (c) => (c.includes(".buzz") ? "AT0024" : undefined);
    world.driver.start();
    world.driver.local.put(`out.buzz${A}`, "b");
    await waitFor(() => world.store.pendingChanges().some((c) => c.attempts > 0), "a failed push");
    await world.driver.stop();
    world.driver = world.makeDriver({ filter: { namespaces: ["wavi"] } });
    world.driver.start();
    await world.driver.syncNow();
    let runs = 0;
    world.driver.on((e) => { if (e.type === "sync.started") runs++; });
    for (let i = 0; i < 5; i++) {
      world.clock.advance(60_000);
      for (let t = 0; t < 5; t++) await new Promise<void>((r) => setImmediate(r));
    }
    expect(runs).to.equal(0);
  });

  it("scenario: during a long upload, a key another device wrote on the server meanwhile is recorded as a conflict, not overwritten silently", async () => {
    world.driver.start();
    await world.driver.syncNow();
    const keys = Array.from({ length: 200 }, (_, i) => `up${i}.wavi${A}`);
    let wrote = false;
    world.server.rewrite = async (command, reply) => {
      if (!wrote && command.startsWith("batch:")) {
        wrote = true;
        await world.server.put(keys[150]!, "other-device");
      }
      return reply;
    };
    world.driver.local.putMany(keys.map((k) => ({ atKey: k, value: "mine" })));
    await waitFor(() => world.driver.facts().pendingUploads === 0 && !world.driver.facts().uploading, "the upload");
    await world.driver.syncNow();
    const conflicts = world.store.listConflicts();
    expect(conflicts.map((c) => [c.atKey, c.local.value, c.remote.value, c.winner])).to.deep.equal([[keys[150], "mine", "other-device", "local"]]);
    expect(world.server.value(keys[150]!)).to.equal("mine");
  });

  it("backs off after a transport failure (syncNow rejects), then reconnects and completes", async () => {
    const states: string[] = [];
    world.driver.on((e) => { if (e.type === "state.changed") states.push(e.to); });
    world.driver.start();
    await world.driver.syncNow();
    world.server.failNext = 1;
    const err = await world.driver.syncNow().then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
    expect(world.driver.facts().loop.kind).to.equal("backoff");
    expect(world.driver.facts().downloadError?.code).to.equal("REMOTE_UNAVAILABLE");
    expect(world.backoffCalls).to.equal(1);
    const completed = nextEvent(world.driver, "sync.completed");
    world.clock.advance(1000);
    await completed;
    expect(states).to.deep.equal(["starting", "ready", "backoff", "starting", "ready"]);
    expect(world.driver.facts().downloadError).to.equal(null);
  });

  it("detects a server reset whose new writes passed our id, re-pulls, keeps pending changes and restores lost keys", async () => {
    for (let i = 0; i < 3; i++) await world.server.put(`old${i}.wavi${A}`, `o${i}`);
    world.driver.start();
    await world.driver.syncNow();
    world.server.reset();
    for (let i = 0; i < 5; i++) await world.server.put(`new${i}.wavi${A}`, `n${i}`);
    await world.driver.stop();
    world.store.putLocal(`pending.wavi${A}`, "p");
    world.driver = world.makeDriver();
    const reset = nextEvent(world.driver, "server.reset");
    world.driver.start();
    await world.driver.syncNow();
    expect(await reset).to.include({ reason: "last-entry-missing", requeued: 3 });
    for (let i = 0; i < 3; i++) expect(world.server.value(`old${i}.wavi${A}`)).to.equal(`o${i}`);
    expect(world.server.value(`pending.wavi${A}`)).to.equal("p");
    expect(world.store.get(`new4.wavi${A}`)?.value).to.equal("n4");
    expect(world.driver.facts().pendingUploads).to.equal(0);
  });

  it("detects a reset by a commit id that went back", async () => {
    for (let i = 0; i < 5; i++) await world.server.put(`k${i}.wavi${A}`, "v");
    world.driver.start();
    await world.driver.syncNow();
    world.server.reset();
    await world.server.put(`other.wavi${A}`, "x");
    const reset = nextEvent(world.driver, "server.reset");
    await world.driver.syncNow();
    expect(await reset).to.include({ reason: "commit-id-went-back", requeued: 5 });
    // The five restored, the other one, and the identity's public key the reset wrote again.
    expect(world.server.keyCount()).to.equal(7);
  });

  it("keeps keys outside the selective-sync filter out of both directions", async () => {
    await world.driver.stop();
    world.driver = world.makeDriver({ filter: { namespaces: ["wavi"] } });
    await world.server.put(`in.wavi${A}`, "i");
    await world.server.put(`out.buzz${A}`, "o");
    world.driver.start();
    await world.driver.syncNow();
    expect(world.store.get(`in.wavi${A}`)?.value).to.equal("i");
    expect(world.store.get(`out.buzz${A}`)).to.equal(undefined);
    world.driver.local.put(`local.buzz${A}`, "l");
    world.driver.local.put(`local.wavi${A}`, "w");
    await waitFor(() => world.server.has(`local.wavi${A}`), "push of the wavi key");
    await world.driver.syncNow();
    expect(world.server.has(`local.buzz${A}`)).to.equal(false);
    expect(world.store.pendingChanges().map((c) => c.atKey)).to.deep.equal([`local.buzz${A}`]);
    expect(world.driver.facts().pendingUploads).to.equal(0);
    // Widening the filter pulls what it now includes, though it lies below the last received id.
    await world.driver.stop();
    world.driver = world.makeDriver();
    world.driver.start();
    await world.driver.syncNow();
    expect(world.store.get(`out.buzz${A}`)?.value).to.equal("o");
    expect(world.server.value(`local.buzz${A}`)).to.equal("l");
  });

  it("splits a long pull over the extra connections in disjoint ranges, past skipped entries, to the exact server id", async () => {
    // Past PARALLEL_MIN_GAP (2,000 ids): below it one connection is as fast.
    for (let i = 0; i < 2100; i++) await world.server.put(`bulk${i}.wavi${A}`, `b${i}`);
    for (let i = 0; i < 60; i++) world.server.invalidEntry(`junk${i}.wavi`);
    for (let i = 0; i < 100; i += 10) await world.server.remove(`bulk${i}.wavi${A}`);
    for (let i = 0; i < 300; i++) await world.server.put(`more${i}.wavi${A}`, `m${i}`);
    const used = [0, 0, 0];
    const lane = (i: number): AtRemote => {
      const conn = world.server.connect();
      return {
        connected: true,
        close: async () => {},
        request: (c: string) => {
          // Pages, alone or several in a batch.
          used[i]! += (c.match(/sync:from:/gu) ?? []).length;
          return conn.request(c);
        },
      };
    };
    await world.driver.stop();
    world.driver = world.makeDriver({ remote: lane(0), pullRemotes: [lane(1), lane(2)] });
    world.driver.start();
    await world.driver.syncNow();
    expect(used.every((n) => n > 5), `pages per lane ${used.join(",")}`).to.equal(true);
    const keys = world.store.listKeys().filter((k) => k !== world.server.identityKey);
    expect(keys).to.have.length(2100 - 10 + 300);
    expect(world.store.get(`bulk10.wavi${A}`)).to.equal(undefined);
    expect(world.store.get(`bulk11.wavi${A}`)?.value).to.equal("b11");
    expect(world.store.get(`more299.wavi${A}`)?.value).to.equal("m299");
    expect(world.store.syncState().lastReceivedCommitId).to.equal(world.server.lastCommitId());
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
      request: (c: string) => (refuse ? Promise.reject(new AuthError("pkam refused")) : world.server.request(c)),
    };
    await world.driver.stop();
    world.driver = world.makeDriver({ remote });
    const attention = nextEvent(world.driver, "state.changed", (e) => e.to === "needs-attention");
    world.driver.start();
    expect(await attention).to.deep.include({ from: "starting", to: "needs-attention" });
    expect(world.clock.pendingTimers).to.equal(0);
    expect(world.backoffCalls).to.equal(0);
    world.driver.requestPull();
    expect(world.driver.facts().loop.kind).to.equal("needs-attention");
    refuse = false;
    await world.driver.syncNow();
    expect(world.driver.facts()).to.include({ lastError: null });
    expect(world.driver.facts().loop.kind).to.equal("ready");
  });
});
