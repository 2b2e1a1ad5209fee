// Issue 11: keys another atSign shares with us reach us by sync. @bob🛠 shares a key with a ttr;
// his atServer notifies @alice🛠's, which caches and commits `cached:@alice🛠:k@bob🛠`
// (notify_verb_handler.dart _storeCachedKeys); @alice🛠's daemon pulls it, announces it with the
// sharer named, and reads it under bob's key name with the key bob encrypted for her. @carol
// reads nothing of it.
import { expect } from "chai";
import type { AtsyncEvent, KeyChangedEvent } from "../../shared/events.js";
import { ErrorCode } from "../../shared/errors.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";
import { nextEvent } from "./nextEvent.js";

const CAROL = "@carol";

function changed(key: string, op: KeyChangedEvent["op"]) {
  return (e: AtsyncEvent): e is KeyChangedEvent => e.kind === "key.changed" && e.key === key && e.origin === "remote" && e.op === op;
}

async function code(p: Promise<unknown>): Promise<number | undefined> {
  return p.then(() => undefined, (e: unknown) => (e as { code?: number }).code);
}

describe("e2e: keys shared with us arrive by sync (issue 11)", function () {
  this.timeout(60_000);
  const server = useDevServer(this, [ALICE, BOB, CAROL]);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB, CAROL] });
  });

  after(async function () {
    await d?.dispose();
  });

  it("bob's shared key, its update and its delete reach alice's local copy, announced with bob named; carol reads nothing", async function () {
    const c = d!.client;
    const key = `${ALICE}:k.wavi${BOB}`;
    const copy = `cached:${key}`;
    const stream = c.subscribe({ atSigns: [ALICE], kinds: ["key.changed"] });
    await stream.next(); // snapshot
    let seen = nextEvent(stream, changed(copy, "update"));
    await c.put(BOB, key, "for alice 🛠", { ttr: -1, ccd: true });
    const e = await seen;
    expect(e.sharedBy).to.equal(BOB);
    const got = await c.get(ALICE, key);
    expect(got.value).to.equal("for alice 🛠");
    expect(got.metadata.isEncrypted).to.equal(true);
    // What alice's atServer holds is ciphertext.
    const raw = await server().remote(ALICE).request(`llookup:${copy}`);
    expect(raw).to.not.include("for alice");

    seen = nextEvent(stream, changed(copy, "update"));
    await c.put(BOB, key, "changed by bob", { ttr: -1, ccd: true });
    await seen;
    expect((await c.get(ALICE, key)).value).to.equal("changed by bob");

    // The third atSign: not shared with her, so neither her store nor her atServer has it.
    expect(await code(c.get(CAROL, key))).to.equal(ErrorCode.KeyNotFound);
    expect(await server().scan(CAROL, "k.wavi")).to.deep.equal([]);

    seen = nextEvent(stream, changed(copy, "delete"));
    await c.delete(BOB, key);
    await seen;
    expect(await code(c.get(ALICE, key))).to.equal(ErrorCode.KeyNotFound);
    await stream.close();
  });
});
