// Replies that finish in different event-loop turns but answer requests of one read leave
// in one socket write; a lone request is never held; a slow sibling holds the others back
// no longer than replyHoldMs. Counted on the server side of a real Unix socket.
import { expect } from "chai";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { RpcConnection, type Registry } from "../../daemon/rpc/RpcConnection.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import type { Handler } from "../../daemon/rpc/types.js";
import { asConnectionId } from "../../shared/ids.js";
import { KeysGet } from "../../shared/methods.js";
import type { KeysGetResult } from "../../shared/types.js";
import { PROTOCOL_VERSION, REQUEST_FRAME_LIMITS } from "../../shared/protocol.js";
import { RawClient, tempDir } from "./helpers.js";

const clock = new SystemClock();

const ATSIGN = "@alice🛠";
const key = (i: number): string => `k${i}.app${ATSIGN}`;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("RpcConnection reply batching", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: Server;
  let conns: RpcConnection[] = [];
  let clients: RawClient[] = [];
  /** Each keys.get waits until the test releases its key. */
  let waiting: Map<string, (r: KeysGetResult) => void>;

  const get: Handler<unknown, unknown> = (p) => new Promise((resolve) => {
    const k = (p as { key: string }).key;
    waiting.set(k, (r) => resolve(r));
  });
  const registry: Registry = {
    draining: false,
    lookup: (m) => (m === KeysGet.name ? { validate: KeysGet.validate, handler: get } : undefined),
  };

  /** A connection with `replyHoldMs`, and a count of the writes its socket makes. */
  async function open(replyHoldMs: number): Promise<{ client: RawClient; writes: () => number }> {
    const path = join(tmp.dir, `s${conns.length}.sock`);
    let writes = 0;
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    if (!server.listening) await new Promise<void>((r) => server.listen(path, r));
    else throw new Error("one connection per server in this suite");
    const clientP = RawClient.open(path);
    const socket = await accepted;
    const write = socket.write.bind(socket) as (data: string) => boolean;
    (socket as unknown as { write: (d: string) => boolean }).write = (d: string) => {
      writes++;
      return write(d);
    };
    conns.push(new RpcConnection(asConnectionId("c-test"), socket, registry,
      { daemonVersion: "test", frameLimits: REQUEST_FRAME_LIMITS, maxInFlight: 64, replyHoldMs }, nullLogger, clock));
    const client = await clientP;
    clients.push(client);
    const hello = await client.request("h", "rpc.hello", { protocolVersion: PROTOCOL_VERSION, client: "test" });
    expect(hello.error, "handshake").to.equal(undefined);
    return { client, writes: () => writes };
  }

  function release(i: number): void {
    const k = key(i);
    const fn = waiting.get(k);
    if (!fn) throw new Error(`${k} is not waiting`);
    waiting.delete(k);
    fn({ key: k, value: `v${i}`, metadata: {} });
  }

  async function untilWaiting(n: number): Promise<void> {
    for (let t = 0; waiting.size < n; t++) {
      if (t > 10_000) throw new Error(`only ${waiting.size} of ${n} requests reached the handler`);
      await turn();
    }
  }

  beforeEach(() => {
    tmp = tempDir();
    server = createServer();
    waiting = new Map();
  });

  afterEach(async () => {
    for (const c of clients) c.socket.destroy();
    for (const c of conns) c.close();
    clients = [];
    conns = [];
    await new Promise<void>((r) => server.close(() => r()));
    tmp.remove();
  });

  it("writes the replies to one read once, though they finish in different turns", async function () {
    const { client, writes } = await open(60_000);
    const before = writes();
    client.sendLine([1, 2, 3].map((i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: KeysGet.name, params: { atSign: ATSIGN, key: key(i) } })).join("\n"));
    await untilWaiting(3);
    for (const i of [2, 1, 3]) {
      release(i);
      await turn();
      await turn();
    }
    const replies = await Promise.all([1, 2, 3].map((i) => client.reply(i)));
    expect(replies.map((r) => (r.result as KeysGetResult).value)).to.deep.equal(["v1", "v2", "v3"]);
    // In the order they finished, in one write (three without the hold).
    expect(client.frames.slice(-3).map((f) => f.id)).to.deep.equal([2, 1, 3]);
    expect(writes() - before).to.equal(1);
  });

  it("answers a lone request in its turn, without waiting for the hold", async function () {
    const { client, writes } = await open(60_000);
    const before = writes();
    client.send({ jsonrpc: "2.0", id: 7, method: KeysGet.name, params: { atSign: ATSIGN, key: key(7) } });
    await untilWaiting(1);
    release(7);
    // Held for the hold (60 s), this would time the test out.
    expect(((await client.reply(7)).result as KeysGetResult).key).to.equal(key(7));
    expect(writes() - before).to.equal(1);
  });

  it("does not hold a reply behind a slow sibling for longer than replyHoldMs", async function () {
    const { client } = await open(5);
    client.sendLine([1, 2].map((i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: KeysGet.name, params: { atSign: ATSIGN, key: key(i) } })).join("\n"));
    await untilWaiting(2);
    release(1);
    expect(((await client.reply(1)).result as KeysGetResult).value).to.equal("v1");
    expect(waiting.has(key(2)), "the sibling is still in flight").to.equal(true);
    release(2);
    expect(((await client.reply(2)).result as KeysGetResult).value).to.equal("v2");
  });

  it("counts held output as buffered, and drops it when the connection closes", async function () {
    const { client } = await open(60_000);
    client.sendLine([1, 2].map((i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: KeysGet.name, params: { atSign: ATSIGN, key: key(i) } })).join("\n"));
    await untilWaiting(2);
    const conn = conns[0]!;
    const idle = conn.bufferedBytes;
    release(1);
    await turn();
    await turn();
    expect(conn.bufferedBytes).to.be.greaterThan(idle);
    client.socket.destroy();
    for (let t = 0; !conn.closed; t++) {
      if (t > 10_000) throw new Error("the connection never saw the close");
      await turn();
    }
    expect(conn.bufferedBytes).to.equal(0);
  });
});
