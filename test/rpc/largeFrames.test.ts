// The daemon-wide cap on large incomplete frames (daemon/rpc/LargeFrameGate.ts, SECURITY.md
// "Frames"), on real Unix sockets: only `slots` connections hold a frame past `largeBytes` at once,
// the others stop reading until a place frees, ordinary requests never wait, and every frame is
// answered in the end.
import { expect } from "chai";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { LargeFrameGate } from "../../daemon/rpc/LargeFrameGate.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { KeysGet } from "../../shared/methods.js";
import { RawClient, readyClients, tempDir, waitFor } from "./helpers.js";

const clock = new SystemClock();
const LARGE = 4096;
/** A keys.get whose key is 64 KiB: refused by validation, which proves the frame was read whole. */
function bigFrame(id: number): Buffer {
  return Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method: KeysGet.name, params: { atSign: "@alice", key: "k".repeat(64 * 1024) } }) + "\n");
}

describe("RpcServer: the daemon-wide cap on large incomplete frames", () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: RpcServer;
  let socketPath: string;
  const clients: RawClient[] = [];

  beforeEach(async () => {
    tmp = tempDir();
    socketPath = join(tmp.dir, "rpc.sock");
    server = await RpcServer.listen({ clock, socketPath, daemonVersion: "t", largeFrames: { slots: 2, largeBytes: LARGE } });
    server.handle(KeysGet, (p) => ({ key: p.key, value: "v", metadata: {} }));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
    tmp.remove();
  });

  const client = readyClients(() => socketPath, clients);

  it("lets only its slots hold a large frame at once; the others wait their turn, small requests go on, and every frame is answered", async () => {
    const [a, b, c, d] = await Promise.all([client(), client(), client(), client()]);
    const frames = [bigFrame(1), bigFrame(2), bigFrame(3)];
    const half = frames[0]!.length >> 1;
    a.socket.write(frames[0]!.subarray(0, half));
    await waitFor(() => server.largeFrameCounts.holding === 1, "a holds a place");
    b.socket.write(frames[1]!.subarray(0, half));
    await waitFor(() => server.largeFrameCounts.holding === 2, "b holds a place");
    c.socket.write(frames[2]!.subarray(0, half));
    await waitFor(() => server.largeFrameCounts.waiting === 1, "c waits for a place");
    expect(server.largeFrameCounts).to.deep.equal({ holding: 2, waiting: 1 });

    // An ordinary request on another connection is not held up by the full gate.
    const small = await d.request(9, KeysGet.name, { atSign: "@alice", key: "phone.wavi@alice" });
    expect(small.result).to.deep.include({ value: "v" });

    // c's whole frame is sent, but it is not read while both places are taken.
    c.socket.write(frames[2]!.subarray(half));
    a.socket.write(frames[0]!.subarray(half));
    expect((await a.reply(1)).error?.message).to.match(/key/);
    await waitFor(() => server.largeFrameCounts.waiting === 0, "c gets a's place");
    expect((await c.reply(3)).error?.message).to.match(/key/);
    b.socket.write(frames[1]!.subarray(half));
    expect((await b.reply(2)).error?.message).to.match(/key/);
    await waitFor(() => server.largeFrameCounts.holding === 0, "every place given back");
  });

  it("gives a place back when its connection closes mid-frame, and the next in line reads on", async () => {
    const [a, b, c] = await Promise.all([client(), client(), client()]);
    const frames = [bigFrame(1), bigFrame(2), bigFrame(3)];
    const half = frames[0]!.length >> 1;
    a.socket.write(frames[0]!.subarray(0, half));
    b.socket.write(frames[1]!.subarray(0, half));
    await waitFor(() => server.largeFrameCounts.holding === 2, "a and b hold places");
    c.socket.write(frames[2]!);
    await waitFor(() => server.largeFrameCounts.waiting === 1, "c waits");
    a.socket.destroy();
    expect((await c.reply(3)).error?.message).to.match(/key/);
    await waitFor(() => server.largeFrameCounts.holding === 1 && server.largeFrameCounts.waiting === 0, "c done, b still holding");
  });

  it("gives a place back when its frame is refused for its size", async () => {
    const [a] = await Promise.all([client()]);
    a.socket.write(Buffer.from('{"jsonrpc":"2.0","id":5,"method":"keys.get","params":{"key":"' + "k".repeat(LARGE * 2)));
    await waitFor(() => server.largeFrameCounts.holding === 1, "a holds a place");
    // Past the frame limit (16 MiB): refused at once, its place freed before its newline.
    const chunk = Buffer.alloc(1 << 20, 0x6b);
    for (let i = 0; i < 17; i++) a.socket.write(chunk);
    const r = await a.reply(5);
    expect(r.error?.message).to.match(/larger than/);
    await waitFor(() => server.largeFrameCounts.holding === 0, "the refused frame's place freed");
  });
});

describe("LargeFrameGate", () => {
  it("grants places first come first served and wakes each waiter once, in turn", () => {
    const gate = new LargeFrameGate(1, 10);
    const [x, y, z] = [{}, {}, {}];
    const woken: string[] = [];
    expect(gate.enter(x, () => woken.push("x"))).to.equal(true);
    expect(gate.enter(y, () => woken.push("y"))).to.equal(false);
    expect(gate.enter(z, () => woken.push("z"))).to.equal(false);
    expect(gate.enter(y, () => woken.push("y again"))).to.equal(false);
    gate.leave(x);
    expect(woken).to.deep.equal(["y"]);
    expect(gate.enter(y, () => woken.push("never"))).to.equal(true);
    gate.leave(z); // gave up its turn before it came
    gate.leave(y);
    expect(woken).to.deep.equal(["y"]);
    expect(gate.counts).to.deep.equal({ holding: 0, waiting: 0 });
    // With a queue, a newcomer does not jump it even when a place is free.
    const g2 = new LargeFrameGate(2, 10);
    expect([g2.enter(x, () => {}), g2.enter(y, () => {})]).to.deep.equal([true, true]);
    expect(g2.enter(z, () => woken.push("z2"))).to.equal(false);
    g2.leave(x);
    expect(woken).to.deep.equal(["y", "z2"]);
  });
});
