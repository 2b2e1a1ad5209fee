// Onboarding and offboarding at run time, and daemon.shutdown over RPC.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { ErrorCode } from "../../shared/errors.js";
import { DaemonShutdown } from "../../shared/methods.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";

function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  return p.then(() => undefined, (e: { code?: number }) => e.code);
}

describe("e2e: identities", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;
  const atKeys = (a: string): string => readFileSync(server().dev.info.atSigns[a]?.atKeys ?? "", "utf8");

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
  });

  after(async function () {
    await d?.dispose();
  });

  it("onboards an atSign at run time, proving the keys first, and serves it at once", async function () {
    const r = await d!.client.onboard(BOB, atKeys(BOB));
    expect(r).to.deep.include({ atSign: BOB, keyStore: "file" });
    await d!.client.put(BOB, `hello${BOB}`, "from bob");
    expect((await d!.client.get(BOB, `hello${BOB}`)).value).to.equal("from bob");
    const keyFile = JSON.parse(readFileSync(join(d!.dataDir, "keys.json"), "utf8")) as { atSigns: Record<string, unknown> };
    expect(Object.keys(keyFile.atSigns).sort()).to.deep.equal([ALICE, BOB].sort());
  });

  it("refuses to onboard an atSign twice", async function () {
    expect(await codeOf(d!.client.onboard(ALICE, atKeys(ALICE)))).to.equal(ErrorCode.AlreadyOnboarded);
  });

  it("offboards: the worker stops, the keys are forgotten, requests answer NotOnboarded", async function () {
    expect(await d!.client.offboard(BOB)).to.deep.equal({ atSign: BOB });
    expect((await d!.client.atSigns()).map((a) => a.atSign)).to.deep.equal([ALICE]);
    expect(await codeOf(d!.client.get(BOB, `hello${BOB}`))).to.equal(ErrorCode.NotOnboarded);
    const keyFile = JSON.parse(readFileSync(join(d!.dataDir, "keys.json"), "utf8")) as { atSigns: Record<string, unknown> };
    expect(Object.keys(keyFile.atSigns)).to.deep.equal([ALICE]);
    expect(await codeOf(d!.client.offboard(BOB))).to.equal(ErrorCode.NotOnboarded);
  });

  it("onboards again after offboarding, with the local data kept", async function () {
    await d!.client.onboard(BOB, atKeys(BOB));
    expect((await d!.client.get(BOB, `hello${BOB}`)).value).to.equal("from bob");
  });

  it("stops on daemon.shutdown: replies, then exits 0 and removes its socket", async function () {
    const client = await d!.connect("shutdown-caller");
    expect(await client.call(DaemonShutdown, {})).to.deep.equal({});
    const exit = await d!.exited;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(existsSync(d!.socketPath)).to.equal(false);
  });
});
