import { expect } from "chai";
import { AtProtocolError } from "../../protocol/errors.js";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { MAX_COMMAND_BYTES, TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { AuthFailedError, RemoteUnavailableError } from "../../daemon/remote/errors.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { fixturesOrSkip } from "../support/fixtures.js";
import { ALICE, BOB, FRESH, startTestDevServer, type TestDevServer } from "./support/testDevServer.js";
import { rejectionOf, waitFor } from "./support/waitFor.js";

describe("remote/TlsRemote against the dev-server", function () {
  let dev: TestDevServer;
  let resolver: RootResolver;
  const remotes: TlsRemote[] = [];
  const clock = new SystemClock();

  function remote(atSign: string, keys: AtKeys, extra: { requestTimeoutMs?: number } = {}): TlsRemote {
    const r = new TlsRemote({ atSign, keys, resolver, ca: dev.ca, clock, logger: nullLogger, ...extra });
    remotes.push(r);
    return r;
  }

  function secretsOf(keys: AtKeys): string[] {
    return [keys.pkamPrivateKey ?? "", keys.encryptionPrivateKey, keys.selfEncryptionKey].filter((s) => s !== "");
  }

  function expectNoSecrets(err: unknown, keys: AtKeys): void {
    const text = `${String(err)} ${JSON.stringify(err)}`;
    for (const s of secretsOf(keys)) {
      expect(text).not.to.include(s.slice(0, 24));
      expect(text).not.to.include(s.slice(-24));
    }
  }

  before(async function () {
    fixturesOrSkip(this);
    dev = await startTestDevServer();
    resolver = new RootResolver({ root: dev.server.info.root, ca: dev.ca, clock });
  });
  after(async function () {
    await Promise.all(remotes.map((r) => r.close()));
    await dev?.stop();
  });

  it("connects lazily and logs in with freshly generated keys", async function () {
    const r = remote(FRESH, dev.keys(FRESH));
    expect(r.connected).to.equal(false);
    const commitId = await r.request(`update:phone.wavi${FRESH} 123`);
    expect(commitId).to.match(/^\d+$/u);
    expect(r.connected).to.equal(true);
    expect(await r.request(`llookup:phone.wavi${FRESH}`)).to.equal("123");
  });

  it("logs in with the imported demo @alice🛠 .atKeys", async function () {
    const r = remote(ALICE, dev.keys(ALICE));
    await r.request(`update:public:location.wavi${ALICE} london🛠`);
    expect(await r.request(`llookup:public:location.wavi${ALICE}`)).to.equal("london🛠");
    const keys = JSON.parse(await r.request("scan")) as unknown;
    expect(keys).to.be.an("array").that.includes(`public:location.wavi${ALICE}`);
  });

  it("turns an error reply into AtProtocolError with its code, and stays usable", async function () {
    const r = remote(BOB, dev.keys(BOB));
    const err = await rejectionOf(r.request(`llookup:missing.wavi${BOB}`));
    expect(err).to.be.instanceOf(AtProtocolError);
    expect((err as AtProtocolError).code).to.equal("AT0015");
    expect(r.connected).to.equal(true);
    const bad = await rejectionOf(r.request("noop:9999"));
    expect((bad as AtProtocolError).code).to.equal("AT0022");
    expect(await r.request("noop:0")).to.equal("ok");
  });

  it("serializes concurrent requests and matches each reply to its request", async function () {
    const r = remote(FRESH, dev.keys(FRESH));
    const n = 12;
    const writes = await Promise.all(Array.from({ length: n }, (_, i) => r.request(`update:k${i}.wavi${FRESH} v${i}`)));
    const ids = writes.map(Number);
    expect(new Set(ids).size).to.equal(n);
    expect([...ids].sort((a, b) => a - b)).to.deep.equal(ids);
    const reads = await Promise.all(Array.from({ length: n }, (_, i) => r.request(`llookup:k${i}.wavi${FRESH}`)));
    expect(reads).to.deep.equal(Array.from({ length: n }, (_, i) => `v${i}`));
  });

  it("rejects the in-flight request with RemoteUnavailableError on a dropped connection, then reconnects", async function () {
    const r = remote(ALICE, dev.keys(ALICE));
    await r.request("noop:0");
    const inFlight = r.request("noop:4000");
    const queued = r.request("noop:0");
    await new Promise((resolve) => setImmediate(resolve));
    dev.server.dropConnections(ALICE);
    const err = await rejectionOf(inFlight);
    expect(err).to.be.instanceOf(RemoteUnavailableError);
    expect(err).to.include({ retryable: true, code: "REMOTE_UNAVAILABLE" });
    expect(r.connected).to.equal(false);
    // The request queued behind it opens a new connection.
    expect(await queued).to.equal("ok");
    expect(r.connected).to.equal(true);
    expect(await r.request(`llookup:public:location.wavi${ALICE}`)).to.equal("london🛠");
  });

  it("times out a reply, drops that connection, and reconnects on the next request", async function () {
    const r = remote(BOB, dev.keys(BOB), { requestTimeoutMs: 5000 });
    await r.request("noop:0");
    const err = await rejectionOf(r.request("noop:3000", { timeoutMs: 150 }));
    expect(err).to.be.instanceOf(RemoteUnavailableError);
    expect(err).to.include({ reason: "timeout" });
    expect(r.connected).to.equal(false);
    expect(await r.request("noop:0")).to.equal("ok");
  });

  it("aborts a request by its signal", async function () {
    const r = remote(BOB, dev.keys(BOB));
    await r.request("noop:0");
    const ac = new AbortController();
    const p = r.request("noop:3000", { signal: ac.signal });
    await new Promise((resolve) => setImmediate(resolve));
    ac.abort();
    const err = await rejectionOf(p);
    expect((err as Error).name).to.equal("AbortError");
    expect(await r.request("noop:0")).to.equal("ok");
    const already = await rejectionOf(r.request("noop:0", { signal: AbortSignal.abort() }));
    expect((already as Error).name).to.equal("AbortError");
  });

  it("settles an aborted request at once while it waits behind another", async function () {
    const r = remote(BOB, dev.keys(BOB));
    await r.request("noop:0");
    const slow = r.request("noop:1500");
    const ac = new AbortController();
    const queued = r.request("noop:0", { signal: ac.signal });
    ac.abort();
    const startedAt = Date.now();
    expect(((await rejectionOf(queued)) as Error).name).to.equal("AbortError");
    expect(Date.now() - startedAt).to.be.below(1000);
    // The request ahead of it is untouched.
    expect(await slow).to.equal("ok");
    expect(r.connected).to.equal(true);
  });

  it("refuses a bad PKAM key with a non-retryable AuthFailedError that quotes no key", async function () {
    const alice = dev.keys(ALICE);
    const bob = dev.keys(BOB);
    const wrong: AtKeys = { ...alice, pkamPrivateKey: bob.pkamPrivateKey };
    const r = remote(ALICE, wrong);
    const err = await rejectionOf(r.request("noop:0"));
    expect(err).to.be.instanceOf(AuthFailedError);
    expect(err).to.include({ retryable: false, code: "AUTH_FAILED", atCode: "AT0401" });
    expect(r.connected).to.equal(false);
    expectNoSecrets(err, wrong);
    // And again on the next request: no state is left half-authenticated.
    expect(await rejectionOf(r.request("noop:0"))).to.be.instanceOf(AuthFailedError);
  });

  it("refuses keys without a PKAM private key before touching the network", async function () {
    const { pkamPrivateKey: _drop, ...noPkam } = dev.keys(FRESH);
    const err = await rejectionOf(remote(FRESH, noPkam).request("noop:0"));
    expect(err).to.be.instanceOf(AuthFailedError);
  });

  it("reports an atSign the root does not know as AT0007", async function () {
    const err = await rejectionOf(remote("@nobody🛠", dev.keys(FRESH)).request("noop:0"));
    expect(err).to.be.instanceOf(AtProtocolError);
    expect((err as AtProtocolError).code).to.equal("AT0007");
  });

  it("refuses a multi-line or oversized command without sending it", async function () {
    const r = remote(FRESH, dev.keys(FRESH));
    const err = await rejectionOf(r.request(`update:x.wavi${FRESH} a\nb`));
    expect((err as AtProtocolError).code).to.equal("AT0022");
    const big = await rejectionOf(r.request(`update:x.wavi${FRESH} ${"🛠".repeat(MAX_COMMAND_BYTES / 4)}`));
    expect((big as AtProtocolError).code).to.equal("AT0005");
    expect(r.connected).to.equal(false);
  });

  it("close() fails the in-flight request and every later one", async function () {
    const r = remote(FRESH, dev.keys(FRESH));
    await r.request("noop:0");
    const inFlight = r.request("noop:3000");
    await new Promise((resolve) => setImmediate(resolve));
    await r.close();
    expect(await rejectionOf(inFlight)).to.be.instanceOf(RemoteUnavailableError);
    expect(await rejectionOf(r.request("noop:0"))).to.be.instanceOf(RemoteUnavailableError);
    await waitFor(() => !r.connected, "disconnect");
  });
});
