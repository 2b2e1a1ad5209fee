import { expect } from "chai";
import { ALICE } from "./support/demo.js";
import { useDemoServer } from "./support/harness.js";
import type { RawClient } from "./support/RawClient.js";

interface Entry {
  atKey: string;
  value: string | null;
  metadata: Record<string, unknown> | null;
  commitId: number;
  operation: string;
}

const page = (reply: string): Entry[] => JSON.parse(reply.slice("data:".length)) as Entry[];

describe("dev-server sync:from, stats and batch (§4, §4.1)", function () {
  const h = useDemoServer(this);
  let c: RawClient;
  let base: number;
  before(async function () {
    c = await h().login();
    base = Number(JSON.parse((await c.cmd("stats:3")).slice(6))[0].value);
  });

  it("batch runs commands in order and reports each one's data or error (described by its code only)", async function () {
    const items = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, command: `update:k${i}.sync${ALICE} v${i}` }));
    items.push({ id: 31, command: "update:broken" });
    // No handler accepts it: batch_verb_handler leaves it out of the reply.
    items.push({ id: 99, command: "bogus:thing" });
    items.push({ id: 32, command: `delete:k0.sync${ALICE}` });
    items.push({ id: 33, command: `llookup:nothere.sync${ALICE}` });
    const reply = JSON.parse((await c.cmd(`batch:${JSON.stringify(items)}`)).slice(5)) as Array<{ id: number; response: Record<string, string> }>;
    expect(reply).to.have.length(33);
    expect(reply[0]).to.deep.equal({ id: 1, response: { data: String(base + 1) } });
    expect(reply[29]).to.deep.equal({ id: 30, response: { data: String(base + 30) } });
    expect(reply[30]).to.deep.equal({
      id: 31,
      response: { error_code: "AT0003", error_message: "Invalid syntax" },
    });
    expect(reply[31]).to.deep.equal({ id: 32, response: { data: String(base + 31) } });
    expect(reply[32]).to.deep.equal({ id: 33, response: { error_code: "AT0015", error_message: "key not found" } });
  });

  it("requires :limit: and rejects the old sync:<id> form", async function () {
    expect(await c.cmd("sync:from:-1")).to.match(/^error:AT0003-Invalid syntax : Invalid syntax\./u);
    expect(await c.cmd("sync:5")).to.equal("error:AT0003-Invalid syntax : invalid command");
  });

  it("pages at most 25 entries whatever the limit, one per key, tombstones included", async function () {
    const first = page(await c.cmd("sync:from:-1:limit:100"));
    expect(first).to.have.length(25);
    expect(page(await c.cmd("sync:from:-1:limit:5"))).to.have.length(25);
    const all: Entry[] = [];
    let from = -1;
    for (;;) {
      const p = page(await c.cmd(`sync:from:${from}:limit:10`));
      if (p.length === 0) break;
      all.push(...p);
      from = p[p.length - 1]?.commitId ?? from;
    }
    const ids = all.map((e) => e.commitId);
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    expect(new Set(all.map((e) => e.atKey)).size).to.equal(all.length);
    expect(all.find((e) => e.atKey === `k0.sync${ALICE}`)).to.deep.equal({
      atKey: `k0.sync${ALICE}`, value: null, metadata: null, commitId: base + 31, operation: "-",
    });
    const k5 = all.find((e) => e.atKey === `k5.sync${ALICE}`);
    expect(k5?.value).to.equal("v5");
    expect(k5?.operation).to.equal("*");
    expect(all[0]?.atKey).to.equal(`public:publickey${ALICE}`);
    expect(page(await c.cmd(`sync:from:${from + 100}:limit:10`))).to.deep.equal([]);
  });

  it("a re-commit moves the key to the end of the log; metadata values are strings", async function () {
    const id = Number((await c.cmd(`update:ttl:100000:ttb:0:isEncrypted:true:k3.sync${ALICE} again`)).slice(5));
    const tail = page(await c.cmd(`sync:from:${id - 1}:limit:1`));
    expect(tail).to.have.length(1);
    const e = tail[0] as Entry;
    expect(e).to.include({ atKey: `k3.sync${ALICE}`, value: "again", commitId: id, operation: "*" });
    expect(e.metadata).to.include({ ttl: "100000", ttb: "0", isEncrypted: "true", version: "1", status: "active" });
    expect(Object.values(e.metadata ?? {}).every((v) => typeof v === "string")).to.equal(true);
    const full = page(await c.cmd("sync:from:-1:limit:1")).concat(page(await c.cmd(`sync:from:${base + 25}:limit:1`)));
    expect(full.filter((x) => x.atKey === `k3.sync${ALICE}`).map((x) => x.commitId)).to.deep.equal([id]);
  });

  it("filters by regex but always includes public:publickey and shared_key keys", async function () {
    await c.cmd(`update:@bob🛠:shared_key${ALICE} wrapped`);
    await c.cmd(`update:other.app${ALICE} x`);
    const p = page(await c.cmd("sync:from:-1:limit:10:\\.app"));
    expect(p.map((e) => e.atKey)).to.deep.equal([`public:publickey${ALICE}`, `@bob🛠:shared_key${ALICE}`, `other.app${ALICE}`]);
    expect(p.every((e) => !e.atKey.includes(".sync"))).to.equal(true);
  });

  it("applies the regex before the 25-entry window, as CommitLogKeyStore.getEntries (where … take(limit)) does", async function () {
    // 30 entries the regex skips, then one it selects: the real server finds it on the first page.
    const start = Number(JSON.parse((await c.cmd("stats:3")).slice(6))[0].value);
    const items = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, command: `update:skip${i}.window${ALICE} x` }));
    await c.cmd(`batch:${JSON.stringify(items)}`);
    const id = Number((await c.cmd(`update:wanted.picked${ALICE} y`)).slice(5));
    expect(page(await c.cmd(`sync:from:${start}:limit:25:\\.picked`)).map((e) => [e.atKey, e.commitId])).to.deep.equal([[`wanted.picked${ALICE}`, id]]);
    // Without a regex the same 25 log entries are the window.
    expect(page(await c.cmd(`sync:from:${start}:limit:25`))).to.have.length(25);
  });

  it("stats:3 answers the last commit id as a string, with a space after data:, and with a regex", async function () {
    const last = Number((await c.cmd(`update:z.stats${ALICE} 1`)).slice(5));
    expect(await c.cmd("stats:3")).to.equal(`data: [{"id":"3","name":"lastCommitID","value":"${last}"}]`);
    const appLast = page(await c.cmd("sync:from:-1:limit:1:\\.app"));
    expect(appLast).to.not.have.length(0);
    const withRegex = JSON.parse((await c.cmd("stats:3:\\.app")).slice(6)) as Array<{ value: string }>;
    expect(Number(withRegex[0]?.value)).to.be.lessThan(last);
    // Only the always-included keys count for a regex that matches nothing.
    const log = JSON.parse((JSON.parse((await c.cmd("stats:15")).slice(6)) as Array<{ value: string }>)[0]?.value ?? "{}") as Record<string, [number, string]>;
    const sharedKeyId = log[`@bob🛠:shared_key${ALICE}`]?.[0];
    const none = JSON.parse((await c.cmd("stats:3:nomatch-at-all")).slice(6)) as Array<{ value: string }>;
    expect(none[0]?.value).to.equal(String(sharedKeyId));
    const fifteen = JSON.parse((await c.cmd("stats:15:z\\.stats")).slice(6)) as Array<{ id: string; value: string }>;
    expect(fifteen[0]?.id).to.equal("15");
    expect(await c.cmd("stats:1,3")).to.equal(`data: [{"id":"1","name":"activeInboundConnections","value":"1"}, {"id":"3","name":"lastCommitID","value":"${last}"}]`);
    expect(await c.cmd("stats:99")).to.equal("error:AT0003-Invalid syntax : No metric with ID 99");
    expect(JSON.parse(fifteen[0]?.value ?? "{}")).to.deep.equal({
      [`public:publickey${ALICE}`]: [0, "*"],
      [`@bob🛠:shared_key${ALICE}`]: [sharedKeyId, "*"],
      [`z.stats${ALICE}`]: [last, "*"],
    });
  });

  it("stops a page before 5 MB of JSON, but always returns at least one entry", async function () {
    const start = Number(JSON.parse((await c.cmd("stats:3")).slice(6))[0].value);
    const big = "x".repeat(2_000_000);
    for (const k of ["b1", "b2", "b3"]) await c.cmd(`update:${k}.big${ALICE} ${big}`);
    const p = page(await c.cmd(`sync:from:${start}:limit:10`));
    expect(p.map((e) => e.atKey)).to.deep.equal([`b1.big${ALICE}`, `b2.big${ALICE}`]);
    await c.cmd(`update:huge.big${ALICE} ${"y".repeat(6_000_000)}`);
    const q = page(await c.cmd(`sync:from:${start + 3}:limit:10`));
    expect(q.map((e) => e.atKey)).to.deep.equal([`huge.big${ALICE}`]);
  });
});
