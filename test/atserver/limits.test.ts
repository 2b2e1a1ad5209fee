import { expect } from "chai";
import tls from "node:tls";
import { allowableIdleMs } from "../../atserver/connection/idlePolicy.js";
import { ALICE, BOB } from "./support/demo.js";
import { useDemoServer } from "./support/harness.js";
import { splitAddress } from "./support/RawClient.js";

/** A TLS client that records what it receives and never answers. */
function silentClient(address: string, ca: string): Promise<{ socket: tls.TLSSocket; received: () => string; closed: Promise<void> }> {
  const [host, port] = splitAddress(address);
  const socket = tls.connect({ host, port, ca, servername: "localhost" });
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (text += d));
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    socket.once("secureConnect", () => resolve({ socket, received: () => text, closed }));
    socket.once("error", reject);
  });
}

/** Polls `pred` every `everyMs` until it holds, for at most `timeoutMs`. */
async function until(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, everyMs = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => (everyMs > 0 ? setTimeout(r, everyMs) : setImmediate(r)));
  }
}

describe("dev-server connection limits (§1.2 idle timeouts and pool)", function () {
  it("shrinks the allowed idle time linearly once the pool is past half full", function () {
    expect(allowableIdleMs(0, 200, false)).to.equal(600_000);
    expect(allowableIdleMs(100, 200, false)).to.equal(600_000);
    expect(allowableIdleMs(150, 200, false)).to.equal(302_500);
    expect(allowableIdleMs(200, 200, false)).to.equal(5_000);
    expect(allowableIdleMs(200, 200, true)).to.equal(60_000);
  });

  describe("a client that opens 500 connections and never speaks", function () {
    const h = useDemoServer(this);
    const sockets: tls.TLSSocket[] = [];
    after(function () {
      for (const s of sockets) s.destroy();
    });

    it("gets 200, then AT0012 and a close for each one over, and idle ones are reaped for newcomers", async function () {
      const addr = h().dev.info.atSigns[ALICE]?.secondary ?? "";
      const clients: Array<Awaited<ReturnType<typeof silentClient>>> = [];
      for (let i = 0; i < 500; i++) {
        const c = await silentClient(addr, h().ca);
        sockets.push(c.socket);
        clients.push(c);
      }
      await until(() => clients.every((c) => c.received() !== ""), "every greeting or refusal");
      const accepted = clients.filter((c) => c.received() === "@");
      const refused = clients.filter((c) => c.received() === "error:AT0012-Inbound connection limit exceeded\n");
      expect(accepted).to.have.length(200);
      expect(refused).to.have.length(300);
      await Promise.all(refused.map((c) => c.closed));
      // With the pool full an unauthenticated connection may idle 5 s: after that, a newcomer
      // gets in by reaping idle ones.
      let admitted = false;
      await until(async () => {
        const c = await silentClient(addr, h().ca);
        sockets.push(c.socket);
        await until(() => c.received() !== "", "a greeting");
        admitted = c.received() === "@";
        if (!admitted) await c.closed;
        return admitted;
      }, "a newcomer to be admitted", 15_000, 250);
      const bob = await h().login(BOB);
      expect(await bob.cmd("noop:0")).to.equal("data:ok");
    });
  });

  describe("a client that never reads its replies", function () {
    const h = useDemoServer(this, { maxPendingWriteBytes: 1024 * 1024 });

    it("is disconnected once its unread output passes the bound; writers and others carry on", async function () {
      const mon = await h().login();
      mon.write("monitor\n");
      // Stop reading: what the server writes piles up in its socket.
      mon.pauseReading();
      const watcher = await h().login();
      const count = async (): Promise<number> => {
        const r = await watcher.cmd("stats:1");
        return Number((JSON.parse(r.slice("data: ".length)) as Array<{ value: string }>)[0]?.value);
      };
      const before = await count();
      const bob = await h().login(BOB);
      const big = "v".repeat(100_000);
      for (let i = 0; i < 400 && (await count()) === before; i++) {
        expect(await bob.cmd(`notify:${ALICE}:big${i}.x${BOB}:${big}`)).to.match(/^data:[\w-]+$/u);
      }
      expect(await count()).to.equal(before - 1);
      expect(await bob.cmd("noop:0")).to.equal("data:ok");
    });
  });
});
