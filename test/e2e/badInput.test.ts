// Bad inputs get the right error code, and never disturb another client's calls.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { MAX_FRAME_BYTES, MAX_VALUE_BYTES } from "../../shared/protocol.js";
import { ErrorCode } from "../../shared/errors.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";
import { errorCode, RawRpc } from "./rawRpc.js";

describe("e2e: bad inputs", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;
  let raw: RawRpc | undefined;
  let stop = false;
  let goodCalls = 0;
  const goodFailures: unknown[] = [];
  let good: Promise<void> | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    await d.client.put(ALICE, `probe${ALICE}`, "still fine");
    // Another app keeps calling for the whole suite; none of its calls may fail.
    const other = await d.connect("well-behaved");
    good = (async () => {
      while (!stop) {
        try {
          const r = await other.get(ALICE, `probe${ALICE}`);
          if (r.value !== "still fine") throw new Error(`wrong value ${r.value}`);
          goodCalls++;
        } catch (err) {
          goodFailures.push(err);
        }
      }
    })();
  });

  beforeEach(async function () {
    raw = await RawRpc.connect(d!.socketPath);
    await raw.hello();
  });

  afterEach(function () {
    raw?.close();
  });

  after(async function () {
    stop = true;
    await good;
    await d?.dispose();
  });

  it("answers malformed JSON with ParseError and keeps the connection", async function () {
    raw!.write("{not json at all\n");
    expect(errorCode(await raw!.next())).to.equal(ErrorCode.ParseError);
    const ok = await raw!.call(7, "status.get", {});
    expect(ok.id).to.equal(7);
    expect(ok.result).to.be.an("array");
  });

  it("answers an unknown method with MethodNotFound", async function () {
    expect(errorCode(await raw!.call(1, "keys.explode", {}))).to.equal(ErrorCode.MethodNotFound);
  });

  it("answers wrong param types with InvalidParams (or the precise code)", async function () {
    expect(errorCode(await raw!.call(2, "keys.get", { atSign: ALICE, key: 42 }))).to.equal(ErrorCode.InvalidParams);
    expect(errorCode(await raw!.call(3, "keys.put", { atSign: ALICE, key: `x${ALICE}`, value: { nested: true } }))).to.equal(ErrorCode.InvalidParams);
    expect(errorCode(await raw!.call(4, "keys.get", { atSign: "alice", key: `x${ALICE}` }))).to.equal(ErrorCode.InvalidAtSign);
    expect(errorCode(await raw!.call(5, "keys.put", { atSign: ALICE, key: `x${BOB}`, value: "v" }))).to.equal(ErrorCode.InvalidAtKey);
  });

  it("answers a request for an atSign it does not serve with NotOnboarded", async function () {
    expect(errorCode(await raw!.call(6, "keys.get", { atSign: BOB, key: `x${BOB}` }))).to.equal(ErrorCode.NotOnboarded);
  });

  it("refuses invalid atKeys with InvalidAtKeys and stores nothing", async function () {
    expect(errorCode(await raw!.call(8, "identities.onboard", { atSign: BOB, atKeys: "{\"not\":\"keys\"}" }))).to.equal(ErrorCode.InvalidAtKeys);
    expect(errorCode(await raw!.call(9, "identities.onboard", { atSign: BOB, atKeys: "not json" }))).to.equal(ErrorCode.InvalidAtKeys);
    // Real keys of another atSign fail the PKAM proof.
    const aliceKeys = readFileSync(server().dev.info.atSigns[ALICE]?.atKeys ?? "", "utf8");
    expect(errorCode(await raw!.call(10, "identities.onboard", { atSign: BOB, atKeys: aliceKeys }))).to.equal(ErrorCode.AuthFailed);
    const list = await raw!.call(11, "atsigns.list", {});
    expect((list.result as Array<{ atSign: string }>).map((a) => a.atSign)).to.deep.equal([ALICE]);
  });

  it("refuses a value too large with ValueTooLarge", async function () {
    const value = "é".repeat(Math.floor(MAX_VALUE_BYTES / 2) + 1); // one UTF-8 byte over
    expect(errorCode(await raw!.call(12, "keys.put", { atSign: ALICE, key: `big${ALICE}`, value }))).to.equal(ErrorCode.ValueTooLarge);
  });

  it("answers an oversized frame with FrameTooLarge to its id, and that connection goes on", async function () {
    const chunk = "x".repeat(1024 * 1024);
    raw!.write(`{"jsonrpc":"2.0","id":13,"method":"keys.put","params":{"pad":"`);
    for (let sent = 0; sent <= MAX_FRAME_BYTES && !raw!.closed; sent += chunk.length) raw!.write(chunk);
    raw!.write(`"}}\n`);
    const refused = await raw!.next(30_000);
    expect([refused.id, errorCode(refused)]).to.deep.equal([13, ErrorCode.FrameTooLarge]);
    expect((await raw!.call(14, "keys.get", { atSign: ALICE, key: `probe${ALICE}` })).result).to.deep.include({ value: "still fine" });
    const after = await d!.client.get(ALICE, `probe${ALICE}`);
    expect(after.value).to.equal("still fine");
  });

  it("never failed the other client's calls", function () {
    expect(goodFailures).to.deep.equal([]);
    expect(goodCalls).to.be.greaterThan(10);
  });
});
