import { expect } from "chai";
import { statSync } from "node:fs";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { KeysGet, KeysPut, StatusGet, SyncNow } from "../../shared/methods.js";
import { MAX_FRAME_DEPTH, PROTOCOL_VERSION } from "../../shared/protocol.js";
import { FakeClock } from "../remote/support/FakeClock.js";
import { RawClient, tempDir, waitFor } from "./helpers.js";

const clock = new SystemClock();

describe("RpcServer", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RpcServer;
  let socketPath: string;
  const clients: RawClient[] = [];
  const store = new Map<string, string>();
  let cancelled: unknown[] = [];
  let releaseSlow: (() => void) | undefined;

  before(async () => {
    tmp = tempDir();
    socketPath = join(tmp.dir, "run", "atsyncd.sock");
    server = await RpcServer.listen({ clock, socketPath, daemonVersion: "9.9.9-test", frameLimits: { maxBytes: 64 * 1024 } });
    server.handle(KeysGet, (p) => {
      const value = store.get(p.key);
      if (value === undefined) throw new AtsyncError(ErrorCode.KeyNotFound, `${p.key} not found`);
      return { key: p.key, value, metadata: {} };
    });
    server.handle(KeysPut, async (p) => {
      await Promise.resolve();
      store.set(p.key, p.value);
      return { key: p.key };
    });
    server.handle(SyncNow, (_p, ctx) => new Promise((resolve, reject) => {
      // Never resolves on its own: only cancellation or the test's release ends it.
      releaseSlow = () => resolve({ statuses: [] });
      ctx.signal.addEventListener("abort", () => {
        cancelled.push(ctx.signal.reason);
        reject(ctx.signal.reason);
      });
    }));
    server.handle(StatusGet, () => {
      throw new Error("boom: secret-ish detail that must not reach the client");
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    tmp.remove();
  });

  async function client(ready = true): Promise<RawClient> {
    const c = ready ? await RawClient.ready(socketPath) : await RawClient.open(socketPath);
    clients.push(c);
    return c;
  }

  it("creates the socket 0600 in a 0700 directory", () => {
    expect(statSync(join(tmp.dir, "run")).mode & 0o777).to.equal(0o700);
    const st = statSync(socketPath);
    expect(st.isSocket()).to.equal(true);
    expect(st.mode & 0o777).to.equal(0o600);
  });

  it("answers rpc.hello with the protocol and daemon versions", async () => {
    const c = await client(false);
    const r = await c.request(1, "rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "t" });
    expect(r.result).to.deep.equal({ protocolVersion: PROTOCOL_VERSION, daemonVersion: "9.9.9-test" });
  });

  it("requires the handshake first", async () => {
    const c = await client(false);
    const r = await c.request(1, "keys.get", { atSign: "@alice", key: "a.b@alice" });
    expect(r.error?.code).to.equal(ErrorCode.HandshakeRequired);
    expect(r.error?.message).to.include("rpc.hello");
  });

  it("refuses a protocol mismatch clearly and closes", async () => {
    const c = await client(false);
    const r = await c.request(1, "rpc.hello", { protocolVersion: PROTOCOL_VERSION + 1, client: "future" });
    expect(r.error?.code).to.equal(ErrorCode.ProtocolVersionMismatch);
    expect(r.error?.message).to.match(/client speaks atsyncd protocol \d+, this daemon \(9\.9\.9-test\) speaks \d+/);
    await waitFor(() => c.closed, "close after mismatch");
  });

  it("dispatches to handlers, sync and async, with emoji atSigns intact", async () => {
    const c = await client();
    const put = await c.request(1, "keys.put", { atSign: "@alice🛠", key: "phone.wavi@alice🛠", value: "☎ 123" });
    expect(put.result).to.deep.equal({ key: "phone.wavi@alice🛠" });
    const get = await c.request(2, "keys.get", { atSign: "@alice🛠", key: "phone.wavi@alice🛠" });
    expect(get.result).to.deep.equal({ key: "phone.wavi@alice🛠", value: "☎ 123", metadata: {} });
  });

  it("passes AtsyncError codes through", async () => {
    const c = await client();
    const r = await c.request("x", "keys.get", { atSign: "@alice", key: "missing.wavi@alice" });
    expect(r.error).to.deep.equal({ code: ErrorCode.KeyNotFound, message: "missing.wavi@alice not found" });
  });

  it("answers Internal without the thrown message or a stack", async () => {
    const c = await client();
    const r = await c.request(1, "status.get", {});
    expect(r.error?.code).to.equal(ErrorCode.Internal);
    expect(r.error?.message).to.equal("internal error in status.get");
    expect(JSON.stringify(r)).not.to.include("boom");
  });

  describe("bad input: each gets an error and the connection stays up", () => {
    let c: RawClient;
    before(async () => {
      c = await client();
    });
    afterEach(async () => {
      // The same connection still works after every bad frame.
      const id = `after-${Math.random()}`;
      const ok = await c.request(id, "keys.get", { atSign: "@alice🛠", key: "phone.wavi@alice🛠" });
      expect(ok.result).to.have.property("value", "☎ 123");
    });

    it("malformed JSON → ParseError with a null id", async () => {
      const before = c.frames.length;
      c.sendLine("{not json");
      await waitFor(() => c.frames.length > before, "parse error reply");
      expect(c.frames[before]).to.deep.include({ jsonrpc: "2.0", id: null });
      expect(c.frames[before]?.error?.code).to.equal(ErrorCode.ParseError);
    });

    it("not an object, wrong jsonrpc, no method, batch → InvalidRequest", async () => {
      const before = c.frames.length;
      c.sendLine("42");
      c.send({ jsonrpc: "1.0", id: 7, method: "keys.get" });
      c.send({ jsonrpc: "2.0", id: 8 });
      c.send([{ jsonrpc: "2.0", id: 9, method: "keys.get" }]);
      c.send({ jsonrpc: "2.0", id: { x: 1 }, method: "keys.get" });
      await waitFor(() => c.frames.length >= before + 5, "five replies");
      const replies = c.frames.slice(before, before + 5);
      expect(replies.map((f) => f.error?.code)).to.deep.equal(Array(5).fill(ErrorCode.InvalidRequest));
      expect(replies.map((f) => f.id)).to.deep.equal([null, 7, 8, null, null]);
      expect(replies[3]?.error?.message).to.include("batch requests are not supported");
    });

    it("unknown method → MethodNotFound naming it", async () => {
      const r = await c.request(10, "keys.frobnicate", {});
      expect(r.error).to.deep.equal({ code: ErrorCode.MethodNotFound, message: "method not found: keys.frobnicate" });
    });

    it("wrong parameter types → InvalidParams naming the parameter", async () => {
      const r = await c.request(11, "keys.put", { atSign: "@alice", key: "a.wavi@alice", value: 42 });
      expect(r.error?.code).to.equal(ErrorCode.InvalidParams);
      expect(r.error?.message).to.equal("invalid params: 'value' must be a string (got 42)");
      const r2 = await c.request(12, "keys.put", { atSign: "@alice", key: "a.wavi@alice", value: "v", metadata: { ttl: "soon" } });
      expect(r2.error?.message).to.include("'metadata.ttl' must be an integer");
      const r3 = await c.request(13, "keys.put", { atSign: "@alice", key: "a.wavi@alice", value: "v", tll: 5 });
      expect(r3.error?.message).to.equal("invalid params: unknown parameter 'tll'");
    });

    it("invalid atKeys and atSigns → InvalidAtKey / InvalidAtSign", async () => {
      const r = await c.request(14, "keys.get", { atSign: "@alice", key: "no owner" });
      expect(r.error?.code).to.equal(ErrorCode.InvalidAtKey);
      expect(r.error?.message).to.include("'key' must be an atKey");
      const r2 = await c.request(15, "keys.get", { atSign: "alice", key: "a.wavi@alice" });
      expect(r2.error?.code).to.equal(ErrorCode.InvalidAtSign);
      const r3 = await c.request(16, "keys.put", { atSign: "@alice", key: "a.wavi@bob", value: "v" });
      expect(r3.error?.code).to.equal(ErrorCode.InvalidAtKey);
      expect(r3.error?.message).to.include("belongs to @bob, not @alice");
    });

    it("a duplicate in-flight id → InvalidRequest, the first request unaffected", async () => {
      c.send({ jsonrpc: "2.0", id: "dup", method: "sync.now", params: {} });
      await waitFor(() => releaseSlow !== undefined, "slow handler started");
      const before = c.frames.length;
      c.send({ jsonrpc: "2.0", id: "dup", method: "keys.get", params: { atSign: "@alice", key: "a.wavi@alice" } });
      await waitFor(() => c.frames.length > before, "duplicate reply");
      expect(c.frames[before]?.error?.code).to.equal(ErrorCode.InvalidRequest);
      releaseSlow?.();
      releaseSlow = undefined;
      await waitFor(() => c.frames.slice(before + 1).some((f) => f.id === "dup"), "first request's reply");
      expect(c.frames.slice(before + 1).find((f) => f.id === "dup")?.result).to.deep.equal({ statuses: [] });
    });
  });

  it("values too large → ValueTooLarge (counted in UTF-8 bytes)", async () => {
    const big = await RpcServer.listen({ clock, socketPath: join(tmp.dir, "big.sock"), daemonVersion: "t" });
    big.handle(KeysPut, (p) => ({ key: p.key }));
    const c = await RawClient.ready(join(tmp.dir, "big.sock"));
    try {
      // 3,410,001 × 3-byte chars = 10,230,003 bytes: over the limit though only 3.4M characters.
      const r = await c.request(1, "keys.put", { atSign: "@alice", key: "a.wavi@alice", value: "☎".repeat(3_410_001) });
      expect(r.error?.code).to.equal(ErrorCode.ValueTooLarge);
      expect(r.error?.message).to.include("10230003 bytes");
      const ok = await c.request(2, "keys.put", { atSign: "@alice", key: "a.wavi@alice", value: "☎".repeat(3_410_000) });
      expect(ok.result).to.deep.equal({ key: "a.wavi@alice" });
    } finally {
      c.close();
      await big.close();
    }
  });

  it("an oversized frame → FrameTooLarge to its id, dropped unread; that connection and the others go on", async () => {
    const victim = await client();
    const bystander = await client();
    victim.sendLine(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "keys.get", params: { atSign: "@alice", key: "x".repeat(70 * 1024) } }));
    const refused = await victim.reply(1);
    expect(refused.error?.code).to.equal(ErrorCode.FrameTooLarge);
    expect(refused.error?.message).to.equal("frame larger than 65536 bytes; it was dropped unread");
    expect(victim.closed).to.equal(false);
    const again = await victim.request(2, "keys.get", { atSign: "@alice🛠", key: "phone.wavi@alice🛠" });
    expect(again.result).to.have.property("value", "☎ 123");
    const r = await bystander.request(1, "keys.get", { atSign: "@alice🛠", key: "phone.wavi@alice🛠" });
    expect(r.result).to.have.property("value", "☎ 123");
  });

  it("an oversized frame is refused before its newline arrives, to id null when it does not lead with its id", async () => {
    const c = await client();
    c.socket.write("{" + " ".repeat(80 * 1024));
    await waitFor(() => c.frames.some((f) => f.error?.code === ErrorCode.FrameTooLarge), "the refusal");
    expect(c.frames.at(-1)?.id).to.equal(null);
    // The rest of that frame is skipped up to its newline; then the connection reads on.
    c.socket.write(" ".repeat(10 * 1024) + "}\n");
    const r = await c.request(3, "keys.get", { atSign: "@alice🛠", key: "phone.wavi@alice🛠" });
    expect(r.result).to.have.property("value", "☎ 123");
    expect(c.frames.filter((f) => f.error !== undefined)).to.have.length(1);
  });

  it("a frame nested deeper than MAX_FRAME_DEPTH → FrameTooDeep; one with too many values → FrameTooLarge; both dropped unread", async () => {
    const c = await client();
    c.sendLine(`{"jsonrpc":"2.0","id":"deep","method":"keys.get","params":${"[".repeat(MAX_FRAME_DEPTH)}${"]".repeat(MAX_FRAME_DEPTH)}}`);
    const deep = await c.reply("deep");
    expect(deep.error).to.deep.equal({ code: ErrorCode.FrameTooDeep, message: `frame nests deeper than ${MAX_FRAME_DEPTH} levels; it was dropped unread` });
    // At the limit it is parsed (and refused by the schema, as any bad params are).
    c.sendLine(`{"jsonrpc":"2.0","id":"at","method":"keys.get","params":${"[".repeat(MAX_FRAME_DEPTH - 1)}${"]".repeat(MAX_FRAME_DEPTH - 1)}}`);
    expect((await c.reply("at")).error?.code).to.equal(ErrorCode.InvalidParams);
    expect(c.closed).to.equal(false);

    const path = join(tmp.dir, "narrow.sock");
    const narrow = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t", frameLimits: { maxValues: 1000 } });
    narrow.handle(KeysGet, (p) => ({ key: p.key, value: "v", metadata: {} }));
    const n = await RawClient.ready(path);
    try {
      n.sendLine(`{"jsonrpc":"2.0","id":"wide","method":"keys.get","params":{"atSign":"@alice","key":"k@alice","pad":[${"0,".repeat(1000)}0]}}`);
      expect((await n.reply("wide")).error).to.deep.equal({ code: ErrorCode.FrameTooLarge, message: "frame holds more than 1000 values; it was dropped unread" });
      expect((await n.request("next", "keys.get", { atSign: "@alice", key: "k@alice" })).result).to.have.property("value", "v");
    } finally {
      n.close();
      await narrow.close();
    }
  });

  it("$/cancel aborts the handler's signal and answers RequestCancelled", async () => {
    cancelled = [];
    const c = await client();
    c.send({ jsonrpc: "2.0", id: 5, method: "sync.now", params: { wait: true } });
    await waitFor(() => releaseSlow !== undefined, "handler started");
    c.send({ jsonrpc: "2.0", method: "$/cancel", params: { id: 5 } });
    const r = await c.reply(5);
    releaseSlow = undefined;
    expect(r.error?.code).to.equal(ErrorCode.RequestCancelled);
    expect(cancelled).to.have.length(1);
    expect(AtsyncError.is(cancelled[0], ErrorCode.RequestCancelled)).to.equal(true);
  });

  it("aborts in-flight handlers when their connection drops", async () => {
    cancelled = [];
    const c = await client();
    c.send({ jsonrpc: "2.0", id: 6, method: "sync.now", params: {} });
    await waitFor(() => releaseSlow !== undefined, "handler started");
    c.close();
    await waitFor(() => cancelled.length === 1, "abort on close");
    releaseSlow = undefined;
    expect(AtsyncError.is(cancelled[0], ErrorCode.ConnectionClosed)).to.equal(true);
  });

  it("serves two clients at once, each getting only its own replies", async () => {
    const a = await client();
    const b = await client();
    const n = 200;
    for (let i = 0; i < n; i++) {
      a.send({ jsonrpc: "2.0", id: i, method: "keys.put", params: { atSign: "@alice", key: `a${i}.wavi@alice`, value: `A${i}` } });
      b.send({ jsonrpc: "2.0", id: i, method: "keys.put", params: { atSign: "@bob", key: `b${i}.wavi@bob`, value: `B${i}` } });
    }
    await waitFor(() => a.frames.filter((f) => typeof f.id === "number" && f.id < n).length >= n
      && b.frames.filter((f) => typeof f.id === "number" && f.id < n).length >= n, "all replies");
    const ra = a.frames.filter((f) => typeof f.id === "number" && f.id < n).map((f) => (f.result as { key: string }).key);
    const rb = b.frames.filter((f) => typeof f.id === "number" && f.id < n).map((f) => (f.result as { key: string }).key);
    expect(ra).to.deep.equal(Array.from({ length: n }, (_, i) => `a${i}.wavi@alice`));
    expect(rb).to.deep.equal(Array.from({ length: n }, (_, i) => `b${i}.wavi@bob`));
  });

  it("handle() returns a Disposable that unregisters the method", async () => {
    const { ConflictsList } = await import("../../shared/methods.js");
    const d = server.handle(ConflictsList, () => []);
    const c = await client();
    expect((await c.request(1, "conflicts.list", {})).result).to.deep.equal([]);
    d.dispose();
    expect((await c.request(2, "conflicts.list", {})).error?.code).to.equal(ErrorCode.MethodNotFound);
  });

  it("close({ drainMs }) lets in-flight requests finish, refuses new ones, then closes", async () => {
    const path = join(tmp.dir, "drain.sock");
    const s2 = await RpcServer.listen({ clock, socketPath: path, daemonVersion: "t" });
    let finish: (() => void) | undefined;
    let aborted = false;
    s2.handle(SyncNow, (_p, ctx) => new Promise((resolve) => {
      finish = () => resolve({ statuses: [] });
      ctx.signal.addEventListener("abort", () => (aborted = true));
    }));
    const c = await RawClient.ready(path);
    c.send({ jsonrpc: "2.0", id: 1, method: "sync.now", params: {} });
    await waitFor(() => finish !== undefined, "handler started");
    const closing = s2.close({ drainMs: 10_000 });
    const refused = await c.request(2, "sync.now", {});
    expect(refused.error?.code).to.equal(ErrorCode.ShuttingDown);
    finish?.();
    const done = await c.reply(1);
    expect(done.result).to.deep.equal({ statuses: [] });
    await closing;
    await waitFor(() => c.closed, "connection closed after drain");
    expect(aborted).to.equal(false);
  });

  it("close({ drainMs }) waits drainMs on its Clock for a request that never finishes, then aborts it", async () => {
    const fake = new FakeClock();
    const path = join(tmp.dir, "drain-clock.sock");
    const s3 = await RpcServer.listen({ clock: fake, socketPath: path, daemonVersion: "t" });
    let started = false;
    let aborted = false;
    s3.handle(SyncNow, (_p, ctx) => new Promise(() => {
      started = true;
      ctx.signal.addEventListener("abort", () => (aborted = true));
    }));
    const c = await RawClient.ready(path);
    c.send({ jsonrpc: "2.0", id: 1, method: "sync.now", params: {} });
    await waitFor(() => started, "handler started");
    let closed = false;
    const closing = s3.close({ drainMs: 5000 }).then(() => (closed = true));
    fake.advance(4999);
    await new Promise<void>((r) => setImmediate(r));
    expect({ closed, aborted }).to.deep.equal({ closed: false, aborted: false });
    fake.advance(1);
    await closing;
    expect(aborted).to.equal(true);
  });
});
