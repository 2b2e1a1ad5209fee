import { expect } from "chai";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { EventHub, type EventSink } from "../../daemon/rpc/EventHub.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { serveEvents } from "../../daemon/rpc/serveEvents.js";
import type { Disposable } from "../../daemon/ports.js";
import { ErrorCode } from "../../shared/errors.js";
import type { AtsyncEvent, EventInput } from "../../shared/events.js";
import type { SyncStatus } from "../../shared/status.js";
import { RawClient, readyClients, tempDir, waitFor, type Frame } from "./helpers.js";
import { syncStatus } from "../support/statusFixture.js";

const clock = new SystemClock();

function status(atSign: string): SyncStatus {
  return syncStatus({ atSign, lastReceivedCommitId: 3, serverCommitId: 3 });
}

const changed = (atSign: string, key: string): EventInput => ({ kind: "key.changed", atSign, key, origin: "local", op: "update" });

function events(c: RawClient, subscriptionId?: string): AtsyncEvent[] {
  return c.notifications("events.event")
    .map((f) => f.params as { subscriptionId: string; event: AtsyncEvent })
    .filter((p) => subscriptionId === undefined || p.subscriptionId === subscriptionId)
    .map((p) => p.event);
}

describe("EventHub over RPC", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RpcServer;
  let hub: EventHub;
  let served: Disposable;
  let socketPath: string;
  const clients: RawClient[] = [];

  before(async () => {
    tmp = tempDir();
    socketPath = join(tmp.dir, "ev.sock");
    server = await RpcServer.listen({ clock, socketPath, daemonVersion: "t" });
  });
  beforeEach(() => {
    hub = new EventHub({ clock, snapshot: () => [status("@alice🛠"), status("@bob🛠")], capacity: 16, maxBufferedBytes: 256 * 1024, epoch: "E1" });
    served = serveEvents(server, hub);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    served.dispose();
    hub.close();
  });
  after(async () => {
    await server.close();
    tmp.remove();
  });

  const client = readyClients(() => socketPath, clients);

  async function subscribe(c: RawClient, id: number, params: object): Promise<Frame & { result: { subscriptionId: string; epoch: string; seq: number } }> {
    const r = await c.request(id, "events.subscribe", params);
    if (r.error) throw new Error(r.error.message);
    return r as Frame & { result: { subscriptionId: string; epoch: string; seq: number } };
  }

  it("opens with a snapshot, then streams deltas with increasing seq", async () => {
    hub.publish(changed("@alice🛠", "before.wavi@alice🛠"));
    const c = await client();
    const r = await subscribe(c, 1, {});
    expect(r.result).to.deep.equal({ subscriptionId: r.result.subscriptionId, epoch: "E1", seq: 1 });
    hub.publish(changed("@alice🛠", "a.wavi@alice🛠"));
    hub.publish(changed("@bob🛠", "b.wavi@bob🛠"));
    await waitFor(() => events(c).length === 3, "snapshot + 2 deltas");
    const [snap, d1, d2] = events(c);
    expect(snap).to.deep.include({ kind: "snapshot", seq: 1, resync: false });
    expect(snap?.kind === "snapshot" && snap.statuses.map((s) => s.atSign)).to.deep.equal(["@alice🛠", "@bob🛠"]);
    expect([d1?.seq, d2?.seq]).to.deep.equal([2, 3]);
    expect(d1).to.deep.include({ kind: "key.changed", key: "a.wavi@alice🛠", origin: "local", op: "update" });
    expect(typeof d1?.at).to.equal("number");
  });

  it("replays the events after `since` without a snapshot or duplicates", async () => {
    for (let i = 1; i <= 5; i++) hub.publish(changed("@alice🛠", `k${i}.wavi@alice🛠`));
    const c = await client();
    await subscribe(c, 1, { since: 3, epoch: "E1" });
    hub.publish(changed("@alice🛠", "k6.wavi@alice🛠"));
    await waitFor(() => events(c).length === 3, "replay + live");
    expect(events(c).map((e) => e.seq)).to.deep.equal([4, 5, 6]);
    expect(events(c).some((e) => e.kind === "snapshot")).to.equal(false);
  });

  it("sends a resync snapshot when `since` fell out of the buffer", async () => {
    for (let i = 1; i <= 40; i++) hub.publish(changed("@alice🛠", `k${i}.wavi@alice🛠`));
    const c = await client();
    await subscribe(c, 1, { since: 10, epoch: "E1" });
    await waitFor(() => events(c).length === 1, "resync snapshot");
    expect(events(c)[0]).to.deep.include({ kind: "snapshot", resync: true, seq: 40 });
  });

  it("sends a resync snapshot for a since from another epoch (a restarted daemon)", async () => {
    hub.publish(changed("@alice🛠", "k.wavi@alice🛠"));
    hub.publish(changed("@alice🛠", "k.wavi@alice🛠"));
    const c = await client();
    await subscribe(c, 1, { since: 1, epoch: "E0" });
    await waitFor(() => events(c).length === 1, "resync snapshot");
    expect(events(c)[0]).to.deep.include({ kind: "snapshot", resync: true, seq: 2 });
  });

  it("filters by atSign (also narrowing the snapshot), namespace, regex and kind", async () => {
    const c = await client();
    const byAtSign = (await subscribe(c, 1, { atSigns: ["@bob🛠"] })).result.subscriptionId;
    const byNs = (await subscribe(c, 2, { namespaces: ["buzz"], kinds: ["key.changed", "sync.completed"] })).result.subscriptionId;
    const byRegex = (await subscribe(c, 3, { regex: "^phone\\.", kinds: ["key.changed"] })).result.subscriptionId;
    hub.publish(changed("@alice🛠", "phone.wavi@alice🛠"));
    hub.publish(changed("@bob🛠", "chat.buzz@bob🛠"));
    hub.publish({ kind: "sync.completed", atSign: "@alice🛠", counts: { uploaded: 1, downloaded: 0, conflicts: 0, rejected: 0 }, durationMs: 5 });
    hub.publish({ kind: "state.changed", atSign: "@bob🛠", from: "online", to: "syncing", durationMs: 10 });
    await waitFor(() => events(c, byAtSign).length === 3 && events(c, byNs).length === 3 && events(c, byRegex).length === 2, "filtered events");
    const b = events(c, byAtSign);
    expect(b[0]?.kind === "snapshot" && b[0].statuses.map((s) => s.atSign)).to.deep.equal(["@bob🛠"]);
    expect(b.slice(1).map((e) => e.kind)).to.deep.equal(["key.changed", "state.changed"]);
    expect(events(c, byNs).slice(1).map((e) => e.kind)).to.deep.equal(["key.changed", "sync.completed"]);
    expect(events(c, byRegex).slice(1).map((e) => e.kind === "key.changed" && e.key)).to.deep.equal(["phone.wavi@alice🛠"]);
  });

  it("refuses a bad filter with a clear code", async () => {
    const c = await client();
    const r = await c.request(1, "events.subscribe", { regex: "([" });
    expect(r.error?.code).to.equal(ErrorCode.InvalidRegex);
    const r2 = await c.request(2, "events.subscribe", { kinds: ["key.exploded"] });
    expect(r2.error?.code).to.equal(ErrorCode.InvalidParams);
    expect(r2.error?.message).to.include("'kinds[0]'");
  });

  it("unsubscribes only the caller's own subscriptions, and all of them when it disconnects", async () => {
    const a = await client();
    const b = await client();
    const idA = (await subscribe(a, 1, {})).result.subscriptionId;
    await subscribe(b, 1, {});
    expect(hub.subscriberCount).to.equal(2);
    expect((await b.request(2, "events.unsubscribe", { subscriptionId: idA })).result).to.deep.equal({ unsubscribed: false });
    expect((await a.request(2, "events.unsubscribe", { subscriptionId: idA })).result).to.deep.equal({ unsubscribed: true });
    hub.publish(changed("@alice🛠", "x.wavi@alice🛠"));
    await waitFor(() => events(b).length === 2, "b gets the event");
    expect(events(a)).to.have.length(1); // just the snapshot
    b.close();
    await waitFor(() => hub.subscriberCount === 0, "subscription dropped with its connection");
  });

  it("disconnects a subscriber that cannot keep up while a fast one receives everything", async () => {
    const slow = await client();
    const fast = await client();
    await subscribe(slow, 1, {});
    const fastId = (await subscribe(fast, 1, {})).result.subscriptionId;
    slow.socket.pause(); // stops reading: its kernel buffer, then the daemon's, fill up
    const connectionsBefore = server.connectionCount;
    const pad = "x".repeat(2000);
    const total = 2000; // ≈ 4 MB, far beyond the 256 KiB bound plus kernel buffers
    for (let i = 0; i < total; i++) {
      const t0 = process.hrtime.bigint();
      hub.publish(changed("@alice🛠", `k${i}.${pad.slice(0, 100)}@alice🛠`));
      // publish() never waits for a subscriber
      expect(Number(process.hrtime.bigint() - t0) / 1e6).to.be.below(250);
      hub.publish({ kind: "change.rejected", atSign: "@alice🛠", key: `k${i}.wavi@alice🛠`, error: { code: 3003, message: pad } });
      // Give the fast reader a turn now and then: it keeps up, the paused one cannot.
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => events(fast, fastId).length === 1 + 2 * total || fast.closed, "fast subscriber got every event", 15000);
    expect(fast.closed, "fast subscriber was disconnected").to.equal(false);
    const seqs = events(fast, fastId).slice(1).map((e) => e.seq);
    expect(seqs).to.deep.equal(Array.from({ length: 2 * total }, (_, i) => i + 1));
    await waitFor(() => server.connectionCount === connectionsBefore - 1, "slow connection closed");
    expect(hub.subscriberCount).to.equal(1);
  });
});

