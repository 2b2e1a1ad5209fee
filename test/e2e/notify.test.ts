// Issue 11: apps send notifications through atsyncd. @alice🛠 notifies @bob🛠 of a key (its value
// encrypted with the key she shares with him) and with a text; bob's daemon decrypts both;
// @carol receives nothing. Delivery is followed (notify:status) and announced. Offline, a
// notification is kept and goes out once the atServer is back.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { startDevServer, type DevServer } from "../../atserver/index.js";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import { aesDecrypt, md5Hex, rsaDecrypt } from "../../protocol/crypto.js";
import type { AtsyncEvent, NotificationReceivedEvent, NotificationStatusChangedEvent } from "../../shared/events.js";
import { ErrorCode } from "../../shared/errors.js";
import { RawClient } from "../atserver/support/RawClient.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB } from "./devServer.js";
import { nextEvent } from "./nextEvent.js";

const CAROL = "@carol";
const ATSIGNS = [ALICE, BOB, CAROL];

function received(pred: (e: NotificationReceivedEvent) => boolean) {
  return (e: AtsyncEvent): e is NotificationReceivedEvent => e.kind === "notification.received" && pred(e);
}

function status(id: () => string | undefined, s: NotificationStatusChangedEvent["status"]) {
  return (e: AtsyncEvent): e is NotificationStatusChangedEvent => e.kind === "notification.statusChanged" && e.status === s && (id() === undefined || e.notificationId === id());
}

async function failure(p: Promise<unknown>): Promise<{ code?: number; message?: string }> {
  return p.then(() => ({}), (e: unknown) => e as { code?: number; message?: string });
}

