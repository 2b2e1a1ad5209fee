// How the worker answers main: every reply of a turn goes to main in one message, in order, each
// with its own result (serialized) or error; a request that may take long (anything but a one-key
// read) first sends what was answered before it; a read still decrypting holds back no reply
// finished before it. Over a real MessagePort, with a fake store and cipher.
import { expect } from "chai";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import type { KeyRecord } from "../../daemon/core/types.js";
import { MessageBatcher } from "../../daemon/worker/MessageBatcher.js";
import { PlaintextCache, cipherTag } from "../../daemon/worker/PlaintextCache.js";
import { packReplies, unbatch, type MainToWorker, type WorkerToMain } from "../../daemon/worker/protocol.js";
import type { WorkerContext } from "../../daemon/worker/WorkerContext.js";
import { WorkerServer } from "../../daemon/worker/WorkerServer.js";
import { ErrorCode } from "../../shared/errors.js";

const ATSIGN = "@alice🛠";
const key = (i: number): string => `k${i}.app${ATSIGN}`;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
type Reply = { type: "reply"; id: number; json?: string; error?: { code: number } };

describe("WorkerServer: replies to main", () => {
  let ports: MessagePort[] = [];
  afterEach(() => {
    for (const p of ports) p.close();
    ports = [];
  });

  /** Keys 0..9 stored; 0..4 in the plaintext cache (answered at once), the rest wait for `decrypt`. */
  function serve(): {
    send(msgs: MainToWorker[]): void;
    /** One entry per postMessage main received: the messages it carried. */
    received: WorkerToMain[][];
    decrypting: Map<string, (plain: string) => void>;
    listedAfter: () => number | undefined;
  } {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const received: WorkerToMain[][] = [];
    port2.on("message", (m: unknown) => received.push(unbatch(m) as WorkerToMain[]));
    const recs = new Map<string, KeyRecord>();
    const plain = new PlaintextCache();
    for (let i = 0; i < 10; i++) {
      const r: KeyRecord = { atKey: key(i), value: `cipher${i}`, metadata: { isEncrypted: true, ivNonce: "n" }, commitId: i, updatedAtMs: 1 };
      recs.set(r.atKey.toLowerCase(), r);
      if (i < 5) plain.set(r.atKey, r.value, cipherTag(r.metadata), `plain${i}`);
    }
    const decrypting = new Map<string, (p: string) => void>();
    let listedAfter: number | undefined;
    const ctx = {
      atSign: ATSIGN, logger: nullLogger, clock: new SystemClock(), plain,
      store: {
        get: (k: string) => recs.get(k.toLowerCase()),
        listKeyPage: () => {
          // What had been posted to main when the listing ran: the replies before it, already sent.
          listedAfter = posted;
          return { keys: [], next: null };
        },
      },
      cipher: { decryptForGet: (k: string) => new Promise<string>((resolve) => decrypting.set(k, resolve)) },
    } as unknown as WorkerContext;
    let posted = 0;
    const out = new MessageBatcher<WorkerToMain>({
      post: (m) => {
        posted += unbatch(m).length;
        port1.postMessage(m);
      },
      // As the worker's main.ts: runs of serialized replies packed into one string.
      pack: packReplies,
      failed: () => undefined,
    });
    const server = new WorkerServer({
      ctx, post: (m) => out.push(m), flush: () => out.flush(), logger: nullLogger,
      onTrigger: () => undefined, close: () => Promise.resolve(), exit: () => undefined, testHooks: false,
    });
    return {
      send: (msgs) => server.receive(msgs.length === 1 ? msgs[0] : { type: "batch", messages: msgs }),
      received, decrypting, listedAfter: () => listedAfter,
    };
  }

  const get = (id: number, k: string): MainToWorker => ({ type: "request", id, method: "keys.get", params: { atSign: ATSIGN, key: k } });

  async function until(pred: () => boolean, what: string): Promise<void> {
    for (let i = 0; !pred(); i++) {
      if (i > 2000) throw new Error(`timed out waiting for ${what}`);
      await turn();
    }
  }

  it("answers a batch of gets in one message, in order, each with its own result or error", async () => {
    const s = serve();
    s.send([get(1, key(0)), get(2, key(1)), get(3, `nothere.app${ATSIGN}`), get(4, key(2)), { type: "request", id: 5, method: "keys.get", params: { atSign: ATSIGN } }]);
    await until(() => s.received.length > 0, "the replies");
    await turn();
    expect(s.received, "one message").to.have.length(1);
    const replies = s.received[0] as Reply[];
    expect(replies.map((r) => r.id)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(JSON.parse(replies[0]?.json ?? "")).to.deep.equal({ key: key(0), value: "plain0", metadata: { isEncrypted: true, ivNonce: "n" } });
    expect(JSON.parse(replies[3]?.json ?? "").value).to.equal("plain2");
    expect(replies[2]?.error?.code).to.equal(ErrorCode.KeyNotFound);
    expect(replies[4]?.error?.code).to.equal(ErrorCode.InvalidParams);
  });

  it("a read still decrypting holds back no reply finished before it; those after it wait their turn (serial inbox)", async () => {
    const s = serve();
    s.send([get(1, key(0)), get(2, key(7)), get(3, key(1))]);
    await until(() => s.received.length > 0, "the first reply");
    expect(s.received.flat().map((r) => (r as Reply).id)).to.deep.equal([1]);
    await until(() => s.decrypting.has(key(7)), "the decrypt");
    s.decrypting.get(key(7))?.("plain7");
    await until(() => s.received.flat().length === 3, "the rest");
    expect(s.received.flat().map((r) => (r as Reply).id)).to.deep.equal([1, 2, 3]);
    expect(JSON.parse((s.received.flat()[1] as Reply).json ?? "").value).to.equal("plain7");
  });

  it("sends what was answered before a request that may take long, before running it", async () => {
    const s = serve();
    s.send([get(1, key(0)), get(2, key(1)), { type: "request", id: 3, method: "keys.list", params: { atSign: ATSIGN } }, get(4, key(2))]);
    await until(() => s.received.flat().length === 4, "the replies");
    expect(s.listedAfter(), "replies posted to main when the listing ran").to.equal(2);
    expect(s.received.map((m) => m.map((r) => (r as Reply).id))).to.deep.equal([[1, 2], [3, 4]]);
  });

  it("a cancel in the same batch as its request answers it RequestCancelled, and the others as usual", async () => {
    const s = serve();
    s.send([get(1, key(7)), get(2, key(8)), { type: "cancel", id: 2 }, get(3, key(0))]);
    await until(() => s.decrypting.has(key(7)), "the first decrypt");
    s.decrypting.get(key(7))?.("plain7");
    await until(() => s.received.flat().length === 3, "the replies");
    const replies = s.received.flat() as Reply[];
    expect(replies.map((r) => r.id)).to.deep.equal([1, 2, 3]);
    expect(replies[1]?.error?.code).to.equal(ErrorCode.RequestCancelled);
    expect(JSON.parse(replies[2]?.json ?? "").value).to.equal("plain0");
  });
});
