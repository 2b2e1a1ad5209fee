// What other atPlatform clients rely on the real server for, over TLS: the handler each test
// follows is named in it (at_server packages/at_secondary_server/lib/src/…).
import { expect } from "chai";
import { loadAtKeys } from "../../atserver/identity/AtSignRegistry.js";
import { ALICE, BOB } from "./support/demo.js";
import { useDemoServer } from "./support/harness.js";
import type { RawClient } from "./support/RawClient.js";

const CAROL = "@carol";

describe("dev-server interop with other clients (issue 11)", function () {
  const h = useDemoServer(this, { statsIntervalMs: 60_000, atSigns: [CAROL] });

  async function carol(): Promise<RawClient> {
    const c = await h().open(CAROL);
    const keys = loadAtKeys(h().dev.info.atSigns[CAROL]?.atKeys ?? "", CAROL);
    expect(await c.pkamLogin(CAROL, keys.pkamPrivateKey ?? "")).to.equal("data:success");
    return c;
  }

  function meta(reply: string): Record<string, unknown> {
    expect(reply).to.match(/^data:\{/u);
    return JSON.parse(reply.slice(5)) as Record<string, unknown>;
  }

  it("delivers a key notification sent without isEncrypted as encrypted, unless its key starts with \"public\" (notify_verb_handler.dart _getIsEncrypted)", async function () {
    const bobMon = await h().login(BOB);
    bobMon.write("monitor\n");
    const alice = await h().login();
    // The C SDK never sends the flag: its monitor must still be told to decrypt.
    const plain = (await alice.cmd(`notify:update:${BOB}:c.wavi${ALICE}:cipher`)).slice(5);
    expect(await bobMon.nextNotification((n) => n["id"] === plain)).to.include({ key: `${BOB}:c.wavi${ALICE}`, isEncrypted: true });
    const flagFalse = (await alice.cmd(`notify:update:isEncrypted:false:${BOB}:c2.wavi${ALICE}:cipher`)).slice(5);
    expect(await bobMon.nextNotification((n) => n["id"] === flagFalse)).to.include({ isEncrypted: true });
    const pub = (await alice.cmd(`notify:update:${BOB}:public:p.wavi${ALICE}:hello`)).slice(5);
    expect(await bobMon.nextNotification((n) => n["id"] === pub)).to.include({ key: `public:p.wavi${ALICE}`, isEncrypted: false });
    // The handler tests the atKey with startsWith('public'), without the colon: a shared key whose
    // name begins with "public" goes out unflagged, by the notify verb and by the update's autoNotify.
    const prefixed = (await alice.cmd(`notify:update:${BOB}:publicity.wavi${ALICE}:cipher`)).slice(5);
    expect(await bobMon.nextNotification((n) => n["id"] === prefixed)).to.include({ key: `${BOB}:publicity.wavi${ALICE}`, isEncrypted: false });
    await alice.cmd(`update:isEncrypted:true:${BOB}:publication.wavi${ALICE} cipher`);
    expect(await bobMon.nextNotification((n) => n["key"] === `${BOB}:publication.wavi${ALICE}`)).to.include({ isEncrypted: false });
    await alice.cmd(`update:isEncrypted:true:${BOB}:private.wavi${ALICE} cipher`);
    expect(await bobMon.nextNotification((n) => n["key"] === `${BOB}:private.wavi${ALICE}`)).to.include({ isEncrypted: true });
    // A text message is what its flag says, in any case (SecondaryUtil.getBoolFromString).
    const text = (await alice.cmd(`notify:messageType:text:${BOB}:hi there`)).slice(5);
    expect(await bobMon.nextNotification((n) => n["id"] === text)).to.include({ messageType: "MessageType.text", isEncrypted: false });
    const textEnc = (await alice.cmd(`notify:messageType:text:isEncrypted:TRUE:${BOB}:c2VjcmV0`)).slice(5);
    expect(await bobMon.nextNotification((n) => n["id"] === textEnc)).to.include({ isEncrypted: true });
  });

  it("reads metadata booleans in any case, as the Python SDK sends them (abstract_update_verb_handler.dart, AtMetadataUtil.getBoolVerbParams)", async function () {
    const alice = await h().login();
    expect(await alice.cmd(`update:ttr:3600:ccd:True:isBinary:FALSE:isEncrypted:TRUE:py.wavi${ALICE} v`)).to.match(/^data:\d+$/u);
    expect(meta(await alice.cmd(`llookup:meta:py.wavi${ALICE}`))).to.include({ ttr: 3600, ccd: true, isBinary: false, isEncrypted: true });
    expect(await alice.cmd(`update:meta:py.wavi${ALICE}:ttr:3600:ccd:FaLsE`)).to.match(/^data:\d+$/u);
    expect(meta(await alice.cmd(`llookup:meta:py.wavi${ALICE}`))).to.include({ ccd: false });
  });

  it("caches a key shared with a ttr on the recipient's server and commits it there; a third atSign gets nothing (notify_verb_handler.dart _storeCachedKeys)", async function () {
    const aliceMon = await h().login();
    aliceMon.write("monitor\n");
    const alice = await h().login();
    const bob = await h().login(BOB);
    const before = Number(JSON.parse((await alice.cmd("stats:3")).slice(5).trim())[0].value);
    expect(await bob.cmd(`update:ttr:-1:ccd:true:isEncrypted:true:ivNonce:AAAAAAAAAAAAAAAAAAAAAA==:${ALICE}:k.wavi${BOB} v1`)).to.match(/^data:\d+$/u);
    const cached = `cached:${ALICE}:k.wavi${BOB}`;
    expect(await alice.cmd(`llookup:${cached}`)).to.equal("data:v1");
    expect(meta(await alice.cmd(`llookup:meta:${cached}`))).to.include({ ttr: -1, ccd: true, isEncrypted: true, ivNonce: "AAAAAAAAAAAAAAAAAAAAAA==" });
    // Committed on alice's server, so her sync receives it, and her monitors hear of it.
    const page = JSON.parse((await alice.cmd(`sync:from:${before}:limit:25`)).slice(5)) as { atKey: string; operation: string; commitId: number }[];
    const entry = page.find((e) => e.atKey === cached);
    expect(entry?.operation).to.equal("*");
    await aliceMon.nextNotification((n) => n["id"] === "-1" && n["value"] === String(entry?.commitId));
    // The sharer's update reaches the copy.
    await bob.cmd(`update:ttr:-1:ccd:true:isEncrypted:true:${ALICE}:k.wavi${BOB} v2`);
    expect(await alice.cmd(`llookup:${cached}`)).to.equal("data:v2");
    // Without a ttr nothing is cached (the notification still goes out).
    await bob.cmd(`update:isEncrypted:true:${ALICE}:nottr.wavi${BOB} x`);
    expect(await alice.cmd(`llookup:cached:${ALICE}:nottr.wavi${BOB}`)).to.match(/^error:AT0015/u);
    // @carol is not the recipient: her server holds no copy.
    const c = await carol();
    expect(await c.cmd("scan:showhidden:true")).to.not.include("k.wavi");
    // The sharer's delete removes a copy cached with ccd true (_removeCachedKey) ...
    await bob.cmd(`delete:${ALICE}:k.wavi${BOB}`);
    expect(await alice.cmd(`llookup:${cached}`)).to.match(/^error:AT0015/u);
    const after = JSON.parse((await alice.cmd(`sync:from:${entry?.commitId ?? 0}:limit:25`)).slice(5)) as { atKey: string; operation: string }[];
    expect(after.filter((e) => e.atKey === cached).map((e) => e.operation)).to.deep.equal(["-"]);
  });

  it("keeps the cached copy when the sharer deletes a key cached without ccd (notify_verb_handler.dart _removeCachedKey)", async function () {
    const alice = await h().login();
    const bob = await h().login(BOB);
    await bob.cmd(`update:ttr:600:isEncrypted:true:${ALICE}:keep.wavi${BOB} v`);
    expect(meta(await alice.cmd(`llookup:meta:cached:${ALICE}:keep.wavi${BOB}`))).to.include({ ttr: 600, ccd: false });
    await bob.cmd(`delete:${ALICE}:keep.wavi${BOB}`);
    expect(await alice.cmd(`llookup:cached:${ALICE}:keep.wavi${BOB}`)).to.equal("data:v");
  });
  it("refuses a notification of a key a third atSign does not own, so it cannot overwrite what the sharer cached for its recipient (notify_verb_handler.dart _isAuthorizedToSendNotification)", async function () {
    const alice = await h().login();
    const bob = await h().login(BOB);
    await bob.cmd(`update:ttr:-1:ccd:true:isEncrypted:true:${ALICE}:forged.wavi${BOB} real`);
    const cached = `cached:${ALICE}:forged.wavi${BOB}`;
    expect(await alice.cmd(`llookup:${cached}`)).to.equal("data:real");
    // @carol names @bob as the key's owner: the real server refuses it, as @bob did not send it.
    const c = await carol();
    expect(await c.cmd(`notify:update:ttr:-1:ccd:true:${ALICE}:forged.wavi${BOB}:evil`)).to.match(/^error:AT0009/u);
    expect(await c.cmd(`notify:delete:ttr:-1:${ALICE}:forged.wavi${BOB}`)).to.match(/^error:AT0009/u);
    expect(await alice.cmd(`llookup:${cached}`)).to.equal("data:real");
    // Her own keys she may notify.
    expect(await c.cmd(`notify:update:${ALICE}:own.wavi${CAROL}:x`)).to.match(/^data:[\w-]+$/u);
  });
});
