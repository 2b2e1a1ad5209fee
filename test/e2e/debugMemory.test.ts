// debug.memory (test hooks only): one worker's V8 heap, its store's page-cache bound and file size,
// its plaintext cache, and the main thread's heap, as the memory benchmarks read them.
import { expect } from "chai";
import { DebugMemory } from "../../daemon/mainThread/registerMethods.js";
import { ErrorCode } from "../../shared/errors.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";

describe("e2e: debug.memory", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  afterEach(async function () {
    await d?.dispose();
    d = undefined;
  });

  it("reports the worker's own heap (not the process's), its store's 1 MB cache bound and pages, and its plaintext cache", async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    const c = d.client;
    await c.put(ALICE, `greeting.memtest${ALICE}`, "hello");
    expect((await c.get(ALICE, `greeting.memtest${ALICE}`)).value).to.equal("hello");
    const { main, worker } = await c.call(DebugMemory, { atSign: ALICE });
    expect(worker.atSign).to.equal(ALICE);
    const MB = 1 << 20;
    // A worker's isolate is a few MB; the process (main, every worker) is several times that.
    expect(worker.heap.physical).to.be.within(2 * MB, worker.processRss / 2);
    expect(worker.heap.used).to.be.within(1 * MB, worker.heap.total);
    expect(Object.keys(worker.heap.spaces)).to.include.members(["new_space", "old_space"]);
    expect(worker.store?.cacheLimitBytes).to.equal(MB);
    expect(worker.store?.pageSize).to.equal(4096);
    expect(worker.store?.pages).to.be.greaterThan(0);
    expect(worker.plaintextCache?.entries).to.equal(1);
    expect(worker.plaintextCache?.bytes).to.be.greaterThan(0);
    expect(main.physical).to.be.greaterThan(2 * MB);
    expect(main).to.not.deep.equal(worker.heap);
  });

  it("is not served without the test hooks", async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE], env: { ATSYNCD_TEST_HOOKS: "0" } });
    const err = await d.client.call(DebugMemory, { atSign: ALICE }).then(() => undefined, (e: { code?: number }) => e);
    expect(err?.code).to.equal(ErrorCode.MethodNotFound);
  });
});
