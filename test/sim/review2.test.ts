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

  // Last-writer-wins: traces the oracle excused by dating the winning version by its own late push
  // (sim/history.ts arrivalMs), though the engine that pushed it had pulled the newer version.
  const lww: { scenario: string; seed: number; devices: number; trace: Step[]; open?: boolean }[] = [
    {
      scenario: "a delete of ours whose reply was lost, then a re-create; another client deletes the key a minute later (after another key's write): the re-create overwrote the newer delete, though the entry before it dates the delete after the re-create",
      seed: 2, devices: 1, trace: [{"k":"put","d":0,"key":"k0.sim@alice","value":"v1"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"del","d":0,"key":"k0.sim@alice"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"ok"},{"k":"deliver","d":0,"fault":"lost"},{"k":"put","d":0,"key":"k0.sim@alice","value":"v3"},{"k":"advance","ms":30000},{"k":"other","op":"put","key":"k1.sim@alice","value":"o1"},{"k":"advance","ms":30000},{"k":"other","op":"del","key":"k0.sim@alice"}],
    },
    {
      scenario: "a write acknowledged but its echo never pulled, then a wipe; another device's write made a minute later reaches the new server first: the repair puts the older write back, the ack's time (which bounds its server time) forgotten",
      seed: 16, devices: 2, trace: [{"k":"put","d":1,"key":"k3.sim@alice","value":"v22"},{"k":"deliver","d":1,"fault":"ok"},{"k":"deliver","d":1,"fault":"ok"},{"k":"deliver","d":1,"fault":"ok"},{"k":"advance","ms":60000},{"k":"put","d":0,"key":"k3.sim@alice","value":"v70"},{"k":"wipe"},{"k":"other","op":"put","key":"k5.sim@alice","value":"o77"}],
    },
    {
      scenario: "a pending write meets, in the repair after a restore, another client's write made 200 ms later: the repair keeps ours whatever the policy, though both times are known",
      seed: 40, devices: 2, trace: [{"k":"del","d":1,"key":"k0.sim@alice"},{"k":"backup"},{"k":"deliver","d":1,"fault":"ok"},{"k":"deliver","d":1,"fault":"ok"},{"k":"deliver","d":1,"fault":"ok"},{"k":"many","d":1,"items":[{"key":"k3.sim@alice","value":"v66.0"},{"key":"k0.sim@alice","value":"v66.1"}]},{"k":"restore","i":3},{"k":"advance","ms":200},{"k":"other","op":"put","key":"k3.sim@alice","value":"o79","ttl":20000}],
    },
  ];
  for (const r of lww) {
    // An open one (RELIABILITY.md "Open") is pending until fixed.
    (r.open ? it.skip : it)(`scenario (last-writer-wins): ${r.scenario} (seed ${r.seed})`, async () => {
      const res = await runSeed(r.seed, { devices: r.devices, trace: r.trace });
      expect(res.setup.policy).to.equal("last-writer-wins");
      expect(res.violations.map((v) => `[${v.invariant}] ${v.message}`)).to.deep.equal([]);
    });
  }
});
