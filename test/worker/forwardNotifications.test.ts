// Received notifications become notification.received events in the order they arrived, and
// the last one kept for the next run's resume is one that was forwarded (issue 11, point 5).
import { expect } from "chai";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import type { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import type { Monitor } from "../../daemon/remote/Monitor.js";
import type { AtNotification } from "../../daemon/ports.js";
import { forwardNotifications, type LastNotification } from "../../daemon/worker/forwardNotifications.js";
import type { WorkerToMain } from "../../daemon/worker/protocol.js";

const ALICE = "@alice";

function text(id: string, t: string, epochMillis: number, isEncrypted: boolean): AtNotification {
  return { id, from: "@bob", to: ALICE, key: `${ALICE}:${t}`, value: null, operation: "update", epochMillis, messageType: "MessageType.text", isEncrypted };
}

function setup() {
  let listener: ((n: AtNotification) => void) | undefined;
  const monitor = { onNotification: (fn: (n: AtNotification) => void) => ((listener = fn), { dispose: () => undefined }) } as unknown as Monitor;
  // The first encrypted text needs the shared key from the network: it decrypts when released.
  let release: () => void = () => undefined;
  const slow = new Promise<void>((r) => (release = r));
  const cipher = {
    decryptFromSharer: async (_o: string, _w: string, c: string) => {
      await slow;
      return `plain(${c})`;
    },
  } as unknown as ValueCipher;
  const posted: string[] = [];
  const remembered: LastNotification[] = [];
  const post = (m: WorkerToMain): void => {
    if (m.type === "event" && m.event.kind === "notification.received") posted.push(String(m.event.value));
  };
  const d = forwardNotifications({ atSign: ALICE, monitor, cipher, logger: nullLogger, post, remember: (l) => remembered.push(l) });
  return { emit: (n: AtNotification) => listener?.(n), release, posted, remembered, d };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe("forwardNotifications (issue 11)", function () {
  it("forwards notifications in the order they arrived, even when the first waits on the network to decrypt", async function () {
    const s = setup();
    s.emit(text("n1", "secret", 1000, true));
    s.emit(text("n2", "hello", 1001, false));
    await tick();
    s.release();
    await tick();
    expect(s.posted).to.deep.equal(["plain(secret)", "hello"]);
  });

  it("keeps a notification for the resume only once it has been forwarded, so a crash meanwhile does not skip it", async function () {
    const s = setup();
    s.emit(text("n1", "secret", 1000, true));
    await tick();
    // Not forwarded yet: a kill -9 now must replay n1 on the next run.
    expect(s.posted).to.deep.equal([]);
    expect(s.remembered).to.deep.equal([]);
    s.release();
    await tick();
    expect(s.posted).to.deep.equal(["plain(secret)"]);
    expect(s.remembered).to.deep.equal([{ epochMillis: 1000, id: "n1" }]);
  });
});
