import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { FakeClock } from "../remote/support/FakeClock.js";
import { fakeKeys, makeSupervisor, rejection, waitFor, type Harness } from "./helpers.js";

describe("Supervisor lifecycle edges", function () {
  let dir: string;
  let h: Harness | undefined;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-sup-edges-"));
  });
  afterEach(async function () {
    await h?.sup.stop();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const states = (atSign: string): string[] =>
    (h?.events ?? []).flatMap((e) => (e.kind === "worker.state" && e.atSign === atSign ? [e.to.kind] : []));

  it("rejects a request queued to a starting worker that then dies, retryably", async function () {
    h = makeSupervisor(dir, { readyTimeoutMs: 300, backoff: { baseMs: 60_000, maxMs: 60_000, jitter: 0 } });
    h.sup.add("@mute", fakeKeys("@mute"));
    expect(h.sup.worker("@mute")?.state.kind).to.equal("starting");
    const err = await rejection(h.sup.forward("@mute", "slow", { ms: 60_000 }));
    expect(err.code).to.equal(ErrorCode.WorkerRestarting);
    expect(h.sup.worker("@mute")?.state.kind).to.equal("backoff");
  });

  it("remove() during a restart backoff stops at once and never restarts", async function () {
    const clock = new FakeClock();
    h = makeSupervisor(dir, { clock, backoff: { baseMs: 400, maxMs: 400, jitter: 0 } });
    const sup = h.sup;
    sup.add("@alice", fakeKeys("@alice"));
    await sup.forward("@alice", "exit", { code: 1 }).catch(() => undefined);
    await waitFor("backoff", () => sup.worker("@alice")?.state.kind === "backoff");
    await sup.remove("@alice");
    expect(sup.has("@alice")).to.equal(false);
    // No restart timer left behind to bring a removed atSign back.
    expect(clock.pendingTimers).to.equal(0);
    clock.advance(10_000);
    expect(states("@alice").slice(-3)).to.deep.equal(["backoff", "stopping", "stopped"]);
    expect((await rejection(sup.forward("@alice", "echo", {}))).code).to.equal(ErrorCode.NotOnboarded);
  });

  it("stop() while a worker is still starting waits for it and leaves it stopped", async function () {
    h = makeSupervisor(dir);
    const sup = h.sup;
    sup.add("@alice", fakeKeys("@alice"));
    const queued = sup.forward("@alice", "echo", "early").then((r) => r, (e: unknown) => e);
    expect(sup.worker("@alice")?.state.kind).to.equal("starting");
    await sup.stop();
    expect(states("@alice").at(-1)).to.equal("stopped");
    const r = await queued;
    // Answered before the shutdown, or refused as shutting down: never left hanging.
    if (r instanceof AtsyncError) expect(r.code).to.equal(ErrorCode.ShuttingDown);
    else expect(r).to.deep.include({ params: "early" });
  });

  it("a request to a failed atSign is refused with WorkerFailed and its reason", async function () {
    h = makeSupervisor(dir);
    h.sup.add("@fatal", fakeKeys("@fatal"));
    await waitFor("failed", () => h?.sup.worker("@fatal")?.state.kind === "failed");
    const err = await rejection(h.sup.forward("@fatal", "echo", {}));
    expect(err.code).to.equal(ErrorCode.WorkerFailed);
    expect(err.message).to.include("SchemaTooNew");
    await h.sup.remove("@fatal");
    expect(states("@fatal").slice(-2)).to.deep.equal(["stopping", "stopped"]);
  });
});
