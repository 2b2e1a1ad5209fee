// A value the RPC accepts can outgrow one atServer command once encrypted and base64-encoded
// (by a third). The put is refused at once with ValueTooLarge, and nothing is stored, rather
// than acknowledged and then rejected by the atServer at push.
import { expect } from "chai";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";

describe("e2e: values that cannot fit in one atServer command", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
  });

  after(async function () {
    await d?.dispose();
  });

  it("refuses an 8 MB self value (10.7 MB encrypted) with ValueTooLarge and stores nothing; a 7 MB one syncs", async function () {
    const c = d!.client;
    const big = `big.demo${ALICE}`;
    const err = await c.put(ALICE, big, "x".repeat(8_000_000)).then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(err, ErrorCode.ValueTooLarge), String(err)).to.equal(true);
    expect((err as Error).message).to.contain("10240000");
    const putMany = await c.putMany(ALICE, [{ op: "put", key: `small.demo${ALICE}`, value: "ok" }, { op: "put", key: big, value: "y".repeat(8_000_000) }])
      .then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(putMany, ErrorCode.ValueTooLarge), String(putMany)).to.equal(true);
    expect(await c.list(ALICE, { namespace: "demo" })).to.deep.equal([]);

    const fits = `fits.demo${ALICE}`;
    await c.put(ALICE, fits, "z".repeat(7_000_000));
    await c.syncNow({ atSign: ALICE, wait: true });
    const [s] = await c.status(ALICE);
    expect([s?.pendingUploads, s?.lastUploadError ?? null]).to.deep.equal([0, null]);
    expect(await server().scan(ALICE, "fits\\.demo")).to.deep.equal([fits]);
  });
});
