// Simulator traces from the review of 2026-12-01's engine commits (rev2). Each must replay with no
// violation of sim/README.md's invariants once the engine is fixed.
import { expect } from "chai";
import { runSeed } from "../../sim/runner.js";
import type { Step } from "../../sim/trace.js";

const ok = (d: number): Step => ({ k: "deliver", d, fault: "ok" });

describe("sim review (rev2): traces the oracle once exempted", function () {
  this.timeout(60_000);

  it("scenario: our update:meta merged onto another client's value that arrived just before it, with a later put of ours pending: the other value was overwritten with no conflict under remote-wins (seed 3)", async () => {
    const k = "k0.sim@alice";
    const trace: Step[] = [
      { k: "put", d: 0, key: k, value: "v1" },
      ok(0), ok(0), ok(0), ok(0), ok(0), ok(0), ok(0), ok(0),
      { k: "meta", d: 0, key: k, ttl: 0 },
      // The probe and stats:3 of the run that carries the update:meta; its batch is now on the wire.
      ok(0), ok(0),
      { k: "put", d: 0, key: k, value: "v3" },
      { k: "other", op: "put", key: k, value: "o2" },
    ];
    const res = await runSeed(3, { devices: 1, trace });
    expect(res.setup.policy).to.equal("remote-wins");
    expect(res.violations.map((v) => `[${v.invariant}] ${v.message}`)).to.deep.equal([]);
  });
});
