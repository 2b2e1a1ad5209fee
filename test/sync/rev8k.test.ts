// Adversarial review rev8k of cb64c95 (merge of branch keys: the engine with many pages) and
// 920eb89: each scenario failed on the engine the review read. Defects 1, 2 and 4 are fixed and
// their tests run; defect 3 is not fixed yet, so its test stays skipped (RELIABILITY.md "Open").
import { expect } from "chai";
import type { AtRemote } from "../../daemon/ports.js";
import { useDriverWorld } from "./support/driverHarness.js";
import { nextEvent, recordEvents } from "./support/waitFor.js";

const A = "@alice🛠";

describe("sync: review rev8k of the many-page fixes (cb64c95)", () => {
  const world = useDriverWorld(A, "atsyncd-rev8k");

  /**
   * A remote on which another client writes a new key right after each sync:from reply while
   * armed (a server still being written during a re-pull), until `stopAfterStats` stats:3
   * replies have gone out since arming.
   */
  function writerDuringPull(stopAfterStats: number): { remote: AtRemote; arm: () => void; writes: () => number } {
    let armed = false;
    let stats = 0;
    let n = 0;
    const remote: AtRemote = {
      connected: true,
      close: () => world.server.close(),
      request: async (command, opts) => {
        const reply = await world.server.request(command, opts);

        if (!armed) return reply;
        if (command.startsWith("stats:3")) {
          stats++;
          if (stats >= stopAfterStats) armed = false;
        } else if (command.startsWith("sync:from:")) {
          await world.server.put(`w${n++}.wavi${A}`, "w");
        }
        return reply;
      },
    };
    return { remote, arm: () => void (armed = true), writes: () => n };
  }

  // rev8k defect 1 (repairCaughtUp gave up silently). When the 8 catch-up pulls ran out, SyncRun.repair
  // returned without finishRepair: the keys the server lost were not queued again, the run counted
  // as a success with nothing scheduled, and the last catch-up pull left lastReceivedCommitId ===
  // serverCommitId, so status said in sync while the server lacked our acknowledged write. Now the
  // repair is left open (stored), the facts say so (not in sync), and the driver resumes it at once.
  it("rev8k: a repair whose catch-up pulls run out (another client writing during each) is left open, not in sync, and resumed by the next run, which queues our lost write again", async () => {
    world.driver.start();
    await world.driver.syncNow();
    world.driver.local.put(`mine.wavi${A}`, "acked");
    await world.driver.syncNow();
    expect(world.server.value(`mine.wavi${A}`)).to.equal("acked");
    await world.driver.stop();
    // The server wiped (identity kept): the log restarts at 0, below the ids we hold.
    world.server.reset();
    // The writer outlasts the first run (its stats:3, then 9 of repairCaughtUp) and stops at the
    // next run's first stats:3.
    const w = writerDuringPull(11);
    world.driver = world.makeDriver({ remote: w.remote });
    const events = recordEvents(world.driver);
    // The first run's facts when it completes: the repair still open.
    let first: ReturnType<typeof world.driver.facts> | null = null;
    world.driver.on((e) => {
      if (e.type === "sync.completed" && first === null) first = world.driver.facts();
    });
    const reset = nextEvent(world.driver, "server.reset");
    w.arm();
    world.driver.start();
    await reset;
    await new Promise<void>((r) => setTimeout(r, 50));
    const f = world.driver.facts();
    expect(w.writes(), "the server was written during each catch-up").to.be.at.least(8);
    const atFirst = first as ReturnType<typeof world.driver.facts> | null;
    expect(atFirst && { repairInProgress: atFirst.repairInProgress, busy: atFirst.busy }).to.deep.equal({ repairInProgress: true, busy: true });
    expect(events.filter((e) => e.type === "sync.completed").length, "runs").to.be.at.least(2);
    expect({ repairInProgress: f.repairInProgress, server: world.server.value(`mine.wavi${A}`) ?? null }).to.deep.equal({ repairInProgress: false, server: "acked" });
  });

  // rev8k defect 2 (the head check after a pull was skipped on a short page that did not reach the
  // head). RangePuller.reachedHead took any short page (fewer than 25 entries) for one that read to
  // the end of the log. The atServer also ends a page short before its JSON passes 5 MB (and skips
  // invalid keys, which still count toward the 25): with values of a few MB every page is short, so
  // after a pull of many pages the first batch went out on the stats:3 read before the pull, and
  // another client's write of a pending key made during the pull was overwritten unseen. Now any
  // pull that asked for pages is followed by a stats:3 before the first batch (pushPlan.ts needsHeadCheck).
  it("rev8k: remote-wins, a pull of byte-limited pages (3 MB values, one a page) while another client writes the pending key: the head is read again before the first batch, their write is pulled and wins with a conflict recorded", async () => {
    const big = (c: string): string => c.repeat(3_000_000);
    const P = `p.wavi${A}`;
    for (let i = 0; i < 6; i++) await world.server.put(`big${i}.wavi${A}`, big("a"));
    await world.server.put(P, "v0");
    // Small keys last: the reset probes' window reads them before any big value (no false alarm).
    for (let i = 0; i < 8; i++) await world.server.put(`s${i}.wavi${A}`, "s");
    world.driver = world.makeDriver({ policy: "remote-wins" });
    world.driver.start();
    await world.driver.syncNow();
    await world.driver.stop();
    // Six big keys rewritten: the next pull takes six pages of one entry each.
    for (let i = 0; i < 6; i++) await world.server.put(`big${i}.wavi${A}`, big("b"));
    world.store.putLocal(P, "mine");
    let statsSeen = false;
    let raced = false;
    const remote: AtRemote = {
      connected: true,
      close: () => world.server.close(),
      request: async (command, opts) => {
        const reply = await world.server.request(command, opts);
        if (command.startsWith("stats:3")) statsSeen = true;
        else if (statsSeen && !raced && command.startsWith("sync:from:")) {
          raced = true;
          // During the pull: one more big write, then theirs of the pending key, past what any page reaches.
          await world.server.put(`big9.wavi${A}`, big("c"));
          await world.server.put(P, "theirs");
        }
        return reply;
      },
    };
    world.driver = world.makeDriver({ remote, policy: "remote-wins" });
    world.driver.start();
    await world.driver.syncNow();
    await world.driver.syncNow();
    expect(raced).to.equal(true);
    const conflicts = world.store.listConflicts().filter((c) => c.atKey === P).map((c) => [c.winner, c.local.value, c.remote.value]);
    // Today: the server holds "mine" and no conflict is recorded.
    expect({ server: world.server.value(P), conflicts }).to.deep.equal({ server: "theirs", conflicts: [["remote", "mine", "theirs"]] });
  });

  // DEFECT 3 (the reset window takes a byte-limited page for the end of the log). reset.ts verdict:
  // a probe's key missing from a page of fewer than 25 entries is "gone". A page the server ended
  // before 5 MB is short too: with a few MB-sized values among the last keys pulled, every run's
  // window misses some probe, calls it a reset and re-pulls everything (a full repair, every run,
  // with its conflict records where a pending change meets its own base).
  it.skip("rev8k defect 3: with 3 MB values among the last keys pulled, a run with nothing new on the server takes the probes' byte-limited window for a reset and repairs (re-pulls everything)", async () => {
    const big = "a".repeat(3_000_000);
    for (let i = 0; i < 6; i++) await world.server.put(`big${i}.wavi${A}`, big);
    const events = recordEvents(world.driver);
    world.driver.start();
    await world.driver.syncNow();
    await world.driver.syncNow();
    await world.driver.syncNow();
    expect(events.filter((e) => e.type === "server.reset").length, "server.reset events").to.equal(0);
  });

  // rev8k defect 4 (the probes' own keys could be hidden too). probeCommand's regex still lets every
  // always-included key through (`public:` keys without a dot, shared_key keys: atprotocol.md
  // sync:from), and probeOutcome counted a probe missing from a full page as "unknown", which
  // outcomeOf took for "holds". A restore that lost our acknowledged push, followed by 25 such
  // keys, hid it from the window and from the probes' own page. Now a full page is followed from
  // its highest id (reset.ts readProbes) and unknown never reads as holds.
  it("rev8k: a restore loses our acknowledged push, its id is vacated and 25 always-included public keys follow: the probes' reading follows past the full pages, finds the push gone, and the repair pushes it again", async () => {
    for (let i = 0; i < 10; i++) await world.server.put(`k${i}.wavi${A}`, "v");
    world.driver.start();
    await world.driver.syncNow();
    const backup = world.server.sim.snapshot();
    world.driver.local.put(`mine.wavi${A}`, "acked");
    await world.driver.syncNow();
    expect(world.server.value(`mine.wavi${A}`)).to.equal("acked");
    await world.driver.stop();
    world.server.sim.restore(backup);
    // Another client writes x twice (the id our push had is vacated), then 25 public keys with no dot.
    await world.server.put(`x.wavi${A}`, "1");
    await world.server.put(`x.wavi${A}`, "2");
    for (let i = 0; i < 25; i++) await world.server.put(`public:p${i}${A}`, "p");
    world.driver = world.makeDriver();
    const events = recordEvents(world.driver);
    world.driver.start();
    await world.driver.syncNow();
    await world.driver.syncNow();
    expect({ reset: events.some((e) => e.type === "server.reset"), server: world.server.value(`mine.wavi${A}`) ?? null })
      .to.deep.equal({ reset: true, server: "acked" });
  });
});
