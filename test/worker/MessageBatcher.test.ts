// The messages one side of a worker's port posts in a turn leave together, in order, at its end;
// a lone one leaves as it is; one that cannot be cloned fails alone while the others go.
import { expect } from "chai";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { MAX_BATCH_MESSAGES, MessageBatcher } from "../../daemon/worker/MessageBatcher.js";
import { packReplies, unbatch, type WorkerToMain } from "../../daemon/worker/protocol.js";

type Msg = { type: string; id: number; params?: unknown };
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("MessageBatcher", () => {
  let ports: MessagePort[] = [];
  afterEach(() => {
    for (const p of ports) p.close();
    ports = [];
  });

  /** A batcher over a real MessagePort (structured clone and all), and what the other end received, one entry per postMessage. */
  function over(): { b: MessageBatcher<Msg>; received: unknown[]; failed: Array<{ msg: Msg; err: unknown }> } {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const received: unknown[] = [];
    port2.on("message", (m: unknown) => received.push(m));
    const failed: Array<{ msg: Msg; err: unknown }> = [];
    const b = new MessageBatcher<Msg>({ post: (m) => port1.postMessage(m), failed: (msg, err) => failed.push({ msg, err }) });
    return { b, received, failed };
  }

  async function until(pred: () => boolean): Promise<void> {
    for (let i = 0; !pred(); i++) {
      if (i > 1000) throw new Error("timed out");
      await turn();
    }
  }

  it("posts what a turn pushed as one batch at its end, in the order pushed", async () => {
    const { b, received } = over();
    for (let id = 1; id <= 5; id++) b.push({ type: "request", id });
    expect(b.size).to.equal(5);
    await until(() => received.length > 0);
    await turn();
    expect(received).to.have.length(1);
    expect(unbatch(received[0]).map((m) => (m as Msg).id)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(b.size).to.equal(0);
  });

  it("posts a lone message as it is, and each turn's messages apart", async () => {
    const { b, received } = over();
    b.push({ type: "request", id: 1 });
    await until(() => received.length === 1);
    b.push({ type: "request", id: 2 });
    b.push({ type: "cancel", id: 2 });
    await until(() => received.length === 2);
    expect(received[0]).to.deep.equal({ type: "request", id: 1 });
    expect(received[1]).to.deep.equal({ type: "batch", messages: [{ type: "request", id: 2 }, { type: "cancel", id: 2 }] });
  });

  it("flush() posts at once; a full batch posts without waiting for the turn to end", async () => {
    const { b, received } = over();
    b.push({ type: "request", id: 1 });
    b.flush();
    for (let id = 0; id < MAX_BATCH_MESSAGES; id++) b.push({ type: "request", id: 100 + id });
    expect(b.size, "posted as it filled").to.equal(0);
    b.flush(); // nothing left: no empty post
    await until(() => received.length === 2);
    await turn();
    expect(received).to.have.length(2);
    expect(unbatch(received[1])).to.have.length(MAX_BATCH_MESSAGES);
  });

  it("a message that cannot be cloned fails alone; the others of its batch still go, in order", async () => {
    const { b, received, failed } = over();
    b.push({ type: "request", id: 1 });
    b.push({ type: "request", id: 2, params: { fn: () => 1 } });
    b.push({ type: "request", id: 3 });
    await until(() => received.length === 2);
    await turn();
    expect(received.map((m) => (m as Msg).id)).to.deep.equal([1, 3]);
    expect(failed.map((f) => f.msg.id)).to.deep.equal([2]);
    expect(String(failed[0]?.err)).to.match(/could not be cloned/);
  });

  it("packs runs of serialized replies into one string, and unbatch gives back every message in order", () => {
    const json = JSON.stringify({ key: "k\n.app@alice🛠", value: "a b\u2028c" });
    const msgs: WorkerToMain[] = [
      { type: "reply", id: 1, json },
      { type: "reply", id: 2, json: "null" },
      { type: "event", event: { kind: "key.changed", atSign: "@alice", key: "k", origin: "local", op: "update" } } as WorkerToMain,
      { type: "reply", id: 3, error: { code: 3001, message: "no such key" } },
      { type: "reply", id: 4, json: "[1,2]" },
    ];
    const packed = packReplies(msgs);
    expect(packed.map((m) => m.type)).to.deep.equal(["replies", "event", "reply", "replies"]);
    expect(unbatch({ type: "batch", messages: packed })).to.deep.equal(msgs);
    expect(unbatch(packed[0])).to.deep.equal(msgs.slice(0, 2));
    // A malformed line stands for one bad reply (refused alone by parseWorkerToMain), not for the others.
    expect(unbatch({ type: "replies", text: "x {}\n5 true\n" })).to.deep.equal([{ type: "reply", id: -1 }, { type: "reply", id: 5, json: "true" }]);
    expect(() => unbatch({ type: "replies", text: 1 })).to.throw(/string `text`/);
  });

  it("unbatch refuses a batch without a list, or holding a batch", () => {
    expect(() => unbatch({ type: "batch" })).to.throw(/array `messages`/);
    expect(() => unbatch({ type: "batch", messages: [{ type: "batch", messages: [] }] })).to.throw(/may not hold a batch/);
    expect(unbatch({ type: "ready" })).to.deep.equal([{ type: "ready" }]);
  });
});
