import { expect } from "chai";
import { ALICE, BOB } from "./support/demo.js";
import { useDemoServer } from "./support/harness.js";

describe("dev-server monitor, notify, noop and info (§4)", function () {
  const h = useDemoServer(this, { statsIntervalMs: 200 });

  it("monitor has no reply line; every write sends a statsNotification with the new commit id", async function () {
    const mon = await h().login();
    mon.write("monitor\n");
    const writer = await h().login();
    const id = (await writer.cmd(`update:m1.wavi${ALICE} v`)).slice(5);
    const stats = await mon.nextNotification((n) => n["id"] === "-1" && n["value"] === id);
    expect(stats).to.include({ from: ALICE, to: ALICE, key: `statsNotification.${ALICE}`, operation: "update", messageType: "MessageType.key", isEncrypted: false });
    expect(stats["epochMillis"]).to.be.a("number");
    const del = (await writer.cmd(`delete:m1.wavi${ALICE}`)).slice(5);
    expect(await mon.nextNotification((n) => n["value"] === del)).to.include({ operation: "delete" });
    expect(mon.pending).to.equal("");
  });

  it("sends a statsNotification on the interval, and answers noop heartbeats with a prompt on the monitor", async function () {
    const mon = await h().login();
    mon.write("monitor\n");
    const t0 = Date.now();
    await mon.nextNotification((n) => n["id"] === "-1");
    expect(Date.now() - t0).to.be.lessThan(5000);
    expect(await mon.raw("noop:0")).to.equal(`data:ok\n${ALICE}@`);
  });

  it("notify to another hosted atSign is delivered over its monitor, filtered by regex", async function () {
    const bobMon = await h().login(BOB);
    bobMon.write("monitor wavi\n");
    const bobOther = await h().login(BOB);
    bobOther.write("monitor nomatch\n");
    const alice = await h().login();
    const reply = await alice.cmd(`notify:update:ttr:-1:${BOB}:loc.wavi${ALICE}:Paris`);
    const id = reply.slice(5);
    expect(id).to.match(/^[0-9a-f-]{36}$/u);
    const n = await bobMon.nextNotification((x) => x["id"] === id);
    expect(n).to.include({ from: ALICE, to: BOB, key: `${BOB}:loc.wavi${ALICE}`, value: "Paris", operation: "update", messageType: "MessageType.key" });
    expect(await alice.cmd(`notify:status:${id}`)).to.equal("data:delivered");
    expect(await bobOther.raw("noop:0")).to.equal(`data:ok\n${BOB}@`);
    expect(bobOther.notifications.filter((x) => x["id"] === id)).to.deep.equal([]);
    const fixed = await alice.cmd(`notify:id:my-id-1:delete:${BOB}:loc.wavi${ALICE}`);
    expect(fixed).to.equal("data:my-id-1");
    expect(await bobMon.nextNotification((x) => x["id"] === "my-id-1")).to.include({ operation: "delete", value: null });
  });

  it("updating a shared key notifies its recipient (autoNotify)", async function () {
    const bobMon = await h().login(BOB);
    bobMon.write("monitor\n");
    const alice = await h().login();
    await alice.cmd(`update:ttr:100:${BOB}:auto.wavi${ALICE} hello`);
    const n = await bobMon.nextNotification((x) => x["key"] === `${BOB}:auto.wavi${ALICE}`);
    expect(n).to.include({ from: ALICE, to: BOB, value: "hello", operation: "update" });
  });

  it("monitor:<epochMillis> replays the notifications received after that time", async function () {
    const alice = await h().login();
    const t = Date.now() - 1;
    const first = (await alice.cmd(`notify:${BOB}:replay1.wavi${ALICE}:one`)).slice(5);
    const late = await h().login(BOB);
    late.write(`monitor:${t} replay\n`);
    expect(await late.nextNotification((x) => x["id"] === first)).to.include({ value: "one" });
    const future = await h().login(BOB);
    future.write(`monitor:${Date.now() + 60_000} replay\n`);
    expect(await future.raw("noop:0")).to.equal(`data:ok\n${BOB}@`);
    expect(future.notifications.filter((x) => x["id"] === first)).to.deep.equal([]);
  });

  it("monitor needs auth; noop over 5000 ms is AT0022; info answers its version", async function () {
    const anon = await h().open();
    expect(await anon.cmd("monitor")).to.equal("error:AT0401-Exception: Command cannot be executed without auth");
    expect(await anon.cmd("noop:5001")).to.equal("error:AT0022-Exception: noop:<durationInMillis> where the duration maximum is 5000 milliseconds");
    const info = JSON.parse((await anon.cmd("info")).slice(5)) as Record<string, unknown>;
    expect(info["version"]).to.be.a("string");
    expect(info["uptimeAsWords"]).to.be.a("string");
    const brief = JSON.parse((await anon.cmd("info:brief")).slice(5)) as Record<string, unknown>;
    expect(Object.keys(brief)).to.deep.equal(["version", "uptimeAsMillis"]);
  });
});
