import { expect } from "chai";
import { createServer, connect, type Server, type Socket } from "node:net";
import { AtProtocolError } from "../../protocol/errors.js";
import { RootResolver, parseHostPort } from "../../daemon/remote/RootResolver.js";
import { RemoteUnavailableError } from "../../daemon/remote/errors.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { fixturesOrSkip } from "../support/fixtures.js";
import { FakeClock } from "./support/FakeClock.js";
import { ScriptedTlsServer, selfSignedCert } from "./support/scriptedTlsServer.js";
import { ALICE, BOB, FRESH, startTestDevServer, type TestDevServer } from "./support/testDevServer.js";
import { rejectionOf } from "./support/waitFor.js";

/** A TCP forwarder in front of the root, counting connections (TLS passes through). */
async function countingForwarder(target: string): Promise<{ root: string; count: () => number; close: () => Promise<void> }> {
  const addr = parseHostPort(target);
  if (!addr) throw new Error("bad target");
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    count++;
    const upstream = connect(addr.port, addr.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address();
  const port = typeof a === "object" && a !== null ? a.port : 0;
  return {
    root: `127.0.0.1:${port}`,
    count: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("remote/RootResolver against the dev-server", function () {
  let dev: TestDevServer;
  let fwd: Awaited<ReturnType<typeof countingForwarder>>;
  before(async function () {
    fixturesOrSkip(this);
    dev = await startTestDevServer();
    fwd = await countingForwarder(dev.server.info.root);
  });
  after(async function () {
    await fwd?.close();
    await dev?.stop();
  });

  it("resolves every served atSign to its atServer, with or without @ and in any case", async function () {
    const resolver = new RootResolver({ root: dev.server.info.root, ca: dev.ca, clock: new SystemClock() });
    for (const atSign of [FRESH, ALICE, BOB]) {
      const expected = parseHostPort(dev.server.info.atSigns[atSign]?.secondary ?? "");
      expect(expected).to.not.equal(undefined);
      expect(await resolver.resolve(atSign)).to.deep.equal(expected);
    }
    const alice = parseHostPort(dev.server.info.atSigns[ALICE]?.secondary ?? "");
    expect(await new RootResolver({ root: dev.server.info.root, ca: dev.ca, clock: new SystemClock() }).resolve("ALICE🛠")).to.deep.equal(alice);
  });

  it("caches an answer for the TTL, then asks the root again", async function () {
    const clock = new FakeClock();
    const resolver = new RootResolver({ root: fwd.root, ca: dev.ca, clock, cacheTtlMs: 60_000 });
    const before = fwd.count();
    const first = await resolver.resolve(ALICE);
    expect(fwd.count()).to.equal(before + 1);
    clock.advance(59_999);
    expect(await resolver.resolve(ALICE)).to.deep.equal(first);
    expect(fwd.count()).to.equal(before + 1);
    clock.advance(1);
    expect(await resolver.resolve(ALICE)).to.deep.equal(first);
    expect(fwd.count()).to.equal(before + 2);
    resolver.invalidate(ALICE);
    await resolver.resolve(ALICE);
    expect(fwd.count()).to.equal(before + 3);
  });

  it("shares one lookup between concurrent callers", async function () {
    const resolver = new RootResolver({ root: fwd.root, ca: dev.ca, clock: new FakeClock() });
    const before = fwd.count();
    const answers = await Promise.all([resolver.resolve(BOB), resolver.resolve("@bob🛠"), resolver.resolve("bob🛠")]);
    expect(fwd.count()).to.equal(before + 1);
    expect(answers[1]).to.deep.equal(answers[0]);
    expect(answers[2]).to.deep.equal(answers[0]);
  });

  it("throws AT0007 for an unknown atSign and does not cache the miss", async function () {
    const resolver = new RootResolver({ root: fwd.root, ca: dev.ca, clock: new FakeClock() });
    const before = fwd.count();
    const err = await rejectionOf(resolver.resolve("@nobody🛠"));
    expect(err).to.be.instanceOf(AtProtocolError);
    expect((err as AtProtocolError).code).to.equal("AT0007");
    await rejectionOf(resolver.resolve("@nobody🛠"));
    expect(fwd.count()).to.equal(before + 2);
  });

  it("fails with a retryable RemoteUnavailableError when the root is unreachable or untrusted", async function () {
    const closed = await countingForwarder("127.0.0.1:1");
    const port = closed.root;
    await closed.close();
    const unreachable = await rejectionOf(new RootResolver({ root: port, ca: dev.ca, clock: new SystemClock() }).resolve(ALICE));
    expect(unreachable).to.be.instanceOf(RemoteUnavailableError);
    expect(unreachable).to.include({ reason: "root", retryable: true });

    const otherCa = (await selfSignedCert()).cert;
    const untrusted = await rejectionOf(new RootResolver({ root: dev.server.info.root, ca: otherCa, clock: new SystemClock() }).resolve(ALICE));
    expect(untrusted).to.be.instanceOf(RemoteUnavailableError);
    expect((untrusted as Error).message).to.match(/CERT|SIGNED|UNABLE/u);
  });
});

describe("remote/RootResolver wire", function () {
  let root: ScriptedTlsServer;
  let cert: string;
  before(async function () {
    const material = await selfSignedCert();
    cert = material.cert;
    root = new ScriptedTlsServer(material, (line, socket) => {
      if (line === "@exit") socket.end();
      else if (line === "slow🛠") return; // never answers
      else socket.write(line === "alice🛠" ? "vip.example.org:6464\r\n@" : "null\r\n@");
    });
    await root.listen();
  });
  after(async function () {
    await root?.close();
  });

  it("sends the atSign without @, then @exit", async function () {
    const resolver = new RootResolver({ root: `127.0.0.1:${root.port}`, ca: cert, clock: new SystemClock() });
    expect(await resolver.resolve("@Alice🛠")).to.deep.equal({ host: "vip.example.org", port: 6464 });
    expect(root.commands.slice(0, 2)).to.deep.equal(["alice🛠", "@exit"]);
  });

  it("times out a root that does not answer", async function () {
    const resolver = new RootResolver({ root: `127.0.0.1:${root.port}`, ca: cert, clock: new SystemClock(), timeoutMs: 150 });
    const err = await rejectionOf(resolver.resolve("@slow🛠"));
    expect(err).to.be.instanceOf(RemoteUnavailableError);
    expect((err as Error).message).to.include("150 ms");
  });

  it("parseHostPort accepts host:port and refuses the rest", function () {
    expect(parseHostPort("127.0.0.1:6464")).to.deep.equal({ host: "127.0.0.1", port: 6464 });
    expect(parseHostPort("[::1]:64")).to.deep.equal({ host: "::1", port: 64 });
    for (const bad of ["null", "host", "host:0", "host:70000", ":64"]) expect(parseHostPort(bad), bad).to.equal(undefined);
  });
});
