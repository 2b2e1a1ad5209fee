// Adversarial review of the engine commits of 2026-12-01 (f9bf9ec..d073fb3): scenarios the
// simulator does not inject, against the simulator's in-process atServer (ScriptedServer).
import { expect } from "chai";
import type { AtRemote } from "../../daemon/ports.js";
import { useDriverWorld } from "./support/driverHarness.js";
import { nextEvent, waitFor } from "./support/waitFor.js";

const A = "@alice🛠";

describe("sync: review of the reset-by-ack, gap and echo changes", () => {
  const world = useDriverWorld(A, "atsyncd-review2");

  it("scenario: a server wiped just before our batch (a reset seen only by the ack): the repair's push sends every pending change, not one batch, and the run leaves nothing pending", async () => {
    await world.driver.stop();
    world.driver = world.makeDriver({ batchItems: 2 });
    for (let i = 0; i < 10; i++) await world.server.put(`old${i}.wavi${A}`, `o${i}`);
    world.driver.start();
    await world.driver.syncNow();
    expect(world.driver.facts().lastReceivedCommitId).to.equal(10);
    // The wipe lands between the run's checks (probes, stats:3) and its first batch.
    let wiped = false;
    world.server.itemFault = () => {
      if (!wiped) {
        wiped = true;
        world.server.reset();
      }
      return undefined;
    };
    const reset = nextEvent(world.driver, "server.reset");
    const keys = Array.from({ length: 6 }, (_, i) => `mine${i}.wavi${A}`);
    world.driver.local.putMany(keys.map((k) => ({ atKey: k, value: "m" })));
    await reset;
    await waitFor(() => !world.driver.facts().uploading && !world.driver.facts().downloading, "the run to end");
    // Give any follow-up run the chance to start (there is no timer to advance).
    await new Promise((r) => setTimeout(r, 50));
    const s = world.driver.facts();
    expect({ pending: s.pendingUploads, timers: world.clock.pendingTimers }).to.deep.equal({ pending: 0, timers: 0 });
    for (const k of keys) expect(world.server.value(k)).to.equal("m");
    for (let i = 0; i < 10; i++) expect(world.server.value(`old${i}.wavi${A}`)).to.equal(`o${i}`);
  });

  it("scenario: our update:meta lands on another client's value that arrived just before it while a later change of ours is pending: under remote-wins the other value is kept and the conflict recorded, not overwritten unseen", async () => {
    const k = `note.wavi${A}`;
    await world.server.put(k, "v1");
    await world.driver.stop();
    // The batch carrying our update:meta: a local change is made while it is on the wire, then
    // another client's write reaches the server just before it.
    let raced = false;
    const remote: AtRemote = {
      connected: true,
      close: () => world.server.close(),
      request: async (command, opts) => {
        if (!raced && command.startsWith("batch:") && command.includes("update:meta:")) {
          raced = true;
          world.driver.local.put(k, "v3");
          await world.server.put(k, "v2");
        }
        return world.server.request(command, opts);
      },
    };
    world.driver = world.makeDriver({ remote, policy: "remote-wins" });
    world.driver.start();
    await world.driver.syncNow();
    world.driver.local.putMeta(k, { ttr: 1000 });
    await waitFor(() => raced, "the race");
    await waitFor(() => world.driver.facts().pendingUploads === 0 && !world.driver.facts().uploading, "the upload");
    await world.driver.syncNow();
    // The echo of our update:meta held v2: the device saw another client's value newer than the
    // base of its pending v3. That is a conflict (README "Conflicts and restores"), and under
    // remote-wins the server's version stays.
    const conflicts = world.store.listConflicts().map((c) => [c.atKey, c.winner, c.local.value, c.remote.value]);
    expect(conflicts).to.deep.equal([[k, "remote", "v3", "v2"]]);
    expect(world.server.value(k)).to.equal("v2");
    expect(world.store.get(k)?.value).to.equal("v2");
  });

  it("scenario: after pushing eight keys, the server is wiped and another client writes the same eight keys in the same order: the reset is detected (probes carry their echo's updatedAt), the device adopts the other values and status does not claim in sync while it differs", async () => {
    world.driver.start();
    await world.driver.syncNow();
    const keys = Array.from({ length: 8 }, (_, i) => `p${i}.wavi${A}`);
    world.driver.local.putMany(keys.map((k) => ({ atKey: k, value: "mine" })));
    await waitFor(() => world.driver.facts().pendingUploads === 0 && !world.driver.facts().uploading && !world.driver.facts().downloading, "the upload and its echo");
    await world.driver.syncNow();
    const before = keys.map((k) => world.server.commitIdOf(k));
    // An app that writes the same keys on start, after the server lost everything.
    world.clock.advance(5_000);
    world.server.reset();
    for (const k of keys) await world.server.put(k, "theirs");
    expect(keys.map((k) => world.server.commitIdOf(k))).to.deep.equal(before);
    await world.driver.syncNow();
    expect(keys.map((k) => world.store.get(k)?.value)).to.deep.equal(keys.map(() => "theirs"));
  });

  it("scenario: a repair under selective sync, then the filter widened: a key outside the old filter stays unseen, so the pull the wider filter starts is a repair: the new log's newer version of it is taken, not ignored as older", async () => {
    for (let i = 0; i < 10; i++) await world.server.put(`a${i}.wavi${A}`, "a");
    const x = `x.other${A}`;
    await world.server.put(x, "old");
    world.driver.start();
    await world.driver.syncNow();
    expect(world.store.get(x)?.value).to.equal("old");
    await world.driver.stop();
    world.driver = world.makeDriver({ filter: { namespaces: ["wavi"] } });
    world.driver.start();
    await world.driver.syncNow();
    world.server.reset();
    world.clock.advance(1000);
    await world.server.put(x, "new");
    await world.server.put(`b.wavi${A}`, "b");
    const reset = nextEvent(world.driver, "server.reset");
    await world.driver.syncNow();
    await reset;
    await world.driver.stop();
    world.driver = world.makeDriver();
    world.driver.start();
    await world.driver.syncNow();
    expect(world.store.get(x)?.value).to.equal("new");
  });

  it("scenario: last-writer-wins, another client deletes a key, a minute later this device writes it again: the newer local write is kept (the delete is dated by its statsNotification, not by the pull)", async () => {
    const k = `again.wavi${A}`;
    await world.server.put(k, "v0");
    await world.driver.stop();
    world.driver = world.makeDriver({ policy: "last-writer-wins" });
    world.driver.start();
    await world.driver.syncNow();
    await world.server.remove(k);
    // The monitor's notification of the delete's commit, as the server sends it at once.
    world.notifier.stats(world.server.lastCommitId()!, world.clock.now());
    world.clock.advance(60_000);
    world.driver.local.put(k, "mine");
    // The run starts at once; its pull is answered a few milliseconds later.
    world.clock.advance(5);
    await waitFor(() => world.driver.facts().pendingUploads === 0 && !world.driver.facts().uploading && !world.driver.facts().downloading, "the run");
    await world.driver.syncNow();
    expect([world.store.get(k)?.value, world.server.value(k)]).to.deep.equal(["mine", "mine"]);
  });

  it("scenario: the server wiped between our batch's reply and the pull that follows it: the repair that pull starts requeues what the server lost, and those changes are pushed without waiting for another trigger", async () => {
    for (let i = 0; i < 3; i++) await world.server.put(`old${i}.wavi${A}`, `o${i}`);
    world.driver.start();
    await world.driver.syncNow();
    let wiped = false;
    world.server.rewrite = (command, reply) => {
      if (!wiped && command.startsWith("batch:")) {
        wiped = true;
        world.server.reset();
      }
      return reply;
    };
    const reset = nextEvent(world.driver, "server.reset");
    world.driver.local.put(`mine.wavi${A}`, "m");
    await reset;
    await waitFor(() => !world.driver.facts().uploading && !world.driver.facts().downloading, "the run to end");
    await new Promise((r) => setTimeout(r, 50));
    expect({ pending: world.driver.facts().pendingUploads, timers: world.clock.pendingTimers }).to.deep.equal({ pending: 0, timers: 0 });
    expect(world.server.value(`mine.wavi${A}`)).to.equal("m");
    for (let i = 0; i < 3; i++) expect(world.server.value(`old${i}.wavi${A}`)).to.equal(`o${i}`);
  });

  it("scenario: another device rewrites the eight keys this device pulled last (a bulk edit): plain remote updates record no conflict and start no full re-pull", async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `bulk${i}.wavi${A}`);
    for (const k of keys) await world.server.put(k, "v1");
    world.driver.start();
    await world.driver.syncNow();
    world.clock.advance(1_000);
    for (const k of keys) await world.server.put(k, "v2");
    let resets = 0;
    world.driver.on((e) => { if (e.type === "server.reset") resets++; });
    await world.driver.syncNow();
    expect(keys.map((k) => world.store.get(k)?.value)).to.deep.equal(keys.map(() => "v2"));
    expect({ resets, conflicts: world.store.listConflicts().length }).to.deep.equal({ resets: 0, conflicts: 0 });
  });

  it("scenario: after a repair of a wiped server, another client's write on the new (shorter) log is pulled when its statsNotification arrives, not only once the new log passes the old commit ids", async () => {
    // Five keys edited ten times each: the log's ids reach 50.
    for (let n = 0; n < 10; n++) for (let i = 0; i < 5; i++) await world.server.put(`k${i}.wavi${A}`, `v${n}`);
    world.driver.start();
    await world.driver.syncNow();
    // The notification of the last of those writes, as the monitor delivers it.
    world.notifier.stats(50);
    await new Promise<void>((r) => setImmediate(r));
    await world.driver.syncNow();
    world.server.reset();
    const reset = nextEvent(world.driver, "server.reset");
    await world.driver.syncNow();
    await reset;
    const id = await world.server.put(`fresh.wavi${A}`, "f");
    expect(id).to.be.lessThan(50);
    const changed = nextEvent(world.driver, "key.changed", (e) => e.origin === "remote" && e.atKey === `fresh.wavi${A}`, 2_000);
    world.notifier.stats(id);
    await changed;
  });

  for (const policy of ["last-writer-wins", "remote-wins"] as const) {
    it(`scenario: ${policy}: this device deletes a key it never pulled, then writes it again before the delete's echo is pulled: its own delete is not taken for a newer remote one (no conflict, the write is kept)`, async () => {
      const k = `never.wavi${A}`;
      await world.driver.stop();
      world.driver = world.makeDriver({ policy });
      world.driver.start();
      await world.driver.syncNow();
      let stage = 0;
      world.server.rewrite = (command, reply) => {
        if (stage === 0 && command.startsWith("batch:") && command.includes("delete:")) stage = 1;
        else if (stage === 1 && command.startsWith("stats:3")) {
          // Between the delete's ack and the pull of its echo.
          stage = 2;
          world.driver.local.put(k, "again");
          world.clock.advance(5);
        }
        return reply;
      };
      world.driver.local.delete(k);
      await waitFor(() => stage === 2 && world.driver.facts().pendingUploads === 0 && !world.driver.facts().uploading && !world.driver.facts().downloading, "the runs");
      await world.driver.syncNow();
      expect({ local: world.store.get(k)?.value, server: world.server.value(k), conflicts: world.store.listConflicts().length }).to.deep.equal({ local: "again", server: "again", conflicts: 0 });
    });
  }
});
