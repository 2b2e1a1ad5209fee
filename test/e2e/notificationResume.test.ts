// Issue 11: received notifications survive a daemon restart. The worker keeps the last one it
// forwarded; the next run's monitor resumes from its time (monitor:<epochMillis>), so what
// arrived while the daemon was down is delivered, and nothing is delivered twice. A subscriber
// of the new run resumes with `since`.
import { expect } from "chai";
import type { AtsyncEvent, NotificationReceivedEvent } from "../../shared/events.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, BOB, useDevServer } from "./devServer.js";
import { nextEvent } from "./nextEvent.js";
import type { EventStream } from "../../client/index.js";

function text(t: string) {
  return (e: AtsyncEvent): e is NotificationReceivedEvent => e.kind === "notification.received" && e.value === t;
}

/** The texts of the notifications the stream brings until (and with) `last`. */
async function textsUntil(stream: EventStream, last: string): Promise<string[]> {
  const seen: string[] = [];
  await nextEvent(stream, (e): e is NotificationReceivedEvent => {
    if (e.kind !== "notification.received") return false;
    seen.push(String(e.value));
    return e.value === last;
  });
  return seen;
}

describe("e2e: received notifications survive a restart (issue 11)", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  after(async function () {
    await d?.dispose();
  });

  it("delivers what arrived while the daemon was down once, and not what it delivered before", async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    const bob = server().remote(BOB);
    const first = d.client.subscribe({ atSigns: [ALICE], kinds: ["notification.received"] });
    await first.next();
    const one = nextEvent(first, text("one"));
    await bob.request(`notify:messageType:text:${ALICE}:one`);
    await one;
    await first.close();
    const dir = d.dir;
    await d.stop();

    await bob.request(`notify:messageType:text:${ALICE}:two`);
    d = await startTestDaemon({ devServer: server().dev, dir });
    // A subscriber of the new run: since 0 replays everything this run announced so far.
    const again = d.client.subscribe({ atSigns: [ALICE], kinds: ["notification.received"] }, { since: 0 });
    const head = await again.next();
    expect(head.value?.kind).to.not.equal("snapshot");
    const seen = textsUntil(again, "three");
    // "two" came by the replay (after "one", which is not delivered again); "three" marks the end.
    await bob.request(`notify:messageType:text:${ALICE}:three`);
    const texts = [String((head.value as NotificationReceivedEvent | undefined)?.value), ...(await seen)];
    expect(texts).to.deep.equal(["two", "three"]);
    await again.close();
  });
});
