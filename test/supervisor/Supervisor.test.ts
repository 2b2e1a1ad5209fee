import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { Supervisor } from "../../daemon/supervisor/Supervisor.js";
import { InflightRequest } from "../../daemon/rpc/InflightRequest.js";
import type { RpcPeer } from "../../daemon/rpc/types.js";
import type { CancelSource } from "../../daemon/supervisor/CancelSource.js";
import { asConnectionId } from "../../shared/ids.js";
import { fakeKeys, makeSupervisor, rejection, waitFor, waitRunning, type Harness } from "./helpers.js";

const fakePeer: RpcPeer = {
  id: asConnectionId("c1"), closed: false, bufferedBytes: 0,
  notify() {}, notifyRaw() {}, onClose: () => ({ dispose() {} }), close() {},
};

describe("Supervisor", function () {
  let dir: string;
  let h: Harness | undefined;
  let sup: Supervisor;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-sup-"));
  });
  afterEach(async function () {
    await h?.sup.stop();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function start(over: Parameters<typeof makeSupervisor>[1] = {}): Harness {
    h = makeSupervisor(dir, over);
    sup = h.sup;
    return h;
  }

  it("routes each request to its atSign's worker, with workerData, results and typed errors", async function () {
    start();
    sup.add("@alice🛠", fakeKeys("@alice🛠"));
    sup.add("Bob", fakeKeys("@bob"));
    expect(sup.atSigns()).to.deep.equal(["@alice🛠", "@bob"]);
    const a = (await sup.forward("@alice🛠", "echo", { n: 1 })) as { atSign: string; params: unknown };
    const b = (await sup.forward("@BOB", "echo", { n: 2 })) as { atSign: string; params: unknown };
    expect(a).to.include({ atSign: "@alice🛠" });
    expect(a.params).to.deep.equal({ n: 1 });
    expect(b).to.include({ atSign: "@bob" });
    const cfg = (await sup.forward("@bob", "config", {})) as { config: { conflictPolicy: string }; dataDir: string; keyAtSign: string };
    expect(cfg).to.deep.include({ dataDir: dir, keyAtSign: "@bob" });
    expect(cfg.config.conflictPolicy).to.equal("local-wins");
    const err = await rejection(sup.forward("@bob", "fail", { key: "phone.wavi@bob" }));
    expect(err.code).to.equal(ErrorCode.KeyNotFound);
    expect(err.data).to.deep.equal({ key: "phone.wavi@bob" });
    expect((await rejection(sup.forward("@carol", "echo", {}))).code).to.equal(ErrorCode.NotOnboarded);
    expect(sup.workers().map((w) => [w.atSign, w.state.kind])).to.deep.equal([["@alice🛠", "running"], ["@bob", "running"]]);
  });

  it("fans out worker events and statuses, drops malformed messages, survives a throwing listener", async function () {
    const { events, logs } = start();
    sup.onEvent(() => {
      throw new Error("listener bug");
    });
    sup.add("@alice", fakeKeys("@alice"));
    expect(await sup.forward("@alice", "emit", { key: "phone.wavi@alice" })).to.equal("emitted");
    await waitFor("status event", () => events.some((e) => e.kind === "worker.status"));
    const ev = events.find((e) => e.kind === "worker.event");
    expect(ev).to.deep.include({ atSign: "@alice" });
    expect(ev?.kind === "worker.event" && ev.event).to.deep.include({ kind: "key.changed", key: "phone.wavi@alice" });
    expect(sup.worker("@alice")?.status?.state.kind).to.equal("online");
    await waitFor("malformed message logged", () => logs.some((l) => l.includes("dropped malformed message")));
    expect(logs.some((l) => l.includes("supervisor listener threw"))).to.equal(true);
    expect((await sup.forward("@alice", "echo", 7)) as { params: unknown }).to.deep.include({ params: 7 });
  });

  it("restarts a worker killed from inside; its in-flight request fails retryably; the others never notice", async function () {
    const { events } = start();
    sup.add("@alice", fakeKeys("@alice"));
    sup.add("@bob", fakeKeys("@bob"));
    const bobBefore = (await sup.forward("@bob", "echo", {})) as { threadId: number };
    const aliceBefore = (await sup.forward("@alice", "echo", {})) as { threadId: number };
    const inFlight = sup.forward("@alice", "slow", { ms: 60_000 });
    const crashed = rejection(inFlight);
    await sup.forward("@alice", "crash", {}).catch(() => undefined);
    expect((await crashed).code).to.equal(ErrorCode.WorkerRestarting);
    await waitFor("alice restarted", () => sup.worker("@alice")?.restarts === 1 && sup.worker("@alice")?.state.kind === "running");
    const aliceAfter = (await sup.forward("@alice", "echo", {})) as { threadId: number };
    expect(aliceAfter.threadId).to.not.equal(aliceBefore.threadId);
    const bobAfter = (await sup.forward("@bob", "echo", {})) as { threadId: number };
    expect(bobAfter.threadId).to.equal(bobBefore.threadId);
    const states = events.filter((e) => e.kind === "worker.state" && e.atSign === "@alice").map((e) => (e.kind === "worker.state" ? e.to.kind : ""));
    expect(states).to.deep.equal(["starting", "running", "backoff", "starting", "running"]);
    const backoff = events.find((e) => e.kind === "worker.state" && e.to.kind === "backoff");
    expect(backoff?.kind === "worker.state" && backoff.to.kind === "backoff" && backoff.to.lastError).to.include("crash requested");
    expect(events.some((e) => e.kind === "worker.state" && e.atSign === "@bob" && e.to.kind !== "starting" && e.to.kind !== "running")).to.equal(false);
  });

  it("marks a crash-looping worker failed with its last error while another atSign keeps serving", async function () {
    start();
    sup.add("@alice", fakeKeys("@alice"));
    sup.add("@crashy", fakeKeys("@crashy"));
    let served = 0;
    let sawRestarting = false;
    while (sup.worker("@crashy")?.state.kind !== "failed") {
      expect(((await sup.forward("@alice", "echo", served)) as { params: number }).params).to.equal(served);
      served++;
      const r = await sup.forward("@crashy", "echo", {}).then(() => undefined, (e: unknown) => e);
      if (AtsyncError.is(r, ErrorCode.WorkerRestarting)) sawRestarting = true;
      if (served > 100_000) throw new Error("crashy never failed");
    }
    expect(served).to.be.greaterThan(0);
    expect(sawRestarting).to.equal(true);
    const info = sup.worker("@crashy");
    expect(info?.restarts).to.equal(3);
    expect(info?.state.kind === "failed" && info.state.lastError).to.match(/crash at start as asked.*crashed 4 times/);
    const err = await rejection(sup.forward("@crashy", "echo", {}));
    expect(err.code).to.equal(ErrorCode.WorkerFailed);
    expect(err.message).to.include("crash at start as asked");
    expect(sup.worker("@alice")?.state.kind).to.equal("running");
  });

  it("does not restart a worker that exits with a no-restart code", async function () {
    start();
    sup.add("@fatal", fakeKeys("@fatal"));
    await waitFor("failed", () => sup.worker("@fatal")?.state.kind === "failed");
    const info = sup.worker("@fatal");
    expect(info?.restarts).to.equal(0);
    expect(info?.state).to.deep.include({ lastExitCode: 71, lastError: "worker exited with SchemaTooNew" });
  });

  it("treats a worker that never says ready as crashed", async function () {
    start({ readyTimeoutMs: 300, crashLimit: { maxCrashes: 2, windowMs: 60_000 } });
    sup.add("@mute", fakeKeys("@mute"));
    await waitFor("failed", () => sup.worker("@mute")?.state.kind === "failed");
    expect(sup.worker("@mute")?.state).to.deep.include({ lastError: "worker not ready after 300 ms (crashed 2 times within 60000 ms)" });
  });

  it("retry() gives a failed atSign a fresh start", async function () {
    start({ crashLimit: { maxCrashes: 1, windowMs: 60_000 } });
    sup.add("@alice", fakeKeys("@alice"));
    await sup.forward("@alice", "exit", { code: 70 }).catch(() => undefined);
    await waitFor("failed", () => sup.worker("@alice")?.state.kind === "failed");
    const failed = sup.worker("@alice")?.state;
    expect(failed).to.deep.include({ lastExitCode: 70 });
    expect(failed?.kind === "failed" && failed.lastError).to.match(/^worker exited with StoreCorrupt/);
    sup.retry("@alice");
    await waitRunning(sup, "@alice");
    expect(await sup.forward("@alice", "echo", "x")).to.deep.include({ params: "x" });
  });

  it("cancels a request through its AbortSignal and tells the worker", async function () {
    start();
    sup.add("@alice", fakeKeys("@alice"));
    // Posted to a running worker (one held for the start is dropped in main: startQueue.test.ts).
    await waitRunning(sup, "@alice");
    const ac = new AbortController();
    const p = sup.forward("@alice", "slow", { ms: 60_000 }, ac.signal);
    ac.abort();
    expect((await rejection(p)).code).to.equal(ErrorCode.RequestCancelled);
    // The port keeps order: the cancel reached the worker before this request.
    const state = (await sup.forward("@alice", "state", {})) as { cancelled: number[] };
    expect(state.cancelled).to.have.length(1);
    const already = new AbortController();
    already.abort();
    expect((await rejection(sup.forward("@alice", "echo", {}, already.signal))).code).to.equal(ErrorCode.RequestCancelled);
  });

  it("cancels a request through an RPC request context (no AbortSignal made) and detaches when answered", async function () {
    start();
    sup.add("@alice", fakeKeys("@alice"));
    await waitRunning(sup, "@alice");
    const ctx = new InflightRequest(asConnectionId("c1"), fakePeer);
    const p = sup.forward("@alice", "slow", { ms: 60_000 }, ctx);
    ctx.abort(new AtsyncError(ErrorCode.RequestCancelled, "cancelled by the client"));
    expect((await rejection(p)).code).to.equal(ErrorCode.RequestCancelled);
    const state = (await sup.forward("@alice", "state", {})) as { cancelled: number[] };
    expect(state.cancelled).to.have.length(1);
    // Answered requests leave no listener behind on their source.
    const registered = new Set<() => void>();
    const source: CancelSource = { aborted: false, onAbort: (fn) => registered.add(fn), offAbort: (fn) => registered.delete(fn) };
    const answered = sup.forward("@alice", "echo", { n: 1 }, source);
    expect(registered.size, "listening while in flight").to.equal(1);
    expect(await answered).to.deep.include({ params: { n: 1 } });
    expect(registered.size, "detached once answered").to.equal(0);
    const done = new InflightRequest(asConnectionId("c1"), fakePeer);
    done.abort(new Error("gone"));
    expect((await rejection(sup.forward("@alice", "echo", {}, done))).code).to.equal(ErrorCode.RequestCancelled);
  });

  it("delivers triggers to one or all running workers", async function () {
    start();
    sup.add("@alice", fakeKeys("@alice"));
    sup.add("@bob", fakeKeys("@bob"));
    await waitRunning(sup, "@alice");
    await waitRunning(sup, "@bob");
    sup.trigger("schedule", "@alice");
    sup.trigger("network");
    const a = (await sup.forward("@alice", "state", {})) as { triggers: string[] };
    const b = (await sup.forward("@bob", "state", {})) as { triggers: string[] };
    expect(a.triggers).to.deep.equal(["schedule", "network"]);
    expect(b.triggers).to.deep.equal(["network"]);
  });

  it("onboards and offboards at run time without disturbing the others", async function () {
    start();
    sup.add("@alice", fakeKeys("@alice"));
    const before = (await sup.forward("@alice", "echo", {})) as { threadId: number };
    sup.add("@bob", fakeKeys("@bob"));
    expect(() => sup.add("@bob", fakeKeys("@bob"))).to.throw(AtsyncError).with.property("code", ErrorCode.AlreadyOnboarded);
    expect(await sup.forward("@bob", "echo", 1)).to.deep.include({ atSign: "@bob" });
    await sup.remove("@bob");
    expect(sup.has("@bob")).to.equal(false);
    expect((await rejection(sup.forward("@bob", "echo", {}))).code).to.equal(ErrorCode.NotOnboarded);
    sup.add("@bob", fakeKeys("@bob"));
    expect(await sup.forward("@bob", "echo", 2)).to.deep.include({ atSign: "@bob" });
    const after = (await sup.forward("@alice", "echo", {})) as { threadId: number };
    expect(after.threadId).to.equal(before.threadId);
    expect((await rejection(sup.remove("@nobody"))).code).to.equal(ErrorCode.NotOnboarded);
  });

  it("stop() lets in-flight requests finish, then refuses new ones", async function () {
    const { events } = start();
    sup.add("@alice", fakeKeys("@alice"));
    sup.add("@bob", fakeKeys("@bob"));
    await waitRunning(sup, "@alice");
    const inFlight = sup.forward("@alice", "slow", { ms: 200 });
    await sup.stop();
    expect(await inFlight).to.deep.equal({ slept: 200 });
    expect((await rejection(sup.forward("@alice", "echo", {}))).code).to.equal(ErrorCode.ShuttingDown);
    expect(() => sup.add("@carol", fakeKeys("@carol"))).to.throw(AtsyncError).with.property("code", ErrorCode.ShuttingDown);
    const stopped = events.filter((e) => e.kind === "worker.state" && e.to.kind === "stopped").map((e) => e.atSign).sort();
    expect(stopped).to.deep.equal(["@alice", "@bob"]);
  });

  it("stop() terminates a worker that ignores shutdown after the timeout", async function () {
    const { logs } = start({ shutdownTimeoutMs: 300 });
    sup.add("@stubborn", fakeKeys("@stubborn"));
    await waitRunning(sup, "@stubborn");
    await sup.stop();
    expect(logs.some((l) => l.includes("did not stop in time"))).to.equal(true);
  });

  it("never logs key material", async function () {
    const { logs } = start();
    const keys = fakeKeys("@alice");
    sup.add("@alice", keys);
    await sup.forward("@alice", "crash", {}).catch(() => undefined);
    await waitFor("restart", () => sup.worker("@alice")?.restarts === 1 && sup.worker("@alice")?.state.kind === "running");
    await sup.stop();
    const all = logs.join("");
    expect(all).to.include("worker crashed");
    for (const v of [keys.pkamPrivateKey, keys.encryptionPrivateKey, keys.selfEncryptionKey]) {
      expect(all).to.not.include(String(v).slice(0, 40));
    }
  });
});
