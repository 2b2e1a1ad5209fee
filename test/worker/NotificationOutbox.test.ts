// The outbox of notifications our atSign sends (issue 11, point 4): each goes to the atServer
// once, and whoever waits for its delivery is told, even when its status never settles.
import { expect } from "chai";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import type { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import type { AtRemote, Clock } from "../../daemon/ports.js";
import type { LocalWrites } from "../../daemon/sync/LocalWrites.js";
import { NotificationOutbox } from "../../daemon/worker/NotificationOutbox.js";
import type { ReadonlyStore } from "../../daemon/worker/WorkerContext.js";
import type { KeyRecord } from "../../daemon/core/types.js";

const ALICE = "@alice";
const BOB = "@bob";
const SELF_KEY = Buffer.alloc(32, 7).toString("base64");

/** Timers that fire on the next turn whatever their delay. */
const fastClock: Clock = {
  now: () => Date.now(),
  setTimer: (_ms, fn) => {
    const t = setTimeout(fn, 0);
    return { dispose: () => clearTimeout(t) };
  },
};

function setup(answer: (command: string) => Promise<string>) {
  const rows = new Map<string, KeyRecord>();
  const store = {
    get: (k: string) => rows.get(k),
    listKeys: (q: { prefix?: string } = {}) => [...rows.keys()].filter((k) => k.startsWith(q.prefix ?? "")),
    listConflicts: () => [],
  } as unknown as ReadonlyStore;
  const local = {
    put: (k: string, value: string, metadata: KeyRecord["metadata"] = {}) => void rows.set(k, { value, metadata, updatedAtMs: Date.now() } as unknown as KeyRecord),
    delete: (k: string) => void rows.delete(k),
  } as unknown as LocalWrites;
  const cipher = { encryptForPut: () => Promise.resolve({ value: "ciphertext", metadata: { isEncrypted: true } }) } as unknown as ValueCipher;
  const commands: string[] = [];
  const remote: AtRemote = {
    connected: true,
    close: () => Promise.resolve(),
    request: (command) => {
      commands.push(command);
      return answer(command);
    },
  };
  const outbox = new NotificationOutbox({
    atSign: ALICE, selfEncryptionKey: SELF_KEY, store, local, cipher, remote, clock: fastClock, logger: nullLogger, publish: () => undefined,
  });
  return { outbox, commands, rows };
}

describe("NotificationOutbox (issue 11)", function () {
  it("sends a notification once when a flush (the return online) runs while its first attempt is still out", async function () {
    let release: (v: string) => void = () => undefined;
    const first = new Promise<string>((r) => (release = r));
    const s = setup((c) => (c.startsWith("notify:id:") ? first : Promise.resolve("delivered")));
    const sending = s.outbox.send({ atSign: ALICE, to: BOB, text: "hi" });
    await new Promise((r) => setTimeout(r, 10));
    const flushing = s.outbox.flush();
    await new Promise((r) => setTimeout(r, 10));
    release("ok");
    await Promise.all([sending, flushing]);
    s.outbox.dispose();
    expect(s.commands.filter((c) => c.startsWith("notify:id:"))).to.have.length(1);
  });

  it("tells whoever waits once it stops following a status that never settles, instead of leaving it waiting forever", async function () {
    const s = setup((c) => Promise.resolve(c.startsWith("notify:status:") ? "queued" : "ok"));
    const r = await s.outbox.send({ atSign: ALICE, to: BOB, text: "hi" });
    const settled = s.outbox.settled(r.notificationId);
    const outcome = await Promise.race([settled, new Promise((res) => setTimeout(() => res("still waiting"), 2000))]);
    s.outbox.dispose();
    expect(s.commands.filter((c) => c.startsWith("notify:status:")).length).to.be.at.most(8);
    expect(outcome).to.equal("sent");
  });
});
