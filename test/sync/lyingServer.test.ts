// A server that lies, and outbox/trigger edge cases: the dev-server's own verbs in process, with a
// script that makes them lie where the dev-server cannot produce the situation (it never lies;
// test/sync/support/ScriptedServer.ts). Every title names its scenario.
import { expect } from "chai";
import { AtProtocolError } from "../../protocol/errors.js";
import { useDriverWorld } from "./support/driverHarness.js";
import { recordEvents, waitFor } from "./support/waitFor.js";

const A = "@alice🛠";

describe("sync: a lying server and outbox edge cases (scripted server)", () => {
  const world = useDriverWorld(A, "atsyncd-lying");

  /** Lies once in reply to the first command matching `prefix`, then tells the truth. */
  function lieOnce(prefix: string, lie: (reply: string) => string): void {
    let done = false;
    world.server.rewrite = (command, reply) => {
      // The reset probe (`sync:from:<id>:limit:25:^key$`) is not the page under test.
      if (done || !command.startsWith(prefix) || command.includes(":^")) return reply;
      done = true;
      return lie(reply);
    };
  }

  it("scenario: a batch reply whose item ids do not match the commands commits nothing on a wrong id; all retried", async () => {
    world.driver.start();
    await world.driver.syncNow();
    lieOnce("batch:", (reply) => {
      const items = JSON.parse(reply) as Array<{ id: number; response: unknown }>;
      return JSON.stringify(items.map((it) => ({ ...it, id: it.id - 1 })));
    });
    world.driver.local.putMany([0, 1, 2].map((i) => ({ atKey: `shift${i}.wavi${A}`, value: `s${i}` })));
    await waitFor(() => world.server.commands.filter((c) => c.startsWith("batch:")).length >= 1, "the lying batch");
    await waitFor(() => world.store.pendingChanges().every((c) => c.attempts > 0 || c.state !== "pending"), "outcomes written");
    for (let i = 0; i < 3; i++) {
      const k = `shift${i}.wavi${A}`;
      const local = world.store.get(k)?.commitId ?? null;
      // Either still unacknowledged, or acknowledged with the server's real commit id: never another key's.
      if (local !== null) expect(local, k).to.equal(world.server.commitIdOf(k));
    }
    world.clock.advance(60_000);
    await waitFor(() => world.driver.facts().pendingUploads === 0, "retried pushes");
    await world.driver.syncNow();
    for (let i = 0; i < 3; i++) expect(world.store.get(`shift${i}.wavi${A}`)?.commitId).to.equal(world.server.commitIdOf(`shift${i}.wavi${A}`));
  });

  it("scenario: a batch item with non-numeric, null or empty data is not taken as an acknowledgement", async () => {
    world.driver.start();
    await world.driver.syncNow();
    lieOnce("batch:", (reply) => {
      const items = JSON.parse(reply) as Array<{ id: number; response: unknown }>;
      const lies: unknown[] = ["abc", null, ""];
      return JSON.stringify(items.map((it, i) => ({ id: it.id, response: { data: lies[i] } })));
    });
    // The server applied nothing of what it acknowledged with a lie.
    const real = world.server.request.bind(world.server);
    let drop = true;
    world.server.request = async (c: string) => {
      if (drop && c.startsWith("batch:")) {
        drop = false;
        const items = JSON.parse(c.slice(6)) as Array<{ id: number }>;
        return world.server.rewrite!(c, JSON.stringify(items.map((it) => ({ id: it.id, response: { data: "0" } }))));
      }
      return real(c);
    };
    const ws = world.driver.local.putMany([0, 1, 2].map((i) => ({ atKey: `lie${i}.wavi${A}`, value: `l${i}` })));
    await waitFor(() => !drop && ws.every((w) => (world.store.change(w.outboxId!)?.attempts ?? 0) > 0 || world.store.change(w.outboxId!)?.state !== "pending"), "outcomes");
    for (const w of ws) expect(world.store.change(w.outboxId!)?.state, w.atKey).to.equal("pending");
    world.clock.advance(60_000);
    await waitFor(() => world.driver.facts().pendingUploads === 0, "retried pushes");
    for (let i = 0; i < 3; i++) expect(world.server.value(`lie${i}.wavi${A}`)).to.equal(`l${i}`);
  });

  // AT0028 is what the atServer answers for an enrollment that expired or is no longer valid
  // (at_server's enroll and pkam handlers): it refuses the session like AT0401 does.
  for (const code of ["AT0401", "AT0028"]) {
    it(`scenario: an authentication error (${code}) in reply to a batch is not the change's fault: it stays pending, the run needs attention`, async () => {
      world.driver.start();
      await world.driver.syncNow();
      const real = world.server.request.bind(world.server);
      let refuse = true;
      world.server.request = async (c: string) => {
        if (refuse && c.startsWith("batch:")) throw new AtProtocolError(code, "Client authentication failed");
        return real(c);
      };
      const events = recordEvents(world.driver);
      const w = world.driver.local.put(`auth.wavi${A}`, "kept");
      await waitFor(() => events.some((e) => e.type === "sync.failed" || e.type === "sync.completed"), "the refused push");
      expect(events.filter((e) => e.type === "change.rejected")).to.deep.equal([]);
      expect(world.store.change(w.outboxId!)?.state).to.equal("pending");
      expect(world.driver.facts().loop.kind).to.equal("needs-attention");
      expect(world.backoffCalls).to.equal(0);
      refuse = false;
      await world.driver.syncNow();
      expect(world.server.value(`auth.wavi${A}`)).to.equal("kept");
    });
  }

  it("scenario: an expired enrollment (AT0028) in reply to sync:from needs attention instead of backing off forever", async () => {
    await world.server.put(`remote.wavi${A}`, "v");
    lieOnce("sync:from:", () => {
      throw new AtProtocolError("AT0028", "enrollment_id: e1 is expired or invalid");
    });
    const events = recordEvents(world.driver);
    world.driver.start();
    await waitFor(() => events.some((e) => e.type === "sync.failed" || e.type === "sync.completed"), "the refused pull");
    expect(world.driver.facts().loop.kind).to.equal("needs-attention");
    expect(world.backoffCalls).to.equal(0);
  });

  it("scenario: a sync:from reply that is not JSON fails the run with a clear error and changes nothing", async () => {
    await world.server.put(`a.wavi${A}`, "1");
    lieOnce("sync:from:", () => "[{not json");
    const events = recordEvents(world.driver);
    world.driver.start();
    await waitFor(() => events.some((e) => e.type === "sync.failed"), "the failed run");
    const failed = events.find((e) => e.type === "sync.failed");
    expect(failed && failed.type === "sync.failed" ? failed.error.code : null).to.equal("ATSYNC_BAD_REPLY");
    expect(world.store.syncState().lastReceivedCommitId).to.equal(-1);
    world.clock.advance(1000);
    await waitFor(() => world.store.get(`a.wavi${A}`)?.value === "1", "the retried pull");
  });

  it("scenario: a sync:from page with entries out of commit order is refused, not half-trusted", async () => {
    for (let i = 0; i < 5; i++) await world.server.put(`o${i}.wavi${A}`, `v${i}`);
    lieOnce("sync:from:", (reply) => JSON.stringify((JSON.parse(reply) as unknown[]).reverse()));
    const events = recordEvents(world.driver);
    world.driver.start();
    await waitFor(() => events.some((e) => e.type === "sync.failed"), "the failed run");
    expect(world.store.syncState().lastReceivedCommitId).to.equal(-1);
    expect(world.store.listKeys()).to.deep.equal([]);
    world.clock.advance(1000);
    await waitFor(() => world.store.listKeys().filter((k) => k !== world.server.identityKey).length === 5, "the truthful pull");
  });

  it("scenario: a sync:from page with commit ids below what we asked for does not bring back an old state", async () => {
    const k = `gone.wavi${A}`;
    await world.server.put(k, "old");
    world.driver.start();
    await world.driver.syncNow();
    const deleteId = await world.server.remove(k);
    await world.driver.syncNow();
    expect(world.store.get(k)).to.equal(undefined);
    world.store.prune(0);
    await world.server.put(`next.wavi${A}`, "n");
    // The lie: the page also carries the key's old state, at an id below the one asked from.
    lieOnce("sync:from:", (reply) => JSON.stringify([
      { atKey: k, value: "old", metadata: {}, commitId: deleteId - 1, operation: "*" },
      ...(JSON.parse(reply) as unknown[]),
    ]));
    await world.driver.syncNow().catch(() => undefined);
    expect(world.store.get(k), "the stale entry was applied").to.equal(undefined);
  });

  it("scenario: stats:3 with a null value (an empty log after a reset) repairs and restores from this device", async () => {
    for (let i = 0; i < 3; i++) await world.server.put(`e${i}.wavi${A}`, `v${i}`);
    world.driver.start();
    await world.driver.syncNow();
    world.server.empty();
    expect(await world.server.request("stats:3")).to.contain('"value":"null"');
    await world.driver.syncNow();
    for (let i = 0; i < 3; i++) expect(world.server.value(`e${i}.wavi${A}`)).to.equal(`v${i}`);
  });

  it("scenario: put, delete and re-put of one key in one batch, the delete failing transiently: the re-put state survives", async () => {
    const k = `redo.wavi${A}`;
    await world.server.put(k, "orig");
    world.driver.start();
    await world.driver.syncNow();
    let failed = false;
    world.server.itemFault = (cmd) => {
      if (!failed && cmd.startsWith("delete:")) {
        failed = true;
        return "AT0024";
      }
      return undefined;
    };
    await world.driver.stop();
    world.driver.local.put(k, "mid");
    world.driver.local.delete(k);
    world.driver.local.put(k, "final");
    world.driver = world.makeDriver();
    world.driver.start();
    await world.driver.syncNow();
    expect(failed).to.equal(true);
    world.clock.advance(10 * 60_000);
    await waitFor(() => world.driver.facts().pendingUploads === 0, "retries");
    await world.driver.syncNow();
    expect(world.server.value(k)).to.equal("final");
    expect(world.store.get(k)?.value).to.equal("final");
  });

  it("scenario: more keys than one batch holds go out in several batches, each acknowledged", async () => {
    await world.driver.stop();
    world.driver = world.makeDriver({ batchItems: 50 });
    world.driver.start();
    await world.driver.syncNow();
    world.driver.local.putMany(Array.from({ length: 130 }, (_, i) => ({ atKey: `many${i}.wavi${A}`, value: `m${i}` })));
    await waitFor(() => world.driver.facts().pendingUploads === 0, "pushes");
    // The pushes' batches (the pull that follows asks for its pages in batches too).
    const batches = world.server.commands.filter((c) => c.startsWith("batch:") && !c.includes("sync:from:"));
    expect(batches.map((b) => (JSON.parse(b.slice(6)) as unknown[]).length)).to.deep.equal([50, 50, 30]);
    for (let i = 0; i < 130; i++) expect(world.store.get(`many${i}.wavi${A}`)?.commitId).to.equal(world.server.commitIdOf(`many${i}.wavi${A}`));
  });

  it("scenario: a local write outside the selective-sync filter is kept locally and visible in status, not silently dropped", async () => {
    await world.driver.stop();
    world.driver = world.makeDriver({ filter: { namespaces: ["wavi"] } });
    world.driver.start();
    await world.driver.syncNow();
    world.driver.local.put(`outside.buzz${A}`, "kept");
    await world.driver.syncNow();
    expect(world.server.has(`outside.buzz${A}`)).to.equal(false);
    expect(world.store.get(`outside.buzz${A}`)?.value).to.equal("kept");
    expect(world.driver.facts()).to.include({ pendingUploads: 0, pendingOutsideFilter: 1 });
  });

  it("scenario: a server reset repaired under a selective-sync filter restores only what the filter selects", async () => {
    await world.server.put(`in.wavi${A}`, "i");
    await world.server.put(`out.buzz${A}`, "o");
    world.driver.start();
    await world.driver.syncNow();
    await world.driver.stop();
    world.driver = world.makeDriver({ filter: { namespaces: ["wavi"] } });
    world.driver.start();
    await world.driver.syncNow();
    world.server.reset();
    await world.driver.syncNow();
    expect(world.server.value(`in.wavi${A}`)).to.equal("i");
    expect(world.server.has(`out.buzz${A}`)).to.equal(false);
    expect(world.driver.facts()).to.include({ pendingUploads: 0, pendingOutsideFilter: 0 });
  });

  it("scenario: a burst of 100 statsNotifications causes one or two pulls, and those at or below the last received id none", async () => {
    world.driver.start();
    await world.driver.syncNow();
    const started = recordEvents(world.driver);
    const top = await world.server.put(`burst.wavi${A}`, "b");
    for (let i = 0; i < 100; i++) world.notifier.stats(top);
    await waitFor(() => world.store.get(`burst.wavi${A}`)?.value === "b", "the pull");
    await waitFor(() => started.filter((e) => e.type === "sync.completed").length === started.filter((e) => e.type === "sync.started").length, "runs done");
    const runs = started.filter((e) => e.type === "sync.started").length;
    expect(runs).to.be.within(1, 2);
    // A run starts synchronously on a trigger (sync.started is emitted before its first await).
    const before = started.length;
    for (let i = 0; i < 100; i++) world.notifier.stats(top - (i % 2));
    expect(started.slice(before).filter((e) => e.type === "sync.started")).to.deep.equal([]);
  });

  for (const fault of ["omit", "AT0003"] as const) {
    it(`scenario: a server that will not run sync:from in a batch (${fault === "omit" ? "items left out" : "AT0003"}) still serves every page alone: the pull completes`, async () => {
      for (let i = 0; i < 300; i++) await world.server.put(`single${i}.wavi${A}`, `s${i}`);
      world.server.itemFault = (c) => (c.startsWith("sync:from:") ? fault : undefined);
      world.driver.start();
      await world.driver.syncNow();
      for (let i = 0; i < 300; i += 37) expect(world.store.get(`single${i}.wavi${A}`)?.value).to.equal(`s${i}`);
      expect(world.store.listKeys().filter((k) => k.startsWith("single"))).to.have.length(300);
      expect(world.store.syncState().lastReceivedCommitId).to.equal(world.server.lastCommitId());
      // One refused batch, then a plain page a request.
      const pulls = world.server.commands.filter((c) => c.includes("sync:from:") && !c.includes(":^"));
      expect(pulls.filter((c) => c.startsWith("batch:"))).to.have.length(1);
      expect(pulls.length).to.be.greaterThan(300 / 25);
    });
  }

  it("scenario: a batched page's error other than a refusal (an expired enrollment) fails the pull as that page alone would", async () => {
    for (let i = 0; i < 300; i++) await world.server.put(`expired${i}.wavi${A}`, `e${i}`);
    world.server.itemFault = (c) => (c.startsWith("sync:from:") ? "AT0028" : undefined);
    const failed = new Promise<unknown>((resolve) => world.driver.on((e) => {
      if (e.type === "sync.failed") resolve(e.error.code);
    }));
    world.driver.start();
    expect(await failed).to.equal("AT0028");
    // The first page (plain) was applied; nothing past what the pages proved.
    expect(world.store.syncState().lastReceivedCommitId).to.be.lessThan(world.server.lastCommitId() ?? 0);
  });
  it("scenario: a batch of pages whose replies are swapped between items proves nothing it did not send: no entry is skipped", async () => {
    for (let i = 0; i < 300; i++) await world.server.put(`swap${i}.wavi${A}`, `w${i}`);
    // The first batch of pages (the second request of the pull) comes back with its first two items' pages swapped.
    lieOnce("batch:", (reply) => {
      const items = JSON.parse(reply) as Array<{ id: number; response: unknown }>;
      if (items.length < 2) return reply;
      const [a, b] = [items[0]!, items[1]!];
      return JSON.stringify([{ id: a.id, response: b.response }, { id: b.id, response: a.response }, ...items.slice(2)]);
    });
    const failed = new Promise<void>((resolve) => world.driver.on((e) => {
      if (e.type === "sync.failed") resolve();
    }));
    world.driver.start();
    await failed;
    expect(world.server.commands.filter((c) => c.startsWith("batch:") && c.includes("sync:from:"))).to.have.length(1);
    world.clock.advance(60_000);
    await world.driver.syncNow();
    const missing = Array.from({ length: 300 }, (_, i) => `swap${i}.wavi${A}`).filter((k) => world.store.get(k)?.value === undefined);
    expect(missing).to.deep.equal([]);
    expect(world.store.syncState().lastReceivedCommitId).to.equal(world.server.lastCommitId());
  });
  it("scenario: another client rewrites and deletes keys between the batches of one pull (in gaps, in proven spans, ahead): the store ends as the server", async () => {
    // Runs of entries the server counts in a page's window but does not send: short pages, gaps.
    for (let i = 0; i < 400; i++) {
      await world.server.put(`churn${i}.wavi${A}`, `c${i}`);
      if (i % 40 === 17) for (let j = 0; j < 12; j++) world.server.invalidEntry(`junk${i}x${j}.wavi`);
    }
    let round = 0;
    world.server.rewrite = async (command, reply) => {
      if (!command.includes("sync:from:") || command.includes(":^")) return reply;
      // After each request of the pull: keys low and high in the log written again or deleted
      // (their entries move past the pull's target), one of them deleted right after its rewrite.
      round++;
      for (let j = 0; j < 12; j++) {
        const k = `churn${(round * 37 + j * 31) % 400}.wavi${A}`;
        if (j % 3 === 0) await world.server.remove(k);
        else await world.server.put(k, `r${round}-${j}`);
      }
      // The connection drops under the request after the fourth: the pull is cut with its gaps open.
      if (round === 4) world.server.failNext = 1;
      return reply;
    };
    const failed = new Promise<void>((resolve) => world.driver.on((e) => {
      if (e.type === "sync.failed") resolve();
    }));
    world.driver.start();
    await failed;
    world.clock.advance(60_000);
    await world.driver.syncNow();
    world.server.rewrite = null;
    await world.driver.syncNow();
    expect(round).to.be.greaterThan(3);
    for (let i = 0; i < 400; i++) {
      const k = `churn${i}.wavi${A}`;
      expect(world.store.get(k)?.value, k).to.equal(world.server.value(k));
    }
    expect(world.store.syncState().lastReceivedCommitId).to.equal(world.server.lastCommitId());
  });
});
