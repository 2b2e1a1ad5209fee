import { expect } from "chai";
import { ALICE, BOB } from "./support/demo.js";
import { useDemoServer } from "./support/harness.js";
import type { RawClient } from "./support/RawClient.js";

const DART_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/u;

describe("dev-server keys: update, update:meta, delete, llookup, scan (§3, §4)", function () {
  const h = useDemoServer(this, { expiryIntervalMs: 100 });
  let c: RawClient;
  before(async function () {
    c = await h().login();
  });

  const lastId = async (): Promise<number> => {
    const r = await c.cmd("stats:3");
    const v = (JSON.parse(r.slice("data: ".length)) as Array<{ value: string }>)[0]?.value;
    return Number(v);
  };

  it("update answers the next commit id and llookup the raw value", async function () {
    const before = await lastId();
    expect(await c.raw(`update:phone.wavi${ALICE} +1 555 0100`)).to.equal(`data:${before + 1}\n${ALICE}@`);
    expect(await c.raw(`llookup:phone.wavi${ALICE}`)).to.equal(`data:+1 555 0100\n${ALICE}@`);
    expect(await c.cmd(`update:public:email.wavi${ALICE}`)).to.equal("error:AT0003-Invalid syntax : Invalid syntax. e.g. update:@alice:location@bob San Francisco");
    expect(await c.cmd(`update:public:nick.wavi${ALICE} Al`)).to.equal(`data:${before + 2}`);
    expect(await c.cmd(`update:@bob🛠:phone.wavi${ALICE} shared`)).to.equal(`data:${before + 3}`);
    expect(await c.cmd(`llookup:public:nick.wavi${ALICE}`)).to.equal("data:Al");
    expect(await c.cmd(`llookup:@bob🛠:phone.wavi${ALICE}`)).to.equal("data:shared");
  });

  it("keys that are never committed answer data:-1", async function () {
    expect(await c.cmd(`update:public:_hidden.wavi${ALICE} x`)).to.equal("data:-1");
    expect(await c.cmd(`update:public:__shown.wavi${ALICE} x`)).to.match(/^data:\d+$/u);
  });

  it("refuses keys of another atSign, and keys without one, with AT0016", async function () {
    expect(await c.cmd("update:phone.wavi x")).to.equal("error:AT0016-Invalid atKey : You may not update keys of type KeyType.invalidKey");
    expect(await c.cmd(`update:phone.wavi${BOB} x`)).to.equal(
      `error:AT0016-Invalid atKey : Invalid update command - sharedBy atsign ${BOB} should be same as current atsign ${ALICE}`,
    );
  });

  it("llookup:meta leaves nulls out and writes Dart dates; llookup:all wraps value and metadata", async function () {
    await c.cmd(`update:ttr:100:isEncrypted:true:ivNonce:AAAA:phone2.wavi${ALICE} cipher`);
    const meta = JSON.parse((await c.cmd(`llookup:meta:phone2.wavi${ALICE}`)).slice(5)) as Record<string, unknown>;
    expect(Object.keys(meta)).to.deep.equal([
      "createdBy", "updatedBy", "createdAt", "updatedAt", "refreshAt", "status", "version", "ttr", "ccd", "isBinary", "isEncrypted", "ivNonce",
    ]);
    expect(meta["createdBy"]).to.equal(ALICE);
    expect(meta["createdAt"]).to.match(DART_DATE);
    expect(meta).to.include({ status: "active", version: 0, ttr: 100, ccd: false, isBinary: false, isEncrypted: true, ivNonce: "AAAA" });
    const all = JSON.parse((await c.cmd(`llookup:all:phone2.wavi${ALICE}`)).slice(5)) as Record<string, unknown>;
    expect(all["key"]).to.equal(`phone2.wavi${ALICE}`);
    expect(all["data"]).to.equal("cipher");
    expect(all["metaData"]).to.deep.equal(meta);
  });

  it("an update merges metadata: missing fields kept, the literal null unsets, missing booleans become false", async function () {
    await c.cmd(`update:ttl:600000:isEncrypted:true:encoding:base64:merge.wavi${ALICE} v1`);
    await c.cmd(`update:isBinary:true:merge.wavi${ALICE} v2`);
    let meta = JSON.parse((await c.cmd(`llookup:meta:merge.wavi${ALICE}`)).slice(5)) as Record<string, unknown>;
    // isBinary/isEncrypted are non-nullable (default false) in at_commons Metadata: leaving
    // one out of the command resets it, unlike every nullable field.
    expect(meta).to.include({ ttl: 600000, isEncrypted: false, isBinary: true, encoding: "base64", version: 1 });
    expect(meta["expiresAt"]).to.match(DART_DATE);
    await c.cmd(`update:ttl:0:isEncrypted:true:encoding:null:merge.wavi${ALICE} v3`);
    meta = JSON.parse((await c.cmd(`llookup:meta:merge.wavi${ALICE}`)).slice(5)) as Record<string, unknown>;
    expect(meta).to.include({ ttl: 0, isEncrypted: true, isBinary: false, version: 2 });
    expect(meta).to.not.have.property("encoding");
    expect(meta).to.not.have.property("expiresAt");
    await c.cmd(`update:meta:merge.wavi${ALICE}:encoding:base64`);
    meta = JSON.parse((await c.cmd(`llookup:meta:merge.wavi${ALICE}`)).slice(5)) as Record<string, unknown>;
    expect(meta).to.include({ ttl: 0, encoding: "base64", isEncrypted: false, isBinary: false, version: 3 });
  });

  it("rejects a metadata fragment out of wire order or out of range, and stays usable", async function () {
    expect(await c.cmd(`update:isEncrypted:true:ttl:1000:order.wavi${ALICE} v`)).to.match(/^error:AT0003-/u);
    expect(await c.cmd(`update:ttl:-5:neg.wavi${ALICE} v`)).to.equal(
      "error:AT0003-Invalid syntax : Valid value for TTL should be greater than or equal to 0",
    );
    expect(await c.cmd(`update:ttr:-2:neg.wavi${ALICE} v`)).to.equal(
      "error:AT0003-Invalid syntax : Valid values for TTR are -1 and greater than or equal to 1",
    );
    expect(await c.cmd(`update:ttb:99999999999999999999999:huge.wavi${ALICE} v`)).to.equal(
      "error:AT0003-Invalid syntax : Valid value for TTB should be greater than or equal to 0",
    );
    expect(await c.cmd("noop:0")).to.equal("data:ok");
  });

  it("update:meta changes metadata only and commits #; a missing key is AT0015", async function () {
    await c.cmd(`update:um.wavi${ALICE} keep`);
    const id = Number((await c.cmd(`update:meta:um.wavi${ALICE}:ttr:50:ccd:true`)).slice(5));
    expect(id).to.equal(await lastId());
    expect(await c.cmd(`llookup:um.wavi${ALICE}`)).to.equal("data:keep");
    const meta = JSON.parse((await c.cmd(`llookup:meta:um.wavi${ALICE}`)).slice(5)) as Record<string, unknown>;
    expect(meta).to.include({ ttr: 50, ccd: true, version: 1 });
    const log = JSON.parse(JSON.parse((await c.cmd(`stats:15:um\\.wavi`)).slice(6))[0].value as string) as Record<string, unknown>;
    expect(log[`um.wavi${ALICE}`]).to.deep.equal([id, "#"]);
    expect(await c.cmd(`update:meta:none.wavi${ALICE}:ttr:50`)).to.equal(
      `error:AT0015-key not found : none.wavi${ALICE} does not exist in keystore`,
    );
  });

  it("delete commits a tombstone, even for a key that never existed", async function () {
    await c.cmd(`update:gone.wavi${ALICE} x`);
    const id = Number((await c.cmd(`delete:gone.wavi${ALICE}`)).slice(5));
    expect(id).to.equal(await lastId());
    expect(await c.cmd(`llookup:gone.wavi${ALICE}`)).to.equal(`error:AT0015-key not found : gone.wavi${ALICE} does not exist in keystore`);
    expect(await c.cmd(`delete:never.wavi${ALICE}`)).to.equal(`data:${id + 1}`);
  });

  it("a key before its ttb reads data:null; an expired key is deleted and committed as -", async function () {
    await c.cmd(`update:ttb:600000:later.wavi${ALICE} soon`);
    expect(await c.cmd(`llookup:later.wavi${ALICE}`)).to.equal("data:null");
    const id = Number((await c.cmd(`update:ttl:1:brief.wavi${ALICE} x`)).slice(5));
    const deadline = Date.now() + 5000;
    let log: Record<string, [number, string]> = {};
    while (Date.now() < deadline) {
      log = JSON.parse(JSON.parse((await c.cmd(`stats:15:brief\\.wavi`)).slice(6))[0].value as string) as Record<string, [number, string]>;
      if (log[`brief.wavi${ALICE}`]?.[1] === "-") break;
      await c.cmd("noop:20");
    }
    expect(log[`brief.wavi${ALICE}`]?.[1]).to.equal("-");
    expect(log[`brief.wavi${ALICE}`]?.[0]).to.be.greaterThan(id);
  });

  it("scan hides private and hidden keys unless showhidden:true, and filters by regex", async function () {
    await c.cmd(`update:_secret.wavi${ALICE} x`);
    const keys = JSON.parse((await c.cmd("scan")).slice(5)) as string[];
    expect(keys).to.include(`phone.wavi${ALICE}`).and.include(`public:publickey${ALICE}`).and.include(`@bob🛠:phone.wavi${ALICE}`);
    expect(keys).to.not.include(`_secret.wavi${ALICE}`);
    expect(keys.some((k) => k.startsWith("privatekey:") || k.startsWith("private:"))).to.equal(false);
    const hidden = JSON.parse((await c.cmd("scan:showhidden:true")).slice(5)) as string[];
    expect(hidden).to.include(`_secret.wavi${ALICE}`).and.include(`public:__shown.wavi${ALICE}`);
    expect(hidden).to.not.include(`public:_hidden.wavi${ALICE}`);
    expect(keys).to.not.include(`public:__shown.wavi${ALICE}`);
    const filtered = JSON.parse((await c.cmd("scan nick")).slice(5)) as string[];
    expect(filtered).to.deep.equal([`public:nick.wavi${ALICE}`]);
    const anon = await h().open();
    const publicOnly = JSON.parse((await anon.cmd("scan")).slice(5)) as string[];
    expect(publicOnly).to.include(`nick.wavi${ALICE}`).and.include(`publickey${ALICE}`);
    expect(publicOnly.every((k) => !k.includes("phone.wavi"))).to.equal(true);
  });

  it("plookup and lookup read another hosted atSign's keys; unknown atSigns and keys get the real errors", async function () {
    const bob = await h().login(BOB);
    await bob.cmd(`update:public:city.wavi${BOB} Paris`);
    await bob.cmd(`update:${ALICE}:secret.wavi${BOB} for-alice`);
    expect(await c.cmd(`plookup:city.wavi${BOB}`)).to.equal("data:Paris");
    expect(await c.cmd(`scan:${BOB}`)).to.equal(`data:["secret.wavi${BOB}"]`);
    expect(await c.cmd(`lookup:secret.wavi${BOB}`)).to.equal("data:for-alice");
    const all = JSON.parse((await c.cmd(`lookup:all:secret.wavi${BOB}`)).slice(5)) as Record<string, unknown>;
    expect(all["data"]).to.equal("for-alice");
    expect(await c.cmd(`plookup:nope.wavi${BOB}`)).to.equal(`error:AT0015-key not found : public:nope.wavi${BOB} does not exist in keystore`);
    expect(await c.cmd("plookup:city.wavi@nobody")).to.equal("error:AT0007-Secondary server not found : No secondary url found for atsign: @nobody");
    const anon = await h().open();
    expect(await anon.cmd(`plookup:city.wavi${BOB}`)).to.equal("data:Paris");
  });

  it("lookup needs no auth (it then reads public keys), and an atSign's own lookup reads @self:key@self", async function () {
    await c.cmd(`update:public:site.wavi${ALICE} pub`);
    await c.cmd(`update:site.wavi${ALICE} self`);
    await c.cmd(`update:${ALICE}:site.wavi${ALICE} to-self`);
    const anon = await h().open();
    expect(await anon.raw(`lookup:site.wavi${ALICE}`)).to.equal("data:pub\n@");
    expect(await anon.cmd(`lookup:gone.wavi${ALICE}`)).to.equal(`error:AT0015-Exception: public:gone.wavi${ALICE} does not exist in keystore`);
    expect(await c.cmd(`lookup:site.wavi${ALICE}`)).to.equal("data:to-self");
  });
});
