// Issue 11: keys.lookup reads other atSigns' keys through our atServer: @bob🛠's public keys
// (plookup, the signature checked against his public key) and what he shared with @alice🛠
// (lookup, decrypted with the key he wrapped for her); @carol reads none of alice's. Copies are
// kept by ttr and answer while offline, with their age and whether they are stale.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import { rsaSign } from "../../protocol/crypto.js";
import { ErrorCode } from "../../shared/errors.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";

const CAROL = "@carol";

async function failure(p: Promise<unknown>): Promise<{ code?: number; message?: string }> {
  return p.then(() => ({}), (e: unknown) => e as { code?: number; message?: string });
}

describe("e2e: keys.lookup of other atSigns (issue 11)", function () {
  this.timeout(60_000);
  const server = useDevServer(this, [ALICE, BOB, CAROL]);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB, CAROL] });
    const c = d.client;
    await c.put(BOB, `public:name.wavi${BOB}`, "Bob 🛠", { ttr: -1 });
    await c.put(BOB, `${ALICE}:note.wavi${BOB}`, "only for alice");
    await c.put(BOB, `public:brief.wavi${BOB}`, "soon stale", { ttr: 1 });
    await c.syncNow({ atSign: BOB, wait: true });
  });

  after(async function () {
    await d?.dispose();
  });

  it("reads bob's public key with its signature checked, and caches it by its ttr", async function () {
    const r = await d!.client.lookup(ALICE, `public:name.wavi${BOB}`);
    expect(r).to.include({ key: `public:name.wavi${BOB}`, value: "Bob 🛠", source: "atServer", stale: false });
    expect(r.metadata.dataSignature).to.be.a("string");
    const again = await d!.client.lookup(ALICE, `public:name.wavi${BOB}`);
    expect(again).to.include({ value: "Bob 🛠", source: "cache", stale: false });
    // The copy is alice's own, under the cached: name; get reads it too.
    expect((await d!.client.get(ALICE, `public:name.wavi${BOB}`)).value).to.equal("Bob 🛠");
  });

  it("reads what bob shared with alice, decrypted; carol can read none of it", async function () {
    const r = await d!.client.lookup(ALICE, `${ALICE}:note.wavi${BOB}`);
    expect(r).to.include({ key: `${ALICE}:note.wavi${BOB}`, value: "only for alice", source: "atServer" });
    expect((await d!.client.lookup(ALICE, `note.wavi${BOB}`)).value).to.equal("only for alice");
    const notHers = await failure(d!.client.lookup(CAROL, `${ALICE}:note.wavi${BOB}`));
    expect(notHers.code).to.equal(ErrorCode.InvalidParams);
    const hers = await failure(d!.client.lookup(CAROL, `note.wavi${BOB}`));
    expect(hers.code).to.equal(ErrorCode.KeyNotFound);
  });

  it("refuses a value whose signature does not verify, an unknown atSign and a missing key, each with its code, caching nothing", async function () {
    // Bob's atServer holds a public value signed with another key (alice's): not bob's word.
    const forged = "I am bob";
    const aliceKeys = server().dev.info.atSigns[ALICE]?.atKeys ?? "";
    const sig = rsaSign(decodeAtKeysFile(readFileSync(aliceKeys, "utf8"), ALICE).encryptionPrivateKey, forged, "sha256");
    await server().remote(BOB).request(`update:ttr:-1:dataSignature:${sig}:public:forged.wavi${BOB} ${forged}`);
    const bad = await failure(d!.client.lookup(ALICE, `public:forged.wavi${BOB}`));
    expect(bad.code).to.equal(ErrorCode.SignatureInvalid);
    expect(bad.message).to.not.include(sig);
    expect((await failure(d!.client.getMeta(ALICE, `public:forged.wavi${BOB}`))).code).to.equal(ErrorCode.KeyNotFound);

    const nobody = await failure(d!.client.lookup(ALICE, "public:x.wavi@nobody"));
    expect(nobody.code).to.equal(ErrorCode.AtSignNotFound);
    expect(nobody.message).to.include("@nobody");
    const missing = await failure(d!.client.lookup(ALICE, `public:missing.wavi${BOB}`));
    expect(missing.code).to.equal(ErrorCode.KeyNotFound);
    expect((await failure(d!.client.getMeta(ALICE, `public:missing.wavi${BOB}`))).code).to.equal(ErrorCode.KeyNotFound);
  });

  it("answers from the copy while the atServers are down, with its age and stale once past its ttr", async function () {
    const first = await d!.client.lookup(ALICE, `public:brief.wavi${BOB}`);
    expect(first).to.include({ value: "soon stale", source: "atServer" });
    await new Promise((r) => setTimeout(r, 1200));
    await server().dev.stop();
    const offline = await d!.client.lookup(ALICE, `public:brief.wavi${BOB}`);
    expect(offline).to.include({ value: "soon stale", source: "cache", stale: true });
    expect(offline.ageMs).to.be.greaterThan(1000);
    const fresh = await d!.client.lookup(ALICE, `public:name.wavi${BOB}`, { bypassCache: true });
    expect(fresh).to.include({ value: "Bob 🛠", source: "cache", stale: false });
    // A copy still within its ttr answers as it does online: bob's public key cannot be fetched
    // to check its signature again, and was checked when the copy was made.
    const cached = await d!.client.lookup(ALICE, `public:name.wavi${BOB}`);
    expect(cached).to.include({ value: "Bob 🛠", source: "cache", stale: false });
    const never = await failure(d!.client.lookup(ALICE, `public:other.wavi${BOB}`));
    expect(never.code).to.equal(ErrorCode.RemoteUnavailable);
  });
});

