// The "Show": apps on one daemon see each other's writes as events, and two devices
// (two daemons, two data dirs) on one atSign converge through the atServer.
import { expect } from "chai";
import type { AtsyncEvent, KeyChangedEvent, NotificationReceivedEvent } from "../../shared/events.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";
import { nextEvent } from "./nextEvent.js";

function keyChanged(key: string, origin: "local" | "remote") {
  return (e: AtsyncEvent): e is KeyChangedEvent => e.kind === "key.changed" && e.key === key && e.origin === origin;
}

describe("e2e: show", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d1: TestDaemon | undefined;
  let d2: TestDaemon | undefined;

  before(async function () {
    d1 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB] });
    d2 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
  });

  after(async function () {
    await d2?.dispose();
    await d1?.dispose();
  });

  it("app A puts a key and app B, subscribed to the same daemon, gets key.changed(local)", async function () {
    const appA = await d1!.connect("app-a");
    const appB = await d1!.connect("app-b");
    const key = `phone.wavi${ALICE}`;
    const stream = appB.subscribe({ atSigns: [ALICE], kinds: ["key.changed"] });
    const first = await stream.next();
    expect(first.value?.kind).to.equal("snapshot");
    const seen = nextEvent(stream, keyChanged(key, "local"));
    await appA.put(ALICE, key, "+1 555 0100 📞");
    const e = await seen;
    expect(e.atSign).to.equal(ALICE);
    expect(e.op).to.equal("update");
    expect((await appB.get(ALICE, key)).value).to.equal("+1 555 0100 📞");
    await stream.close();
  });

  it("a put on device 1 reaches device 2 as key.changed(remote) and reads back decrypted there", async function () {
    const key = `note.e2e${ALICE}`;
    const app2 = await d2!.connect("app-on-device-2");
    const stream = app2.subscribe({ atSigns: [ALICE], kinds: ["key.changed"] });
    await stream.next(); // snapshot
    const seen = nextEvent(stream, keyChanged(key, "remote"));
    const value = `written on device 1 at ${Date.now()} ✓`;
    await d1!.client.put(ALICE, key, value);
    await seen;
    const got = await app2.get(ALICE, key);
    expect(got.value).to.equal(value);
    expect(got.metadata.isEncrypted).to.equal(true);
    // The server holds ciphertext only.
    const raw = await server().remote(ALICE).request(`llookup:${key}`);
    expect(raw).to.not.include("written on device 1");
    await stream.close();
  });

  it("a delete on device 2 reaches device 1", async function () {
    const key = `gone.e2e${ALICE}`;
    await d1!.client.put(ALICE, key, "soon deleted");
    await d1!.client.syncNow({ atSign: ALICE, wait: true });
    await d2!.client.syncNow({ atSign: ALICE, wait: true });
    expect((await d2!.client.get(ALICE, key)).value).to.equal("soon deleted");
    const stream = d1!.client.subscribe({ atSigns: [ALICE], kinds: ["key.changed"] });
    await stream.next();
    const seen = nextEvent(stream, (e): e is KeyChangedEvent => e.kind === "key.changed" && e.key === key && e.origin === "remote" && e.op === "delete");
    await d2!.client.delete(ALICE, key);
    await seen;
    const err = await d1!.client.get(ALICE, key).then(() => undefined, (e: unknown) => e);
    expect((err as { code?: number }).code).to.equal(3001);
    await stream.close();
  });

  it("status and atsigns.list describe both atSigns of device 1", async function () {
    const list = await d1!.client.atSigns();
    expect(list.map((a) => a.atSign)).to.deep.equal([ALICE, BOB]);
    expect(list.every((a) => a.keyStore === "file")).to.equal(true);
    const st = await d1!.client.status(BOB);
    expect(st).to.have.length(1);
    expect(st[0]?.atSign).to.equal(BOB);
    expect(st[0]?.connected).to.equal(true);
  });

  it("a value @alice shares with @bob reaches @bob's subscribers as notification.received, decrypted", async function () {
    const key = `@${BOB.slice(1)}:invite.e2e${ALICE}`;
    const bobApp = await d1!.connect("bob-app");
    const stream = bobApp.subscribe({ atSigns: [BOB], kinds: ["notification.received"] });
    await stream.next(); // snapshot
    const seen = nextEvent(stream, (e): e is NotificationReceivedEvent => e.kind === "notification.received" && e.key === key);
    await d1!.client.put(ALICE, key, "dinner at 8? 🍝");
    const n = await seen;
    expect(n.from).to.equal(ALICE);
    expect(n.operation).to.equal("update");
    expect(n.value).to.equal("dinner at 8? 🍝");
    // The sharer reads its own copy back decrypted as well.
    expect((await d1!.client.get(ALICE, key)).value).to.equal("dinner at 8? 🍝");
    await stream.close();
  });
});
