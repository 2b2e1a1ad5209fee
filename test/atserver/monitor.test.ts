import { expect } from "chai";
import { uptimeAsWords } from "../../atserver/verbs/misc.js";
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
    // The stats line has exactly these keys, in the server's order (no metadata).
    expect(Object.keys(stats)).to.deep.equal(["id", "from", "to", "key", "value", "operation", "epochMillis", "messageType", "isEncrypted"]);
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

  it("notify takes its full syntax: id, operation, messageType, priority, strategy, latestN, notifier, ttln, metadata, value", async function () {
    const bobMon = await h().login(BOB);
    bobMon.write("monitor\n");
    const alice = await h().login();
    const cmd =
      `notify:id:full-1:update:messageType:key:priority:high:strategy:latest:latestN:3:notifier:wavi:ttln:60000` +
      `:ttl:1000:isEncrypted:true:sharedKeyEnc:c2tl:pubKeyCS:abc:ivNonce:AAAA:${BOB}:full.wavi${ALICE}:cipher`;
    expect(await alice.cmd(cmd)).to.equal("data:full-1");
    const n = await bobMon.nextNotification((x) => x["id"] === "full-1");
    expect(Object.keys(n)).to.deep.equal(["id", "from", "to", "key", "value", "operation", "epochMillis", "messageType", "isEncrypted", "metadata"]);
    expect(n).to.include({ from: ALICE, to: BOB, key: `${BOB}:full.wavi${ALICE}`, value: "cipher", operation: "update", messageType: "MessageType.key", isEncrypted: true });
    expect(n["metadata"]).to.include({ ttl: 1000, sharedKeyEnc: "c2tl", pubKeyCS: "abc", ivNonce: "AAAA", ttr: null });
    expect(await alice.cmd("notify:status:full-1")).to.equal("data:delivered");
    const text = await alice.cmd(`notify:messageType:text:${BOB}:hello there`);
    const tn = await bobMon.nextNotification((x) => x["id"] === text.slice(5));
    expect(tn).to.include({ key: `${BOB}:hello there`, messageType: "MessageType.text" });
    const short = (await alice.cmd(`notify:ttln:1:${BOB}:brief.wavi${ALICE}:x`)).slice(5);
    await bobMon.nextNotification((x) => x["id"] === short);
    const deadline = Date.now() + 5000;
    let status = await alice.cmd(`notify:status:${short}`);
    while (status !== "data:expired" && Date.now() < deadline) status = await alice.cmd(`notify:status:${short}`);
    expect(status).to.equal("data:expired");
    expect(await alice.cmd(`notify:priority:urgent:${BOB}:x.wavi${ALICE}`)).to.match(/^error:AT0003-/u);
  });

  it("notify:list lists received notifications by date and by key or sender regex; without auth it is null", async function () {
    const alice = await h().login();
    const bob = await h().login(BOB);
    const id = (await alice.cmd(`notify:${BOB}:listed.wavi${ALICE}:v`)).slice(5);
    const ids = async (cmd: string): Promise<unknown[]> => {
      const r = await bob.cmd(cmd);
      return r === "data:null" ? [] : (JSON.parse(r.slice(5)) as Array<{ id: string }>).map((n) => n.id);
    };
    const today = new Date().toISOString().slice(0, 10);
    expect(await ids("notify:list")).to.include(id);
    expect(await ids(`notify:list:${today}:${today}`)).to.include(id);
    expect(await ids("notify:list:2000-01-01:2000-01-02")).to.deep.equal([]);
    expect(await ids("notify:list:listed")).to.include(id);
    expect(await ids("notify:list:^alice")).to.include(id);
    expect(await ids("notify:list:^nomatch$")).to.deep.equal([]);
    expect(await bob.cmd("notify:list:2001-01-05:2001-01-01")).to.equal("error:AT0022-Illegal arguments : ToDate cannot be less than FromDate");
    const anon = await h().open(BOB);
    expect(await anon.raw("notify:list")).to.equal("data:null\n@");
    expect(await bob.cmd("notify:list:(((")).to.match(/^error:AT0011-Internal server exception : FormatException: /u);
    await bob.waitClosed();
  });

  it("notify:fetch and notify:remove: a removed or unknown id reads as expired, its status as null", async function () {
    const alice = await h().login();
    expect(await alice.cmd(`notify:id:fetch-1:${BOB}:f.wavi${ALICE}:v`)).to.equal("data:fetch-1");
    expect(JSON.parse((await alice.cmd("notify:fetch:fetch-1")).slice(5))).to.include({ id: "fetch-1" });
    expect(await alice.cmd("notify:remove:fetch-1")).to.equal("data:success");
    expect(await alice.cmd("notify:status:fetch-1")).to.equal("data:null");
    expect(await alice.cmd("notify:fetch:fetch-1")).to.equal('data:{"id":"fetch-1","notificationStatus":"NotificationStatus.expired"}');
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
    // The replay filter matches the key only; live delivery also matches the sender.
    const bySender = await h().login(BOB);
    bySender.write(`monitor:${t} ^alice\n`);
    const second = (await alice.cmd(`notify:${BOB}:replay2.wavi${ALICE}:two`)).slice(5);
    expect(await bySender.nextNotification((x) => x["id"] === second)).to.include({ value: "two" });
    expect(bySender.notifications.filter((x) => x["id"] === first)).to.deep.equal([]);
  });

  it("monitor needs auth; noop over 5000 ms is AT0022; info answers its version", async function () {
    const anon = await h().open();
    expect(await anon.cmd("monitor")).to.equal("error:AT0401-Exception: Command cannot be executed without auth");
    expect(await anon.cmd("noop:5001")).to.equal("error:AT0022-Exception: noop:<durationInMillis> where the duration maximum is 5000 milliseconds");
    const info = JSON.parse((await anon.cmd("info")).slice(5)) as Record<string, unknown>;
    expect(Object.keys(info)).to.deep.equal(["version", "uptimeAsWords", "features"]);
    expect(info["uptimeAsWords"]).to.match(/^(\d+ minutes )?\d+ seconds$/u);
    expect((info["features"] as Array<{ name: string }>).map((f) => f.name)).to.deep.equal(["noop:", "info:"]);
    const brief = JSON.parse((await anon.cmd("info:brief")).slice(5)) as Record<string, unknown>;
    expect(Object.keys(brief)).to.deep.equal(["version", "uptimeAsMillis"]);
    expect(await anon.cmd("info:full")).to.equal("error:AT0003-Exception: invalid command");
    expect(uptimeAsWords(5_999)).to.equal("5 seconds");
    expect(uptimeAsWords(185_000)).to.equal("3 minutes 5 seconds");
    expect(uptimeAsWords(86_400_000 + 5_000)).to.equal("1 days 0 hours 0 minutes 5 seconds");
  });
});
