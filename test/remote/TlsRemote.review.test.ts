// Review of TlsRemote against a scripted atServer: one request on the wire at a time, aborts,
// failures during login, a root that answers null, garbage and silence, and no leaked sockets,
// timers or unhandled rejections afterwards.
import { expect } from "chai";
import type { TLSSocket } from "node:tls";
import { AtProtocolError } from "../../protocol/errors.js";
import { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { RemoteUnavailableError } from "../../daemon/remote/errors.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { rootNaming, useScriptedAtServer, type Script } from "./support/scriptedAtServer.js";
import { ScriptedTlsServer } from "./support/scriptedTlsServer.js";
import { rejectionOf, waitFor } from "./support/waitFor.js";

const ME = "@alice🛠";
const PROMPT = `${ME}@`;

/** Logs in anyone; `after` answers everything else. */
function loginThen(after: Script): Script {
  return (line, socket) => {
    if (line.startsWith("from:")) socket.write(`data:_c0ffee${ME}:1\n@`);
    else if (line.startsWith("pkam:")) socket.write(`data:success\n${PROMPT}`);
    else after(line, socket);
  };
}

describe("remote/TlsRemote review (scripted atServer)", function () {
  let remotes: TlsRemote[] = [];
  const h = useScriptedAtServer(() => Promise.all(remotes.map((r) => r.close())));

  beforeEach(function () {
    remotes = [];
  });

  function remote(extra: { requestTimeoutMs?: number; connectTimeoutMs?: number } = {}): TlsRemote {
    const resolver = new RootResolver({ root: `127.0.0.1:${h.root.port}`, ca: h.material.cert, clock: h.clock, timeoutMs: 3000 });
    const r = new TlsRemote({ atSign: ME, keys: h.keys, resolver, ca: h.material.cert, clock: h.clock, logger: nullLogger, ...extra });
    remotes.push(r);
    return r;
  }

  it("runs 100 concurrent requests one at a time on the wire, each resolving with its own reply", async function () {
    let outstanding = 0;
    let overlaps = 0;
    h.script = loginThen((line, socket) => {
      socket.setNoDelay(true);
      if (outstanding > 0) overlaps++;
      outstanding++;
      // Answer later, split in two writes, so a pipelining client would be caught.
      setImmediate(() => {
        const reply = Buffer.from(`data:${line.slice("echo:".length)}🛠\n${PROMPT}`, "utf8");
        socket.write(reply.subarray(0, 7));
        outstanding--;
        socket.write(reply.subarray(7));
      });
    });
    const r = remote();
    const order: number[] = [];
    const all = Array.from({ length: 100 }, (_, i) =>
      r.request(`echo:${i}`).then((v) => {
        order.push(i);
        return v;
      }),
    );
    const replies = await Promise.all(all);
    expect(replies).to.deep.equal(Array.from({ length: 100 }, (_, i) => `${i}🛠`));
    expect(order).to.deep.equal(Array.from({ length: 100 }, (_, i) => i));
    expect(overlaps).to.equal(0);
    expect(h.server.commands.filter((c) => c.startsWith("echo:"))).to.deep.equal(Array.from({ length: 100 }, (_, i) => `echo:${i}`));
  });

  it("never sends an aborted queued request; an aborted in-flight one drops only its connection", async function () {
    const held: TLSSocket[] = [];
    h.script = loginThen((line, socket) => {
      if (line === "hold") held.push(socket);
      else socket.write(`data:${line}\n${PROMPT}`);
    });
    const r = remote();
    expect(await r.request("warm")).to.equal("warm");
    const inFlightAbort = new AbortController();
    const inFlight = r.request("hold", { signal: inFlightAbort.signal });
    const queuedAbort = new AbortController();
    const queued = r.request("queued", { signal: queuedAbort.signal });
    const after = r.request("after");
    await waitFor(() => held.length === 1, "hold reaches the server");
    queuedAbort.abort();
    expect(((await rejectionOf(queued)) as Error).name).to.equal("AbortError");
    expect(r.connected).to.equal(true);
    inFlightAbort.abort(new Error("caller gave up"));
    expect(((await rejectionOf(inFlight)) as Error).message).to.equal("caller gave up");
    expect(await after).to.equal("after");
    expect(h.server.commands).not.to.include("queued");
    expect(h.server.commands.filter((c) => c.startsWith("from:"))).to.have.length(2);
  });

  it("fails a request with RemoteUnavailableError when the socket closes during login", async function () {
    h.script = (line, socket) => {
      if (line.startsWith("from:")) socket.write(`data:_c${ME}:1\n@`);
      else if (line.startsWith("pkam:")) socket.destroy();
    };
    const err = await rejectionOf(remote().request("scan"));
    expect(err).to.be.instanceOf(RemoteUnavailableError);
    expect(err).to.include({ retryable: true });
  });

  it("fails with RemoteUnavailableError when the secondary closes right after its prompt", async function () {
    h.script = () => undefined;
    const closer = new ScriptedTlsServer(h.material, () => undefined);
    await closer.listen();
    try {
      h.rootScript = rootNaming(() => closer.port);
      // The prompt is written on accept; end the connection as soon as it is there.
      const r = remote();
      const p = r.request("scan");
      await waitFor(() => closer.connectionCount === 1, "connection");
      await closer.close();
      const err = await rejectionOf(p);
      expect(err).to.be.instanceOf(RemoteUnavailableError);
    } finally {
      await closer.close();
    }
  });

  it("reports AT0007 when the root answers null, and closes the root connection", async function () {
    h.rootScript = (line, socket) => {
      if (line !== "@exit") socket.write("null\r\n@");
    };
    const err = await rejectionOf(remote().request("scan"));
    expect(err).to.be.instanceOf(AtProtocolError);
    expect((err as AtProtocolError).code).to.equal("AT0007");
    expect(h.server.commands).to.deep.equal([]);
  });

  it("times out a server that answers garbage with no reply end, and one that answers nothing", async function () {
    h.script = loginThen((line, socket) => {
      if (line === "garbage") socket.write("\u0000garbage: 🛠 with no end");
    });
    const r = remote({ requestTimeoutMs: 200 });
    const err = await rejectionOf(r.request("garbage"));
    expect(err).to.be.instanceOf(RemoteUnavailableError);
    expect(err).to.include({ reason: "timeout" });
    const silent = await rejectionOf(r.request("silence"));
    expect(silent).to.include({ reason: "timeout" });
    expect(r.connected).to.equal(false);
  });

  it("turns a complete garbage reply into AT0011 and stays usable", async function () {
    h.script = loginThen((line, socket) => socket.write(line === "junk" ? `junk!\n${PROMPT}` : `data:ok\n${PROMPT}`));
    const r = remote();
    const err = await rejectionOf(r.request("junk"));
    expect(err).to.be.instanceOf(AtProtocolError);
    expect((err as AtProtocolError).code).to.equal("AT0011");
    expect(await r.request("noop:0")).to.equal("ok");
  });

  it("drops the connection on a reply nobody asked for, so it cannot answer the next request", async function () {
    h.script = loginThen((line, socket) => {
      if (line === "double") socket.write(`data:one\n${PROMPT}data:two\n${PROMPT}`);
      else socket.write(`data:${line}\n${PROMPT}`);
    });
    const r = remote();
    expect(await r.request("double")).to.equal("one");
    expect(await r.request("next")).to.equal("next");
  });

  it("close() during a login that never finishes returns at once and fails the request", async function () {
    h.script = (line) => {
      void line; // never answers `from:`
    };
    const r = remote({ connectTimeoutMs: 30_000 });
    const p = r.request("scan");
    await waitFor(() => h.server.commands.some((c) => c.startsWith("from:")), "from: sent");
    const startedAt = Date.now();
    await r.close();
    expect(Date.now() - startedAt).to.be.below(1500);
    expect(await rejectionOf(p)).to.be.instanceOf(RemoteUnavailableError);
  });

  it("close() while the root lookup hangs returns at once and fails the request", async function () {
    h.rootScript = () => undefined; // never answers
    const r = remote();
    const p = r.request("scan");
    await waitFor(() => h.root.commands.length > 0, "root asked");
    const startedAt = Date.now();
    await r.close();
    expect(Date.now() - startedAt).to.be.below(1500);
    expect(await rejectionOf(p)).to.be.instanceOf(RemoteUnavailableError);
    expect(h.server.commands).to.deep.equal([]);
  });
});
