// Pulls of several sync:from pages (a log of more than 25 entries), which the default simulator
// (2-6 keys) never makes: another client's writes land between the pages of one pull, against
// the simulator's in-process atServer (ScriptedServer). RELIABILITY.md "multi-page pulls".
import { expect } from "chai";
import type { AtRemote } from "../../daemon/ports.js";
import { useDriverWorld } from "./support/driverHarness.js";
import { nextEvent, waitFor } from "./support/waitFor.js";

const A = "@alice🛠";

describe("sync: pulls of several pages, with other clients writing between them", () => {
  const world = useDriverWorld(A, "atsyncd-multipage");
  const keys = Array.from({ length: 60 }, (_, i) => `k${i}.wavi${A}`);

  /** A remote that runs `between` once, just before the first `sync:from:-1` after `arm()` (the repair's first page). */
  function raceFirstRepairPage(between: () => Promise<void>): { remote: AtRemote; arm: () => void; raced: () => boolean } {
    let armed = false;
    let raced = false;
    const remote: AtRemote = {
      connected: true,
      close: () => world.server.close(),
      request: async (command, opts) => {
        const reply = await world.server.request(command, opts);
        if (armed && !raced && command.startsWith("sync:from:-1:")) {
          raced = true;
          await between();
        }
        return reply;
      },
    };
    return { remote, arm: () => void (armed = true), raced: () => raced };
  }

  it("scenario: local-wins, a repair's re-pull of 60 keys takes three pages; another client deletes k50 after the first, and its delete moves past the pull's target behind a full last page: the repair does not take k50 for a key the server lost and push it back: the delete wins (a conflict records the value it replaced) and k50 stays deleted", async () => {
    for (const k of keys) await world.server.put(k, "v1");
    const race = raceFirstRepairPage(async () => {
      // Enough new keys past the target that the last page is full before the delete.
      for (let i = 0; i < 20; i++) await world.server.put(`n${i}.wavi${A}`, "n");
      await world.server.remove(keys[50]!);
    });
    await world.driver.stop();
    world.driver = world.makeDriver({ remote: race.remote, policy: "local-wins" });
    world.driver.start();
    await world.driver.syncNow();
    expect(world.store.get(keys[50]!)?.value).to.equal("v1");
    // The server restored from a backup without the keys' history: another client writes them again, later.
    world.server.reset();
    world.clock.advance(60_000);
    for (const k of keys) await world.server.put(k, "v2");
    race.arm();
    const reset = nextEvent(world.driver, "server.reset");
    await world.driver.syncNow();
    await reset;
    expect(race.raced(), "the delete raced the repair's pages").to.equal(true);
    await waitFor(() => !world.driver.facts().uploading && !world.driver.facts().downloading, "the run to end");
    await world.driver.syncNow();
    expect({
      server: world.server.has(keys[50]!),
      device: world.store.get(keys[50]!) ?? null,
      conflicts: world.store.listConflicts().filter((c) => c.atKey === keys[50]).map((c) => [c.winner, c.local.value, c.remote.op]),
    }).to.deep.equal({ server: false, device: null, conflicts: [["remote", "v1", "-"]] });
    expect(world.store.get(keys[49]!)?.value).to.equal("v2");
  });
});
