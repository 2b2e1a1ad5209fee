// Adversarial review of ca3667f (a reset found is stored as a repair begun before the next round
// trip, SyncRun.beginRepair): a repair cut short right after it began, or in its re-pull, against
// the simulator's in-process atServer (ScriptedServer).
import { expect } from "chai";
import type { SyncStateSnapshot } from "../../daemon/ports.js";
import { useDriverWorld } from "./support/driverHarness.js";
import type { SyncEvent } from "../../daemon/sync/events.js";
import { recordEvents, waitFor } from "./support/waitFor.js";

const A = "@alice🛠";

describe("sync: review of the repair begun before the next round trip", () => {
  const world = useDriverWorld(A, "atsyncd-review8");

  /** Ten keys pulled, one deleted by this device (its tombstone acknowledged), one change left pending. */
  async function pulledThenPending(): Promise<void> {
    for (let i = 0; i < 10; i++) await world.server.put(`old${i}.wavi${A}`, `o${i}`);
    await world.server.put(`gone.wavi${A}`, "g");
    world.driver.start();
    await world.driver.syncNow();
    world.driver.local.delete(`gone.wavi${A}`);
    await world.driver.syncNow();
    expect(world.server.has(`gone.wavi${A}`)).to.equal(false);
    await world.driver.stop();
    world.store.putLocal(`pending.wavi${A}`, "p");
  }

  /** The connection drops under the request after the first one whose command passes `after`. */
  function dropAfter(after: (command: string) => boolean): void {
    let armed = false;
    world.server.rewrite = (command, reply) => {
      if (!armed && after(command)) {
        armed = true;
        world.server.failNext = 1;
      }
      return reply;
    };
  }

  /**
   * A run that fails under the drop above (the driver backs off), then the run its backoff starts,
   * with no fault: returns what the store held between the two.
   */
  async function failedRunThenRetry(between: () => Promise<void> = async () => {}): Promise<{ cut: SyncStateSnapshot; events: SyncEvent[] }> {
    world.driver = world.makeDriver();
    const events = recordEvents(world.driver);
    world.driver.start();
    const done = world.driver.syncNow();
    await waitFor(() => world.driver.facts().loop.kind === "backoff", "the failed run");
    world.server.rewrite = null;
    const cut = world.store.syncState();
    await between();
    world.clock.advance(1000);
    await done;
    return { cut, events };
  }

  function expectRestored(): void {
    for (let i = 0; i < 10; i++) expect(world.server.value(`old${i}.wavi${A}`)).to.equal(`o${i}`);
    expect(world.server.value(`pending.wavi${A}`)).to.equal("p");
    // The tombstone went back into the log: a delete entry, no live key.
    expect({ live: world.server.has(`gone.wavi${A}`), logged: world.server.commitIdOf(`gone.wavi${A}`) !== undefined }).to.deep.equal({ live: false, logged: true });
    expect(world.driver.facts().pendingUploads).to.equal(0);
    expect(world.store.syncState().repairInProgress).to.equal(false);
  }

  it("scenario: the probes find a wipe and the connection drops under the stats:3 that follows: the repair is stored as begun, the next run resumes it and restores every key, the pending change and the tombstone", async () => {
    await pulledThenPending();
    world.server.reset();
    for (let i = 0; i < 15; i++) await world.server.put(`new${i}.wavi${A}`, `n${i}`);
    dropAfter((c) => c.startsWith("sync:from:"));
    const { cut, events } = await failedRunThenRetry();
    expect(cut).to.include({ repairInProgress: true, lastReceivedCommitId: -1 });
    // One repair: the eleven keys the wipe lost and the tombstone queued again (the pending change was queued already).
    expect(events.filter((e) => e.type === "server.reset").map((e) => e.requeued)).to.deep.equal([11]);
    expectRestored();
    expect(world.store.get(`new14.wavi${A}`)?.value).to.equal("n14");
  });

  // Wiped again: a short new log (its commit id below the ids the cut repair had reached), or a
  // long one (past them: only the probes of the cut repair's pages show it).
  for (const writes of [3, 40]) {
    it(`scenario: a repair cut in its re-pull, the server wiped again meanwhile and ${writes} writes made on the new log: the repair starts over from -1, nothing lost`, async () => {
      await pulledThenPending();
      world.server.reset();
      for (let i = 0; i < 40; i++) await world.server.put(`new${i}.wavi${A}`, `n${i}`);
      // The re-pull's first page arrives, the second is cut.
      dropAfter((c) => c.startsWith("sync:from:-1:"));
      let sent = 0;
      const { cut, events } = await failedRunThenRetry(async () => {
        world.server.reset();
        for (let i = 0; i < writes; i++) await world.server.put(`z${i}.wavi${A}`, `z${i}`);
        sent = world.server.commands.length;
      });
      expect(cut.repairInProgress).to.equal(true);
      expect(cut.lastReceivedCommitId).to.be.within(1, 39);
      // It started over: the repair's pull read the new log from its start.
      expect(world.server.commands.slice(sent).some((c) => c.startsWith("sync:from:-1:"))).to.equal(true);
      expect(events.filter((e) => e.type === "server.reset").length).to.equal(1);
      expectRestored();
      for (let i = 0; i < writes; i++) expect(world.store.get(`z${i}.wavi${A}`)?.value).to.equal(`z${i}`);
      // What the cut repair had pulled from the log the second wipe lost is pushed again.
      expect(world.server.value(`new0.wavi${A}`)).to.equal("n0");
    });
  }

  it("scenario: a repair cut in its re-pull, on a log that still holds, resumes from the page it reached, not from -1", async () => {
    await pulledThenPending();
    world.server.reset();
    for (let i = 0; i < 40; i++) await world.server.put(`new${i}.wavi${A}`, `n${i}`);
    dropAfter((c) => c.startsWith("sync:from:-1:"));
    let sent = 0;
    const { cut } = await failedRunThenRetry(async () => void (sent = world.server.commands.length));
    expect(cut.repairInProgress).to.equal(true);
    const pulls = world.server.commands.slice(sent).filter((c) => c.startsWith("sync:from:"));
    expect(pulls.some((c) => c.startsWith("sync:from:-1:"))).to.equal(false);
    expect(pulls.some((c) => c.startsWith(`sync:from:${cut.lastReceivedCommitId}:`))).to.equal(true);
    expectRestored();
    expect(world.store.get(`new39.wavi${A}`)?.value).to.equal("n39");
  });

  it("scenario: a reset met by the pull between two batches of an upload is repaired; another client's write on the new log before the next batch is pulled first and met as a conflict, not overwritten unseen", async () => {
    await world.driver.stop();
    world.driver = world.makeDriver({ batchItems: 2 });
    for (let i = 0; i < 10; i++) await world.server.put(`old${i}.wavi${A}`, `o${i}`);
    world.driver.start();
    await world.driver.syncNow();
    const mine = Array.from({ length: 6 }, (_, i) => `mine${i}.wavi${A}`);
    const raced = mine[4]!;
    let step = 0;
    world.server.rewrite = async (command, reply) => {
      if (step === 0 && command.startsWith("batch:")) {
        // Another client writes after our first batch: the check before the second one sees it...
        step = 1;
        await world.server.put(`theirs.wavi${A}`, "t");
      } else if (step === 1 && command.startsWith("stats:3")) {
        // ...and the server is wiped before the pull it starts: that pull meets the reset.
        step = 2;
        world.server.reset();
      } else if (step === 2 && command.startsWith("sync:from:-1:")) {
        // The repair's re-pull is answered; then another client writes one of our pending keys.
        step = 3;
        await world.server.put(raced, "other-device");
      }
      return reply;
    };
    world.driver.local.putMany(mine.map((k) => ({ atKey: k, value: "m" })));
    await waitFor(() => step === 3 && world.driver.facts().pendingUploads === 0 && !world.driver.facts().uploading, "the upload");
    await world.driver.syncNow();
    const conflicts = world.store.listConflicts().map((c) => [c.atKey, c.winner, c.local.value, c.remote.value]);
    expect(conflicts).to.deep.equal([[raced, "local", "m", "other-device"]]);
    for (const k of mine) expect(world.server.value(k)).to.equal("m");
    for (let i = 0; i < 10; i++) expect(world.server.value(`old${i}.wavi${A}`)).to.equal(`o${i}`);
  });
});
