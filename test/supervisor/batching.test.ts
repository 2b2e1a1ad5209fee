// Main and a worker exchange a turn's messages in one postMessage each way: requests reach the
// worker together and in order, each answered (or refused) alone; a slow request holds back
// neither its worker's other replies nor another atSign's; a result the worker serialized is
// handed on as it is (RawJson) to the RPC layer and parsed for everyone else.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawJson } from "../../daemon/rpc/RawJson.js";
import type { Supervisor } from "../../daemon/supervisor/Supervisor.js";
import { ErrorCode } from "../../shared/errors.js";
import { fakeKeys, makeSupervisor, rejection, waitFor, waitRunning, type Harness } from "./helpers.js";

describe("Supervisor: batched messages to and from workers", function () {
  let dir: string;
  let h: Harness;
  let sup: Supervisor;

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-sup-batch-"));
    h = makeSupervisor(dir);
    sup = h.sup;
    sup.add("@alice", fakeKeys("@alice"));
    sup.add("@bob", fakeKeys("@bob"));
    await waitRunning(sup, "@alice");
    await waitRunning(sup, "@bob");
  });
  afterEach(async function () {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function batchSizes(atSign: string): Promise<number[]> {
    return ((await sup.forward(atSign, "state", {})) as { batchSizes: number[] }).batchSizes;
  }

  it("posts a turn's requests to a worker in one message, in order; each is answered or refused alone", async function () {
    const before = (await batchSizes("@alice")).length;
    const calls = [
      sup.forward("@alice", "echo", { n: 1 }),
      sup.forward("@alice", "fail", { key: "k.app@alice" }),
      sup.forward("@alice", "echo", { n: 3, fn: () => 3 }), // cannot be cloned: refused alone
      sup.forward("@alice", "echo", { n: 4 }),
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).to.deep.equal(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(((settled[0] as PromiseFulfilledResult<{ params: unknown }>).value).params).to.deep.equal({ n: 1 });
    expect(((settled[3] as PromiseFulfilledResult<{ params: unknown }>).value).params).to.deep.equal({ n: 4 });
    expect(((settled[1] as PromiseRejectedResult).reason as { code: number }).code).to.equal(ErrorCode.KeyNotFound);
    expect(((settled[2] as PromiseRejectedResult).reason as { code: number; message: string }).code).to.equal(ErrorCode.InvalidParams);
    // The batch with the uncloneable one went as single messages (three: that one never left);
    // a batch of clean ones goes whole.
    await Promise.all([1, 2, 3].map((n) => sup.forward("@alice", "echo", { n })));
    const sizes = (await batchSizes("@alice")).slice(before);
    expect(sizes).to.deep.equal([1, 1, 1, 3, 1]);
  });

  it("a slow request holds back neither its worker's later replies nor another atSign's", async function () {
    const order: string[] = [];
    const slow = sup.forward("@alice", "slow", { ms: 400 }).then(() => order.push("alice slow"));
    const fast = sup.forward("@alice", "echo", {}).then(() => order.push("alice echo"));
    const other = sup.forward("@bob", "echo", {}).then(() => order.push("bob echo"));
    await Promise.all([fast, other]);
    expect(order).to.have.members(["alice echo", "bob echo"]);
    await slow;
    expect(order[2]).to.equal("alice slow");
  });

  it("hands a result the worker serialized on as RawJson to forwardRaw, parsed to forward", async function () {
    const raw = await sup.forwardRaw("@bob", "json", { n: 1 });
    expect(raw).to.be.instanceOf(RawJson);
    expect(JSON.parse((raw as RawJson).json)).to.deep.include({ params: { n: 1 } });
    expect(await sup.forward("@bob", "json", { n: 2 })).to.deep.include({ params: { n: 2 } });
    // A worker answering with an object (not serialized) is still served to forwardRaw, as it is.
    expect(await sup.forwardRaw("@bob", "echo", { n: 3 })).to.deep.include({ params: { n: 3 } });
  });

  it("handles the messages of a worker's batch in order, dropping a malformed one alone", async function () {
    const result = await sup.forward("@bob", "batched", { key: "k.app@bob" });
    expect(result).to.equal("batched");
    const i = h.events.findIndex((e) => e.kind === "worker.event" && e.atSign === "@bob");
    expect(i, "the event came before the reply was handled").to.be.greaterThan(-1);
    await waitFor("the malformed message logged", () => h.logs.some((l) => l.includes("dropped malformed message from worker")));
    expect((await rejection(sup.forward("@carol", "echo", {}))).code).to.equal(ErrorCode.NotOnboarded);
  });
});
