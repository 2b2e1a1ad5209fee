import { expect } from "chai";
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { EventHub } from "../../daemon/rpc/EventHub.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { serveEvents } from "../../daemon/rpc/serveEvents.js";
import type { Disposable } from "../../daemon/ports.js";
import { KeysGet, SyncNow } from "../../shared/methods.js";
import { PROTOCOL_VERSION } from "../../shared/protocol.js";
import { RawClient, readyClients, tempDir, waitFor } from "./helpers.js";

const clock = new SystemClock();

const ALICE = "@alice🛠";

function openRaw(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

function writeAndDrain(s: Socket, b: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(b, (err) => (err ? reject(err) : resolve())));
}

describe("RpcServer robustness on real sockets", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RpcServer;
  let hub: EventHub;
  let events: Disposable;
  let socketPath: string;
  const clients: RawClient[] = [];
  let slowStarted = 0;
  let slowAborted = 0;
  const releases: (() => void)[] = [];

  before(async () => {
    tmp = tempDir();
    socketPath = join(tmp.dir, "rpc.sock");
    server = await RpcServer.listen({ clock, socketPath, daemonVersion: "t" });
    server.handle(KeysGet, (p) => ({ key: p.key, value: `v:${p.key}`, metadata: {} }));
    server.handle(SyncNow, (_p, ctx) => new Promise((resolve, reject) => {
      slowStarted++;
      releases.push(() => resolve({ statuses: [] }));
      ctx.signal.addEventListener("abort", () => {
        slowAborted++;
        reject(ctx.signal.reason);
      });
    }));
    hub = new EventHub({ clock, snapshot: () => [] });
    events = serveEvents(server, hub);
  });
  after(async () => {
    for (const c of clients) c.close();
    events.dispose();
    await server.close();
    tmp.remove();
  });

  const client = readyClients(() => socketPath, clients);

  it("reassembles requests written one byte at a time, emoji included, and several frames in one write", async () => {
    const c = await client();
    const key = `phone.wavi${ALICE}`;
    const one = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: "b1", method: "keys.get", params: { atSign: ALICE, key } }) + "\n");
    for (let i = 0; i < one.length; i++) await writeAndDrain(c.socket, one.subarray(i, i + 1));
    expect((await c.reply("b1")).result).to.deep.equal({ key, value: `v:${key}`, metadata: {} });
    const many = Array.from({ length: 5 }, (_, i) => JSON.stringify({ jsonrpc: "2.0", id: `m${i}`, method: "keys.get", params: { atSign: ALICE, key } })).join("\n") + "\n";
    c.socket.write(many);
    for (let i = 0; i < 5; i++) expect((await c.reply(`m${i}`)).result).to.deep.equal({ key, value: `v:${key}`, metadata: {} });
  });

  it("a client flooding tiny bad frames without reading its replies stalls nobody and is held to a bound", async function () {
    this.timeout(30_000);
    // Another process, as an app would be: 20 MB of two-byte frames, each an error reply of ~90
    // bytes and ~8 µs (JSON.parse's SyntaxError). Handled a whole read at a time, one read's
    // frames blocked the event loop for seconds and its replies took 50 times its bytes.
    const base = server.connectionCount;
    const flood = spawn(process.execPath, ["-e", `
      const s = require("node:net").connect(${JSON.stringify(socketPath)});
      s.pause();
      const chunk = Buffer.from(" \\n".repeat(32 * 1024));
      s.on("connect", () => { for (let i = 0; i < 300; i++) s.write(chunk); });
      s.on("error", () => {});
    `], { stdio: "ignore" });
    const c = await client();
    await waitFor(() => server.connectionCount === base + 2, "the flood connected", 10_000);
    try {
      const key = `phone.wavi${ALICE}`;
      let worstGap = 0;
      let worstBuffered = 0;
      let last = Date.now();
      const until = Date.now() + 3000;
      let n = 0;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 5));
        worstGap = Math.max(worstGap, Date.now() - last);
        last = Date.now();
        for (const conn of (server as unknown as { connections: Set<{ bufferedBytes: number }> }).connections) {
          worstBuffered = Math.max(worstBuffered, conn.bufferedBytes);
        }
        if (n % 20 === 0) expect((await c.request(`f${n}`, "keys.get", { atSign: ALICE, key })).result).to.deep.equal({ key, value: `v:${key}`, metadata: {} });
        n++;
      }
      expect(worstGap, "longest event-loop turn, ms").to.be.below(500);
      expect(worstBuffered, "most replies held for one connection, bytes").to.be.below(4 * 1024 * 1024);
    } finally {
      flood.kill();
    }
    // Its replies stuck, the flood's connection closes when the write fails on the gone peer.
    await waitFor(() => server.connectionCount === base + 1, "the flood's connection closed");
  });

  it("forgets a connection that sent half a frame and closed", async () => {
    const before = server.connectionCount;
    const s = await openRaw(socketPath);
    await waitFor(() => server.connectionCount === before + 1, "accepted");
    await writeAndDrain(s, Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"rpc.hello","params":{"protocolVersion":${PROTOCOL_VERSION},"client":"${ALICE.slice(0, 7)}`));
    s.destroy();
    await waitFor(() => server.connectionCount === before, "connection forgotten");
  });

  it("aborts every in-flight handler of a dropped connection and writes nothing after", async () => {
    const c = await client();
    const started = slowStarted;
    const aborted = slowAborted;
    for (let i = 0; i < 3; i++) c.send({ jsonrpc: "2.0", id: `s${i}`, method: "sync.now", params: {} });
    await waitFor(() => slowStarted === started + 3, "handlers started");
    const before = server.connectionCount;
    c.close();
    await waitFor(() => slowAborted === aborted + 3, "all aborted");
    await waitFor(() => server.connectionCount === before - 1, "connection forgotten");
  });

  it("opens and closes 1,000 connections without leaking handles", async function () {
    this.timeout(60_000);
    // Sockets only: fs requests and timers of the test runner come and go on their own.
    const count = (): number => process.getActiveResourcesInfo().filter((r) => /Pipe/.test(r)).length;
    const baseline = count();
    const base = server.connectionCount;
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => openRaw(socketPath)));
      await waitFor(() => server.connectionCount === base + 100, "accepted");
      for (const s of batch) s.destroy();
      await waitFor(() => server.connectionCount === base, "all closed");
    }
    await waitFor(() => count() <= baseline, `resources back to ${baseline}`).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${process.getActiveResourcesInfo().join(",")}`);
    });
  });

  it("an event published while a subscriber's socket closes goes nowhere and breaks nothing", async () => {
    const a = await client();
    const b = await client();
    for (const c of [a, b]) await c.request("sub", "events.subscribe", {});
    await waitFor(() => hub.subscriberCount === 2, "subscribed");
    a.socket.destroy();
    hub.publish({ kind: "key.changed", atSign: ALICE, key: `x${ALICE}`, origin: "local", op: "update" });
    await waitFor(() => hub.subscriberCount === 1, "closed subscriber dropped");
    hub.publish({ kind: "key.changed", atSign: ALICE, key: `y${ALICE}`, origin: "local", op: "update" });
    await waitFor(() => b.notifications("events.event").length === 3, "snapshot + 2 deltas");
    expect(b.notifications("events.event").map((f) => (f.params as { event: { kind: string } }).event.kind))
      .to.deep.equal(["snapshot", "key.changed", "key.changed"]);
  });

  after(() => {
    for (const r of releases) r();
  });
});
