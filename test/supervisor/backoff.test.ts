import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CrashWindow } from "../../daemon/supervisor/CrashWindow.js";
import { RESTART_BACKOFF } from "../../daemon/supervisor/Supervisor.js";
import { FakeClock } from "../remote/support/FakeClock.js";
import { fakeKeys, makeSupervisor, waitFor, type Harness } from "./helpers.js";

// The delays themselves are daemon/backoff.ts's (test/backoff.test.ts).
describe("supervisor: restart backoff", function () {
  it("restarts with the ±10–20% jitter of house-style §20", function () {
    expect(RESTART_BACKOFF.jitter).to.be.within(0.1, 0.2);
  });

  it("counts crashes inside a sliding window", function () {
    const w = new CrashWindow(3, 1000);
    expect(w.record(0)).to.equal(false);
    expect(w.record(500)).to.equal(false);
    expect(w.record(1200)).to.equal(false); // the crash at 0 has left the window
    expect(w.record(1300)).to.equal(true);
  });
});

describe("Supervisor restart timing", function () {
  let dir: string;
  let h: Harness | undefined;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-backoff-"));
  });
  afterEach(async function () {
    await h?.sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("backs off exponentially up to the cap, and starts over after a healthy stretch", async function () {
    const clock = new FakeClock();
    h = makeSupervisor(dir, { clock, random: () => 0.5, healthyAfterMs: 1000, crashLimit: { maxCrashes: 10, windowMs: 60_000 } });
    const sup = h.sup;
    sup.add("@alice", fakeKeys("@alice"));
    const delays: number[] = [];
    const crashOnce = async (): Promise<void> => {
      await waitFor("running", () => sup.worker("@alice")?.state.kind === "running");
      await sup.forward("@alice", "crash", {}).catch(() => undefined);
      await waitFor("backoff", () => sup.worker("@alice")?.state.kind === "backoff");
      const st = sup.worker("@alice")?.state;
      if (st?.kind !== "backoff") throw new Error("not in backoff");
      delays.push(st.untilMs - st.since);
      // One ms short of the delay the worker must still be waiting; at the delay it restarts.
      clock.advance(st.untilMs - st.since - 1);
      expect(sup.worker("@alice")?.state.kind).to.equal("backoff");
      clock.advance(1);
      expect(sup.worker("@alice")?.state.kind).to.equal("starting");
    };
    for (let i = 0; i < 4; i++) await crashOnce();
    expect(delays).to.deep.equal([20, 40, 80, 100]);
    await waitFor("running", () => sup.worker("@alice")?.state.kind === "running");
    clock.advance(1000);
    await crashOnce();
    expect(delays[4]).to.equal(20);
    expect(sup.worker("@alice")?.restarts).to.equal(5);
  });
});