describe("e2e: notifications.send (issue 11)", function () {
  this.timeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-e2e-notify-"));
  let dev: DevServer | undefined;
  let d: TestDaemon | undefined;

  before(async function () {
    dev = await startDevServer({ dataDir: dir, atSigns: ATSIGNS });
    d = await startTestDaemon({ devServer: dev, atSigns: ATSIGNS });
  });

  after(async function () {
    await d?.dispose();
    await dev?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a key notification reaches bob decrypted, is announced sent and delivered to alice's apps; carol gets nothing", async function () {
    const c = d!.client;
    const out = c.subscribe({ atSigns: [ALICE], kinds: ["notification.statusChanged"] });
    const bobIn = c.subscribe({ atSigns: [BOB, CAROL], kinds: ["notification.received"] });
    await out.next();
    await bobIn.next();
    let id: string | undefined;
    const got = nextEvent(bobIn, received((e) => e.key === `${BOB}:loc.wavi${ALICE}`));
    const r = await c.notify(ALICE, { to: BOB, key: "loc.wavi", value: "Paris 🗼", wait: true });
    id = r.notificationId;
    expect(r.status).to.equal("delivered");
    const e = await got;
    expect(e).to.include({ atSign: BOB, from: ALICE, value: "Paris 🗼", notificationId: id, operation: "update" });
    for (const s of ["sent", "delivered"] as const) await nextEvent(out, status(() => id, s));
    // A text notification, encrypted for bob the same way.
    const text = nextEvent(bobIn, received((x) => x.value === "hello bob 🛠"));
    id = (await c.notify(ALICE, { to: BOB, text: "hello bob 🛠" })).notificationId;
    expect((await text).notificationId).to.equal(id);
    // Carol is no recipient: nothing reaches her.
    await c.syncNow({ atSign: CAROL, wait: true });
    const more = nextEvent(bobIn, received((x) => x.atSign === CAROL), 1000).then(() => "carol got one", () => "none");
    expect(await more).to.equal("none");
    await out.close();
    await bobIn.close();
  });

  it("on the wire at bob's atServer, a key and a text notification carry sharedKeyEnc, pubKeyCS and ivNonce as the reference SDK sends them", async function () {
    const info = dev!.info;
    const bobKeys = decodeAtKeysFile(readFileSync(info.atSigns[BOB]?.atKeys ?? "", "utf8"), BOB);
    const monitor = await RawClient.connect(info.atSigns[BOB]?.secondary ?? "", readFileSync(info.ca, "utf8"));
    try {
      expect(await monitor.pkamLogin(BOB, bobKeys.pkamPrivateKey ?? "")).to.equal("data:success");
      monitor.write("monitor\n");
      // NotificationRequestTransformer: the value AES-encrypted with the shared key under a fresh
      // ivNonce, sharedKeyEnc the shared key wrapped for bob, pubKeyCS the MD5 of his public key.
      const readable = (n: Record<string, unknown>): string => {
        const m = n["metadata"] as Record<string, unknown>;
        expect(m["sharedKeyEnc"]).to.be.a("string").and.not.equal("");
        expect(m["ivNonce"]).to.be.a("string").and.not.equal("");
        expect(m["pubKeyCS"]).to.equal(md5Hex(bobKeys.encryptionPublicKey));
        expect(n["isEncrypted"]).to.equal(true);
        const aesKey = rsaDecrypt(bobKeys.encryptionPrivateKey, String(m["sharedKeyEnc"]));
        const text = n["messageType"] === "MessageType.text" ? String(n["key"]).slice(`${BOB}:`.length) : String(n["value"]);
        return aesDecrypt(aesKey, text, String(m["ivNonce"]));
      };
      const key = await d!.client.notify(ALICE, { to: BOB, key: "wire.wavi", value: "on the wire 🛠" });
      const keyN = await monitor.nextNotification((n) => n["id"] === key.notificationId);
      expect(keyN).to.include({ key: `${BOB}:wire.wavi${ALICE}`, messageType: "MessageType.key" });
      expect(readable(keyN)).to.equal("on the wire 🛠");
      const text = await d!.client.notify(ALICE, { to: BOB, text: "a text on the wire" });
      expect(readable(await monitor.nextNotification((n) => n["id"] === text.notificationId))).to.equal("a text on the wire");
    } finally {
      monitor.close();
    }
  });

  it("a notification to an atSign the root does not know fails with AtSignNotFound, one whose atServer is unreachable with NotificationUndelivered", async function () {
    const nobody = await failure(d!.client.notify(ALICE, { to: "@nobody", key: "x.wavi", value: "v" }));
    expect(nobody.code).to.equal(ErrorCode.AtSignNotFound);
    expect(nobody.message).to.include("@nobody");
    // No value to encrypt: it goes out, and the atServer cannot deliver it.
    const undelivered = await failure(d!.client.notify(ALICE, { to: "@nobody", key: "x.wavi", delete: true, wait: true }));
    expect(undelivered.code).to.equal(ErrorCode.NotificationUndelivered);
  });

  it("offline, a notification is queued and goes out once the atServer is back", async function () {
    const c = d!.client;
    const rootPort = Number(dev!.info.root.split(":").pop());
    const bobIn = c.subscribe({ atSigns: [BOB], kinds: ["notification.received"] });
    const out = c.subscribe({ atSigns: [ALICE], kinds: ["notification.statusChanged"] });
    await bobIn.next();
    await out.next();
    await dev!.stop();
    const sending: { id?: string } = {};
    const queued = nextEvent(out, status(() => sending.id, "queued"));
    const r = await c.notify(ALICE, { to: BOB, text: "sent while offline" });
    sending.id = r.notificationId;
    expect(r.status).to.equal("queued");
    await queued;
    const got = nextEvent(bobIn, received((e) => e.value === "sent while offline"), 60_000);
    const sent = nextEvent(out, status(() => sending.id, "sent"), 60_000);
    dev = await startDevServer({ dataDir: dir, atSigns: ATSIGNS, rootPort });
    await sent;
    expect((await got).notificationId).to.equal(r.notificationId);
    await nextEvent(out, status(() => sending.id, "delivered"));
    await bobIn.close();
    await out.close();
  });

  it("a queued notification is kept across a daemon restart, and goes out from the new run", async function () {
    const rootPort = Number(dev!.info.root.split(":").pop());
    await dev!.stop();
    const r = await d!.client.notify(ALICE, { to: BOB, text: "kept across a restart" });
    expect(r.status).to.equal("queued");
    await d!.stop();
    dev = await startDevServer({ dataDir: dir, atSigns: ATSIGNS, rootPort });
    d = await d!.restart();
    const bobIn = d.client.subscribe({ atSigns: [BOB], kinds: ["notification.received"] }, { since: 0 });
    const got = await nextEvent(bobIn, received((e) => e.value === "kept across a restart"), 60_000);
    expect(got.notificationId).to.equal(r.notificationId);
    await bobIn.close();
  });
});