describe("EventHub (unit)", () => {
  function sink(): EventSink & { got: AtsyncEvent[]; buffered: number; dropped: unknown[] } {
    const s = {
      got: [] as AtsyncEvent[], buffered: 0, dropped: [] as unknown[],
      send(e: AtsyncEvent) { s.got.push(e); },
      get bufferedBytes() { return s.buffered; },
      disconnect(r: unknown) { s.dropped.push(r); },
    };
    return s;
  }

  it("queues events published between subscribe and start, in order, after the opening", () => {
    const hub = new EventHub({ clock, snapshot: () => [], epoch: "E" });
    hub.publish(changed("@a", "x.ns@a"));
    const s = sink();
    const sub = hub.subscribe({ filter: {}, since: 0, epoch: "E" }, s);
    hub.publish(changed("@a", "y.ns@a"));
    expect(s.got).to.have.length(0);
    sub.start();
    expect(s.got.map((e) => e.seq)).to.deep.equal([1, 2]);
    hub.publish(changed("@a", "z.ns@a"));
    expect(s.got.map((e) => e.seq)).to.deep.equal([1, 2, 3]);
  });

  it("keeps a bounded ring: since just inside is served, just outside resyncs", () => {
    const hub = new EventHub({ clock, snapshot: () => [], capacity: 4, epoch: "E" });
    for (let i = 0; i < 10; i++) hub.publish(changed("@a", `k${i}.ns@a`));
    const inside = sink();
    hub.subscribe({ filter: {}, since: 6 }, inside).start(); // oldest kept is 7
    expect(inside.got.map((e) => e.seq)).to.deep.equal([7, 8, 9, 10]);
    const outside = sink();
    hub.subscribe({ filter: {}, since: 5 }, outside).start();
    expect(outside.got).to.have.length(1);
    expect(outside.got[0]).to.deep.include({ kind: "snapshot", resync: true, seq: 10 });
    const future = sink();
    hub.subscribe({ filter: {}, since: 11 }, future).start();
    expect(future.got[0]).to.deep.include({ kind: "snapshot", resync: true });
  });

  it("drops a sink whose buffer passes the bound, and a sink that throws, without disturbing the publisher", () => {
    const hub = new EventHub({ clock, snapshot: () => [], maxBufferedBytes: 100 });
    const slow = sink();
    const broken: EventSink = { send() { throw new Error("socket gone"); }, bufferedBytes: 0, disconnect() {} };
    const ok = sink();
    hub.subscribe({ filter: {} }, slow).start();
    hub.subscribe({ filter: {} }, broken).start();
    hub.subscribe({ filter: {} }, ok).start();
    expect(hub.subscriberCount).to.equal(2); // `broken` failed on its snapshot
    slow.buffered = 101;
    hub.publish(changed("@a", "x.ns@a"));
    expect(slow.dropped).to.have.length(1);
    expect((slow.dropped[0] as { code: number }).code).to.equal(ErrorCode.SlowConsumer);
    expect(hub.subscriberCount).to.equal(1);
    hub.publish(changed("@a", "y.ns@a"));
    expect(ok.got.map((e) => e.seq)).to.deep.equal([0, 1, 2]);
  });
});