// The audit of issue 11: a copy's ttr counts from when this device fetched it (the real
// server stamps a cached copy's refreshAt from its own clock when it stores it, AtMetadataBuilder
// setTTR; cache_manager.dart put asserts the owner's createdAt/updatedAt, never its refreshAt),
// and the owner's atServer saying the key is gone drops the copy (cache_manager.dart
// remoteLookUp: KeyNotFound or data:null deletes the cached key, ccd or not).
describe("e2e: keys.lookup copies by their ttr and their owner's word (issue 11 audit)", function () {
  this.timeout(60_000);
  const server = useDevServer(this, [ALICE, BOB]);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB] });
  });

  after(async function () {
    await d?.dispose();
  });

  it("a lookup without a ttr is not cached: each lookup asks the atServer and get finds no copy", async function () {
    const c = d!.client;
    await c.put(BOB, `public:nottr.wavi${BOB}`, "no ttr");
    await c.syncNow({ atSign: BOB, wait: true });
    expect(await c.lookup(ALICE, `public:nottr.wavi${BOB}`)).to.include({ value: "no ttr", source: "atServer" });
    expect(await c.lookup(ALICE, `public:nottr.wavi${BOB}`)).to.include({ value: "no ttr", source: "atServer" });
    expect((await failure(c.get(ALICE, `public:nottr.wavi${BOB}`))).code).to.equal(ErrorCode.KeyNotFound);
  });

  it("bob's public key loses its ttr (ttr 0): alice's next lookup answers it and drops her copy", async function () {
    const c = d!.client;
    const key = `public:uncached.wavi${BOB}`;
    await server().remote(BOB).request(`update:ttr:1:${key} cacheable`);
    expect(await c.lookup(ALICE, key)).to.include({ value: "cacheable", source: "atServer" });
    expect((await c.get(ALICE, key)).value).to.equal("cacheable");
    await new Promise((r) => setTimeout(r, 1100));
    await server().remote(BOB).request(`update:ttr:0:${key} not cacheable`);
    expect(await c.lookup(ALICE, key)).to.include({ value: "not cacheable", source: "atServer" });
    expect((await failure(c.get(ALICE, key))).code).to.equal(ErrorCode.KeyNotFound);
  });

  it("bob deletes a public key (ttr 1, ccd) alice looked up: her next lookup says KeyNotFound and her copy is gone", async function () {
    const c = d!.client;
    const key = `public:gone.wavi${BOB}`;
    await c.put(BOB, key, "about to go", { ttr: 1, ccd: true });
    await c.syncNow({ atSign: BOB, wait: true });
    expect(await c.lookup(ALICE, key)).to.include({ value: "about to go", source: "atServer" });
    expect((await c.get(ALICE, key)).value).to.equal("about to go");
    await new Promise((r) => setTimeout(r, 1100));
    await c.delete(BOB, key);
    await c.syncNow({ atSign: BOB, wait: true });
    expect((await failure(c.lookup(ALICE, key))).code).to.equal(ErrorCode.KeyNotFound);
    expect((await failure(c.get(ALICE, key))).code).to.equal(ErrorCode.KeyNotFound);
  });

  it("bob deletes a key he shared with alice (ttr 1, no ccd): her lookup drops her copy, and her atServer's, as the real server's lookup does", async function () {
    const c = d!.client;
    const key = `${ALICE}:kept.wavi${BOB}`;
    await c.put(BOB, key, "shared, then deleted", { ttr: 1 });
    await c.syncNow({ atSign: BOB, wait: true });
    // Bob's atServer notified alice's, which keeps it as cached:<key>; alice's sync pulls it.
    await waitFor("alice's copy by sync", async () => (await c.get(ALICE, key)).value === "shared, then deleted");
    await new Promise((r) => setTimeout(r, 1100));
    await c.delete(BOB, key);
    await c.syncNow({ atSign: BOB, wait: true });
    // Without ccd her atServer keeps its copy (_removeCachedKey), so sync does not remove hers.
    await server().remote(ALICE).request(`llookup:cached:${key}`);
    expect((await failure(c.lookup(ALICE, key))).code).to.equal(ErrorCode.KeyNotFound);
    expect((await failure(c.get(ALICE, key))).code).to.equal(ErrorCode.KeyNotFound);
    // The drop is a delete of the cached: key, pushed as the SDK pushes those.
    await waitFor("alice's atServer to drop its copy", async () => {
      try {
        await server().remote(ALICE).request(`llookup:cached:${key}`);
        return false;
      } catch (err) {
        return (err as { code?: unknown }).code === "AT0015";
      }
    });
  });

  it("a copy of a key older than its ttr counts the ttr from its fetch: the next lookup is served from it, and offline it is not stale", async function () {
    const c = d!.client;
    const key = `public:aged.wavi${BOB}`;
    await server().remote(BOB).request(`update:ttr:3:${key} written long ago`);
    // Older than its ttr: bob's refreshAt (his write + 3 s) is past before alice ever fetches it.
    await new Promise((r) => setTimeout(r, 3500));
    expect(await c.lookup(ALICE, key)).to.include({ value: "written long ago", source: "atServer" });
    expect(await c.lookup(ALICE, key)).to.include({ value: "written long ago", source: "cache", stale: false });
    await server().dev.stop();
    const offline = await c.lookup(ALICE, key);
    expect(offline).to.include({ value: "written long ago", source: "cache", stale: false });
    expect(offline.ageMs).to.be.lessThan(3000);
    // Nothing was kept of the key without a ttr (the first test): offline there is no copy.
    expect((await failure(c.lookup(ALICE, `public:nottr.wavi${BOB}`))).code).to.equal(ErrorCode.RemoteUnavailable);
  });
});
