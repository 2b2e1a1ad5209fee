// A worker that dies is restarted by the supervisor while the other atSign keeps serving.
import { expect } from "chai";
import { DebugCrashWorker } from "../../daemon/mainThread/registerMethods.js";
import { ErrorCode } from "../../shared/errors.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";

describe("e2e: worker crash", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB] });
  });

  after(async function () {
    await d?.dispose();
  });

  it("restarts a crashed worker, and requests to the other atSign never fail meanwhile", async function () {
    const c = d!.client;
    await c.put(ALICE, `before.crash${ALICE}`, "kept across the crash");
    await c.put(BOB, `steady${BOB}`, "bob keeps answering");

    // Hammer @bob in the background for the whole crash and restart of @alice.
    let stop = false;
    let bobCalls = 0;
    const bobFailures: unknown[] = [];
    const hammer = (async () => {
      const bobApp = await d!.connect("bob-app");
      while (!stop) {
        try {
          const r = await bobApp.get(BOB, `steady${BOB}`);
          if (r.value !== "bob keeps answering") bobFailures.push(new Error(`wrong value ${r.value}`));
          bobCalls++;
        } catch (err) {
          bobFailures.push(err);
        }
      }
    })();

    const crashed = await c.call(DebugCrashWorker, { atSign: ALICE });
    expect(crashed.crashed).to.equal(true);
    // While restarting, @alice answers with a retryable error (or already works again).
    const during = await c.get(ALICE, `before.crash${ALICE}`).then(() => "ok", (e: { code?: number }) => e.code);
    expect(["ok", 2006]).to.include(during);

    const value = await waitFor("@alice served again", async () => (await c.get(ALICE, `before.crash${ALICE}`)).value);
    expect(value).to.equal("kept across the crash");
    const st = await waitFor("@alice online again", async () => {
      const [s] = await c.status(ALICE);
      return s?.state.kind === "online" ? s : undefined;
    });
    expect(st.atSign).to.equal(ALICE);
    stop = true;
    await hammer;
    expect(bobFailures).to.deep.equal([]);
    expect(bobCalls).to.be.greaterThan(0);
    expect(d!.output()).to.include("worker crashed; restarting");
  });

  it("serves the crash hook only under ATSYNCD_TEST_HOOKS=1", async function () {
    const plain = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE], env: { ATSYNCD_TEST_HOOKS: "0" } });
    try {
      const code = await plain.client.call(DebugCrashWorker, { atSign: ALICE }).then(() => undefined, (e: { code?: number }) => e.code);
      expect(code).to.equal(ErrorCode.MethodNotFound);
      expect((await plain.client.status(ALICE))[0]?.state.kind).to.equal("online");
    } finally {
      await plain.dispose();
    }
  });
});
