import { expect } from "chai";
import { spawn } from "node:child_process";
import { chmodSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { AtsyncClient, NOT_RUNNING_MESSAGE } from "../../client/index.js";
import { EventHub } from "../../daemon/rpc/EventHub.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { serveEvents } from "../../daemon/rpc/serveEvents.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { AtsyncEvent } from "../../shared/events.js";
import { KeysDelete, KeysGet, KeysList, KeysPut, StatusGet, SyncNow } from "../../shared/methods.js";
import { MAX_FRAME_BYTES } from "../../shared/protocol.js";
import type { SyncStatus } from "../../shared/status.js";
import type * as T from "../../shared/types.js";
import { tempDir, waitFor } from "../rpc/helpers.js";
import { syncStatus } from "../support/statusFixture.js";

const clock = new SystemClock();

const status = (atSign: string): SyncStatus => syncStatus({ atSign });

/** A daemon stand-in: the real RpcServer and EventHub with handlers over a Map. */
async function startDaemon(socketPath: string, hub: EventHub, version = "t") {
  const server = await RpcServer.listen({ clock, socketPath, daemonVersion: version });
  const store = new Map<string, string>();
  const aborts: unknown[] = [];
  server.handle(KeysPut, (p) => {
    store.set(p.key, p.value);
    hub.publish({ kind: "key.changed", atSign: p.atSign, key: p.key, origin: "local", op: "update" });
    return { key: p.key };
  });
  server.handle(KeysGet, (p) => {
    const value = store.get(p.key);
    if (value === undefined) throw new AtsyncError(ErrorCode.KeyNotFound, `${p.key} not found`);
    return { key: p.key, value, metadata: { isEncrypted: true } };
  });
  server.handle(KeysDelete, (p) => {
    store.delete(p.key);
    return { key: p.key };
  });
  const listed: T.KeysListParams[] = [];
  // Pages as the worker does, with the index of the next key as its cursor.
  server.handle(KeysList, (p) => {
    listed.push(p);
    const all = [...store.keys()].filter((k) => k.endsWith(p.atSign)).sort();
    const from = p.cursor === undefined ? 0 : Number(p.cursor);
    const to = from + (p.limit ?? 1000);
    return { keys: all.slice(from, to), nextCursor: to < all.length ? String(to) : null };
  });
  server.handle(StatusGet, (p) => [status(p.atSign ?? "@alice🛠")]);
  server.handle(SyncNow, (_p, ctx) => new Promise((_resolve, reject) => {
    ctx.signal.addEventListener("abort", () => {
      aborts.push(ctx.signal.reason);
      reject(ctx.signal.reason);
    });
  }));
  const events = serveEvents(server, hub);
  return {
    server, store, aborts, listed,
    async stop() {
      events.dispose();
      await server.close();
    },
  };
}

async function collect(stream: AsyncIterator<AtsyncEvent>, n: number): Promise<AtsyncEvent[]> {
  const out: AtsyncEvent[] = [];
  while (out.length < n) {
    const r = await stream.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe("AtsyncClient", () => {
  let tmp: ReturnType<typeof tempDir>;
  let socketPath: string;
  let hub: EventHub;
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  const clients: AtsyncClient[] = [];

  before(async () => {
    tmp = tempDir("atsyncd-client-");
    socketPath = join(tmp.dir, "atsyncd.sock");
    hub = new EventHub({ clock, snapshot: () => [status("@alice🛠")], epoch: "E1" });
    daemon = await startDaemon(socketPath, hub, "1.2.3");
  });
  after(async () => {
    for (const c of clients) await c.close();
    await daemon.stop();
    tmp.remove();
  });

  async function connect(): Promise<AtsyncClient> {
    const c = await AtsyncClient.connect({ socketPath, clientName: "test" });
    clients.push(c);
    return c;
  }

  it("connects, shakes hands and makes typed calls", async () => {
    const c = await connect();
    expect(c.daemonVersion).to.equal("1.2.3");
    expect(await c.put("@alice🛠", "phone.wavi@alice🛠", "123")).to.deep.equal({ key: "phone.wavi@alice🛠" });
    expect(await c.get("@alice🛠", "phone.wavi@alice🛠")).to.deep.equal({ key: "phone.wavi@alice🛠", value: "123", metadata: { isEncrypted: true } });
    expect(await c.list("@alice🛠")).to.deep.equal(["phone.wavi@alice🛠"]);
    expect((await c.status("@alice🛠"))[0]?.state.kind).to.equal("online");
    expect(await c.call(KeysDelete, { atSign: "@alice🛠", key: "phone.wavi@alice🛠" })).to.deep.equal({ key: "phone.wavi@alice🛠" });
  });

  it("listPages follows each page's cursor with the same query; list() is every page; a break asks no more", async () => {
    const c = await connect();
    const keys = ["k1", "k2", "k3", "k4", "k5"].map((k) => `${k}.wavi@carol`);
    for (const k of keys) await c.put("@carol", k, "v");
    daemon.listed.length = 0;
    const pages: string[][] = [];
    for await (const page of c.listPages("@carol", { namespace: "wavi", limit: 2 })) pages.push(page);
    expect(pages).to.deep.equal([keys.slice(0, 2), keys.slice(2, 4), keys.slice(4)]);
    expect(daemon.listed).to.deep.equal([
      { atSign: "@carol", namespace: "wavi", limit: 2 },
      { atSign: "@carol", namespace: "wavi", limit: 2, cursor: "2" },
      { atSign: "@carol", namespace: "wavi", limit: 2, cursor: "4" },
    ]);
    expect(await c.list("@carol", { limit: 2 })).to.deep.equal(keys);
    daemon.listed.length = 0;
    for await (const page of c.listPages("@carol", { limit: 1 })) {
      expect(page).to.deep.equal([keys[0]]);
      break;
    }
    expect(daemon.listed).to.have.length(1);
  });

  it("rejects with the daemon's error as an AtsyncError carrying its code", async () => {
    const c = await connect();
    const e1 = await c.get("@alice🛠", "nothing.wavi@alice🛠").catch((e: unknown) => e);
    expect(AtsyncError.is(e1, ErrorCode.KeyNotFound)).to.equal(true);
    expect(e1).to.be.instanceOf(AtsyncError);
    const e2 = await c.put("@alice🛠", "x.wavi@bob", "v").catch((e: unknown) => e);
    expect(AtsyncError.is(e2, ErrorCode.InvalidAtKey)).to.equal(true);
  });

  it("cancels with an AbortSignal: rejects at once and aborts the handler", async () => {
    const c = await connect();
    const ac = new AbortController();
    const p = c.syncNow({ wait: true }, { signal: ac.signal });
    await waitFor(() => c.connected, "connected");
    const before = daemon.aborts.length;
    ac.abort();
    const e = await p.catch((err: unknown) => err);
    expect(AtsyncError.is(e, ErrorCode.RequestCancelled)).to.equal(true);
    await waitFor(() => daemon.aborts.length === before + 1, "handler aborted");
    expect(AtsyncError.is(daemon.aborts.at(-1), ErrorCode.RequestCancelled)).to.equal(true);
    const pre = await c.syncNow({}, { signal: AbortSignal.abort() }).catch((err: unknown) => err);
    expect(AtsyncError.is(pre, ErrorCode.RequestCancelled)).to.equal(true);
  });

  it("accepts an injected transport", async () => {
    let made = 0;
    const c = await AtsyncClient.connect({ socketPath: "/nonexistent/unused.sock", connect: () => (made++, createConnection({ path: socketPath })) });
    clients.push(c);
    expect(made).to.equal(1);
    expect((await c.status())[0]?.atSign).to.equal("@alice🛠");
  });

  it("finds the socket from ATSYNCD_SOCKET when none is given", async () => {
    const old = process.env.ATSYNCD_SOCKET;
    process.env.ATSYNCD_SOCKET = socketPath;
    try {
      const c = await AtsyncClient.connect();
      clients.push(c);
      expect(c.socketPath).to.equal(socketPath);
    } finally {
      if (old === undefined) delete process.env.ATSYNCD_SOCKET;
      else process.env.ATSYNCD_SOCKET = old;
    }
  });

  it("says the daemon is not running when there is no socket, or a stale one", async () => {
    const e = await AtsyncClient.connect({ socketPath: join(tmp.dir, "absent.sock") }).catch((err: unknown) => err);
    expect(AtsyncError.is(e, ErrorCode.DaemonNotRunning)).to.equal(true);
    expect((e as Error).message).to.equal("atsyncd is not running: start it with `atsyncd run` (or `systemctl --user start atsyncd`)");
    expect((e as Error).message).to.equal(NOT_RUNNING_MESSAGE);

    const stale = join(tmp.dir, "stale.sock");
    const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(stale)}, () => process.stdout.write("up"))`]);
    await new Promise((r) => child.stdout.once("data", r));
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const e2 = await AtsyncClient.connect({ socketPath: stale }).catch((err: unknown) => err);
    expect(AtsyncError.is(e2, ErrorCode.DaemonNotRunning)).to.equal(true);
  });

  it("says so when the socket is not ours to use", async function () {
    if (process.getuid?.() === 0) {
      process.stdout.write("      (skipped: running as root, which bypasses socket permissions)\n");
      this.skip();
    }
    const path = join(tmp.dir, "locked.sock");
    const d = await startDaemon(path, new EventHub({ clock, snapshot: () => [] }));
    try {
      chmodSync(path, 0o000);
      const e = await AtsyncClient.connect({ socketPath: path }).catch((err: unknown) => err);
      expect(AtsyncError.is(e, ErrorCode.SocketPermissionDenied)).to.equal(true);
      expect((e as Error).message).to.include(`no permission to use the atsyncd socket ${path}`);
    } finally {
      await d.stop();
    }
  });

  it("rejects every pending call with ConnectionClosed when the connection drops, then reconnects", async () => {
    const path = join(tmp.dir, "drop.sock");
    const h = new EventHub({ clock, snapshot: () => [] });
    let d = await startDaemon(path, h);
    const c = await AtsyncClient.connect({ socketPath: path });
    clients.push(c);
    const pending = [c.syncNow({}), c.syncNow({ wait: true })];
    await waitFor(() => d.server.connectionCount === 1, "connected");
    await d.stop();
    const errors = await Promise.all(pending.map((p) => p.catch((e: unknown) => e)));
    for (const e of errors) expect(AtsyncError.is(e, ErrorCode.ConnectionClosed), String(e)).to.equal(true);
    const down = await c.status().catch((e: unknown) => e);
    expect(AtsyncError.is(down, ErrorCode.DaemonNotRunning)).to.equal(true);
    d = await startDaemon(path, h);
    try {
      expect((await c.status())[0]?.atSign).to.equal("@alice🛠");
    } finally {
      await d.stop();
    }
  });

  it("app A puts, app B subscribed receives the event; break unsubscribes", async () => {
    const a = await connect();
    const b = await connect();
    const stream = b.subscribe({ atSigns: ["@alice🛠"], kinds: ["key.changed"] });
    const [snap] = await collect(stream, 1);
    expect(snap).to.deep.include({ kind: "snapshot", resync: false });
    const subs = hub.subscriberCount;
    await a.put("@alice🛠", "shared.wavi@alice🛠", "hello");
    await a.put("@bob🛠", "ignored.wavi@bob🛠", "x");
    for await (const ev of stream) {
      expect(ev).to.deep.include({ kind: "key.changed", atSign: "@alice🛠", key: "shared.wavi@alice🛠", origin: "local" });
      break;
    }
    await waitFor(() => hub.subscriberCount === subs - 1, "unsubscribed on break");
  });

  it("refuses a bad filter at once", () => {
    const c = clients[0] as AtsyncClient;
    expect(() => c.subscribe({ regex: "(" })).to.throw(AtsyncError).with.property("code", ErrorCode.InvalidRegex);
  });

  it("reconnects and resubscribes from the last seq; a restarted daemon gives a resync snapshot", async () => {
    const path = join(tmp.dir, "resub.sock");
    const h = new EventHub({ clock, snapshot: () => [status("@alice🛠")], epoch: "first" });
    let d = await startDaemon(path, h);
    const c = await AtsyncClient.connect({ socketPath: path });
    clients.push(c);
    const stream = c.subscribe({}, { minRetryMs: 5, maxRetryMs: 20 });
    const pub = (k: string) => h.publish({ kind: "key.changed", atSign: "@alice🛠", key: k, origin: "remote", op: "update" });
    const first = await collect(stream, 1);
    pub("one.wavi@alice🛠");
    first.push(...(await collect(stream, 1)));
    expect(first.map((e) => e.kind)).to.deep.equal(["snapshot", "key.changed"]);
    expect(stream.lastSeq).to.equal(1);

    // The daemon goes away; events published meanwhile are still in the hub's ring.
    await d.stop();
    pub("two.wavi@alice🛠");
    pub("three.wavi@alice🛠");
    d = await startDaemon(path, h);
    const resumed = await collect(stream, 2);
    expect(resumed.map((e) => e.kind === "key.changed" && e.key)).to.deep.equal(["two.wavi@alice🛠", "three.wavi@alice🛠"]);
    expect(resumed.map((e) => e.seq)).to.deep.equal([2, 3]);
    expect(stream.subscribeCount).to.equal(2);

    // A new daemon run: new hub, new epoch; the stream gets a resync snapshot and carries on.
    await d.stop();
    const h2 = new EventHub({ clock, snapshot: () => [status("@alice🛠")], epoch: "second" });
    d = await startDaemon(path, h2);
    try {
      const [snap] = await collect(stream, 1);
      expect(snap).to.deep.include({ kind: "snapshot", resync: true });
      expect(stream.epoch).to.equal("second");
      h2.publish({ kind: "sync.started", atSign: "@alice🛠" });
      const [next] = await collect(stream, 1);
      expect(next).to.deep.include({ kind: "sync.started", seq: 1 });
    } finally {
      await stream.close();
      await d.stop();
    }
  });

  it("ends streams and fails calls after close()", async () => {
    const c = await AtsyncClient.connect({ socketPath });
    const stream = c.subscribe({});
    await collect(stream, 1);
    await c.close();
    expect((await stream.next()).done).to.equal(true);
    const e = await c.status().catch((err: unknown) => err);
    expect(AtsyncError.is(e, ErrorCode.ConnectionClosed)).to.equal(true);
  });

  it("fails a stream whose reader falls too far behind, after what it buffered", async () => {
    const c = await connect();
    const stream = c.subscribe({ kinds: ["sync.started"] }, { maxBuffered: 5 });
    await collect(stream, 1);
    for (let i = 0; i < 10; i++) hub.publish({ kind: "sync.started", atSign: "@alice🛠" });
    await stream.closed;
    const got = [];
    let err: unknown;
    try {
      for await (const e of stream) got.push(e);
    } catch (e) {
      err = e;
    }
    expect(got).to.have.length(6);
    expect(AtsyncError.is(err, ErrorCode.SlowConsumer)).to.equal(true);
  });

  it("ends a stream when its signal aborts, unsubscribing", async () => {
    const c = await connect();
    const ac = new AbortController();
    const before = hub.subscriberCount;
    const stream = c.subscribe({}, { signal: ac.signal });
    await collect(stream, 1);
    expect(hub.subscriberCount).to.equal(before + 1);
    ac.abort();
    expect((await stream.next()).done).to.equal(true);
    await waitFor(() => hub.subscriberCount === before, "unsubscribed");
  });

  it("rejects the call whose frame the daemon refused as too large with FrameTooLarge; the connection goes on", async () => {
    const path = join(tmp.dir, "small.sock");
    const small = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t", frameLimits: { maxBytes: 4096 } });
    small.handle(KeysPut, (p) => ({ key: p.key }));
    try {
      const c = await AtsyncClient.connect({ socketPath: path });
      clients.push(c);
      const [e, ok] = await Promise.all([
        c.put("@alice🛠", "big.wavi@alice🛠", "🛠".repeat(2000)).catch((err: unknown) => err),
        c.put("@alice🛠", "small.wavi@alice🛠", "ok"),
      ]);
      expect(AtsyncError.is(e, ErrorCode.FrameTooLarge), String(e)).to.equal(true);
      expect(ok).to.deep.equal({ key: "small.wavi@alice🛠" });
      expect(c.connected).to.equal(true);
    } finally {
      await small.close();
    }
  });

  it("refuses a request larger than MAX_FRAME_BYTES itself, sending nothing of it", async () => {
    const c = await connect();
    // The daemon's own refusal would read "frame larger than …": this one is the client's.
    const e = await c.put("@alice🛠", "huge.wavi@alice🛠", "x".repeat(MAX_FRAME_BYTES)).catch((err: unknown) => err);
    expect(AtsyncError.is(e, ErrorCode.FrameTooLarge), String(e)).to.equal(true);
    expect((e as Error).message).to.match(/^keys\.put would be a \d+-byte frame, more than the 16777216 a request may have; nothing was sent$/u);
    expect(c.connected).to.equal(true);
    expect(await c.status()).to.be.an("array");
  });
});
