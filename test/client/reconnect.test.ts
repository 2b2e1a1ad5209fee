import { expect } from "chai";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { AtsyncClient } from "../../client/index.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { StatusGet, SyncNow } from "../../shared/methods.js";
import { tempDir, waitFor } from "../rpc/helpers.js";

const clock = new SystemClock();

describe("AtsyncClient while reconnecting", () => {
  let tmp: ReturnType<typeof tempDir>;
  let socketPath: string;
  let server: RpcServer;
  const clients: AtsyncClient[] = [];
  const sockets: Socket[] = [];

  before(async () => {
    tmp = tempDir("atsyncd-client-reconnect-");
    socketPath = join(tmp.dir, "rpc.sock");
    server = await RpcServer.listen({ clock, socketPath, daemonVersion: "t" });
    server.handle(StatusGet, () => []);
    server.handle(SyncNow, (_p, ctx) => new Promise((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
    }));
  });
  after(async () => {
    for (const c of clients) await c.close();
    await server.close();
    tmp.remove();
  });

  /** A client whose connection the test can cut. */
  async function dropped(): Promise<{ c: AtsyncClient; others: number }> {
    const c = await AtsyncClient.connect({
      connect: () => {
        const s = createConnection({ path: socketPath });
        sockets.push(s);
        return s;
      },
    });
    clients.push(c);
    const others = server.connectionCount - 1;
    sockets.at(-1)?.destroy();
    await waitFor(() => !c.connected, "disconnected");
    await waitFor(() => server.connectionCount === others, "server saw the drop");
    return { c, others };
  }

  it("a call without a signal is not cancelled by another caller's abort of the shared reconnect", async () => {
    const { c } = await dropped();
    const ac = new AbortController();
    const a = c.status(undefined, { signal: ac.signal }).catch((e: unknown) => e);
    const b = c.status().catch((e: unknown) => e);
    ac.abort();
    expect(AtsyncError.is(await a, ErrorCode.RequestCancelled), String(await a)).to.equal(true);
    const rb = await b;
    expect(rb, String(rb)).to.deep.equal([]);
  });

  it("close() during a reconnect rejects the waiting call with ConnectionClosed and leaves no connection open", async () => {
    const { c, others } = await dropped();
    const p = c.status().catch((e: unknown) => e);
    await c.close();
    const e = await p;
    expect(AtsyncError.is(e, ErrorCode.ConnectionClosed), String(e)).to.equal(true);
    expect(c.connected).to.equal(false);
    // A reconnect finishing after close() must not stay open (it would keep the app alive).
    await waitFor(() => server.connectionCount === others && sockets.slice(-1).every((s) => s.destroyed), "no connection left");
  });

  it("close() with calls in flight rejects each with ConnectionClosed", async () => {
    const c = await AtsyncClient.connect({ socketPath });
    clients.push(c);
    const calls = [c.syncNow({ wait: true }), c.syncNow({}, { signal: new AbortController().signal })].map((p) => p.catch((e: unknown) => e));
    await c.status();
    await c.close();
    for (const e of await Promise.all(calls)) expect(AtsyncError.is(e, ErrorCode.ConnectionClosed), String(e)).to.equal(true);
    const after = await c.status().catch((e: unknown) => e);
    expect(AtsyncError.is(after, ErrorCode.ConnectionClosed), String(after)).to.equal(true);
  });

  it("a stream opened after close() ends at once instead of retrying forever", async () => {
    const c = await AtsyncClient.connect({ socketPath });
    clients.push(c);
    await c.close();
    const stream = c.subscribe({}, { minRetryMs: 1, maxRetryMs: 1 });
    // Before the fix, neither settled: the stream retried against the closed channel for ever.
    expect(await stream.next()).to.deep.equal({ value: undefined, done: true });
    await stream.closed;
  });

  it("connect() with an already-aborted signal rejects with RequestCancelled", async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await AtsyncClient.connect({ socketPath, signal: ac.signal }).catch((err: unknown) => err);
    expect(AtsyncError.is(e, ErrorCode.RequestCancelled), String(e)).to.equal(true);
  });
});
