// Issue 11 item 6, end to end: values decrypt whatever their isEncrypted says. The C SDK writes
// every self and shared value as `update:isEncrypted:false:…` of its ciphertext; here a raw TLS
// client logged in as @alice🛠 writes them so, and the daemon reads them decrypted, as the
// reference SDK's GetResponseTransformer does (try to decrypt, else the value as stored). A key
// notification can arrive unflagged too: the atServer flags it by its atKey's prefix
// (notify_verb_handler.dart _getIsEncrypted tests startsWith('public')), so a shared key named
// public… reaches its recipient with isEncrypted false and its ciphertext.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { decodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";
import { aesEncrypt, randomIvB64, rsaDecrypt } from "../../protocol/crypto.js";
import type { AtsyncEvent, NotificationReceivedEvent } from "../../shared/events.js";
import { RawClient } from "../atserver/support/RawClient.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";
import { nextEvent } from "./nextEvent.js";

describe("e2e: values and notifications the C SDK leaves unflagged are decrypted (issue 11 item 6)", function () {
  this.timeout(60_000);
  const server = useDevServer(this, [ALICE, BOB]);
  let d: TestDaemon | undefined;
  const raws: RawClient[] = [];

  function keysOf(atSign: string): AtKeys {
    return decodeAtKeysFile(readFileSync(server().dev.info.atSigns[atSign]?.atKeys ?? "", "utf8"), atSign);
  }

  /** A raw TLS connection to `atSign`'s atServer, logged in with its PKAM key, as another client's. */
  async function raw(atSign: string): Promise<RawClient> {
    const info = server().dev.info;
    const c = await RawClient.connect(info.atSigns[atSign]?.secondary ?? "", readFileSync(info.ca, "utf8"));
    raws.push(c);
    expect(await c.pkamLogin(atSign, keysOf(atSign).pkamPrivateKey ?? "")).to.equal("data:success");
    return c;
  }

  /** The key @alice🛠 shares with @bob🛠: her own copy unwrapped with her private key. */
  async function sharedKey(alice: RawClient): Promise<string> {
    const wrapped = await alice.cmd(`llookup:shared_key.${BOB.slice(1)}${ALICE}`);
    expect(wrapped).to.match(/^data:/u);
    return rsaDecrypt(keysOf(ALICE).encryptionPrivateKey, wrapped.slice("data:".length));
  }

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB] });
    // Alice's daemon makes the key she shares with bob (and bob's copy of it) with a first value.
    await d.client.put(ALICE, `${BOB}:first.wavi${ALICE}`, "the first shared value");
    await d.client.syncNow({ atSign: ALICE, wait: true });
  });

  after(async function () {
    for (const c of raws) c.close();
    await d?.dispose();
  });

  it("self and shared values written as the C SDK does (update:isEncrypted:false of ciphertext) read decrypted: alice's get, bob's synced copy and his lookup", async function () {
    const c = d!.client;
    const alice = await raw(ALICE);
    const self = keysOf(ALICE).selfEncryptionKey;
    const iv = randomIvB64();
    expect(await alice.cmd(`update:isEncrypted:false:ivNonce:${iv}:c-self.wavi${ALICE} ${aesEncrypt(self, "self, from the C SDK 🛠", iv)}`)).to.match(/^data:\d+$/u);
    // No ivNonce: the legacy zero IV.
    expect(await alice.cmd(`update:isEncrypted:false:c-legacy.wavi${ALICE} ${aesEncrypt(self, "legacy IV")}`)).to.match(/^data:\d+$/u);
    const shared = await sharedKey(alice);
    const iv2 = randomIvB64();
    const sharedKeyName = `${BOB}:c-shared.wavi${ALICE}`;
    expect(await alice.cmd(`update:ttr:-1:isEncrypted:false:ivNonce:${iv2}:${sharedKeyName} ${aesEncrypt(shared, "shared, from the C SDK", iv2)}`)).to.match(/^data:\d+$/u);

    await c.syncNow({ atSign: ALICE, wait: true });
    const got = await c.get(ALICE, `c-self.wavi${ALICE}`);
    expect(got.value).to.equal("self, from the C SDK 🛠");
    expect(got.metadata.isEncrypted).to.equal(false);
    expect((await c.get(ALICE, `c-legacy.wavi${ALICE}`)).value).to.equal("legacy IV");
    expect((await c.get(ALICE, sharedKeyName)).value).to.equal("shared, from the C SDK");
    // Bob: the copy his atServer cached (ttr -1) reaches him by sync (flagged encrypted there: the
    // notification that made it was), and a lookup reads alice's, unflagged.
    await waitFor("bob's synced copy", async () => (await c.get(BOB, sharedKeyName)).value === "shared, from the C SDK");
    const looked = await c.lookup(BOB, sharedKeyName, { bypassCache: true });
    expect(looked).to.include({ value: "shared, from the C SDK", source: "atServer" });
    expect(looked.metadata.isEncrypted).to.equal(false);
  });

  it("a key notification that arrives unflagged (isEncrypted false) with an encrypted value is forwarded decrypted", async function () {
    const c = d!.client;
    const bobMonitor = await raw(BOB);
    bobMonitor.write("monitor\n");
    const stream = c.subscribe({ atSigns: [BOB], kinds: ["notification.received"] });
    await stream.next();
    const key = `${BOB}:publicity.wavi${ALICE}`;
    const got = nextEvent(stream, (e: AtsyncEvent): e is NotificationReceivedEvent => e.kind === "notification.received" && e.key === key);
    const alice = await raw(ALICE);
    const iv = randomIvB64();
    const id = (await alice.cmd(`notify:update:isEncrypted:false:ivNonce:${iv}:${key}:${aesEncrypt(await sharedKey(alice), "a notification, from the C SDK", iv)}`)).slice("data:".length);
    // On the wire at bob's atServer: unflagged, the value its ciphertext.
    const wire = await bobMonitor.nextNotification((n) => n["id"] === id);
    expect(wire).to.include({ key, isEncrypted: false });
    expect(wire["value"]).to.not.include("from the C SDK");
    const e = await got;
    expect(e).to.include({ atSign: BOB, from: ALICE, notificationId: id, operation: "update", value: "a notification, from the C SDK" });
    await stream.close();
  });
});
