// The command connection's half of `connected` (daemon/status/HealthTrackingRemote.ts): which
// outcomes of a request count against it. A real TlsRemote over real TLS to the dev-server,
// through a proxy (test/support/atServerProxy.ts) that refuses, cuts or silences the command
// connection on cue: a failure for the network counts; a reply, `error:` ones too, clears it;
// an AT error raised on this side, an abort and a close are no news of the atServer either way.
import { expect } from "chai";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { AtProtocolError } from "../../protocol/errors.js";
import { RemoteUnavailableError } from "../../daemon/remote/errors.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { HealthTrackingRemote } from "../../daemon/status/HealthTrackingRemote.js";
import { startAtServerProxy, type AtServerProxy } from "../support/atServerProxy.js";
import { FRESH, startTestDevServer, type TestDevServer } from "../remote/support/testDevServer.js";
import { rejectionOf, waitFor } from "../remote/support/waitFor.js";

const KEY = `phone.wavi${FRESH}`;

describe("status/HealthTrackingRemote: which request failures count against connected (real TLS to the dev-server)", function () {
  const clock = new SystemClock();
  let dev: TestDevServer;
  let proxy: AtServerProxy;
  let remote: HealthTrackingRemote;
  let changes: number;

  before(async function () {
    dev = await startTestDevServer();
  });
  after(async function () {
    await dev?.stop();
  });

  beforeEach(async function () {
    proxy = await startAtServerProxy(dev.server, FRESH);
    const resolver = new RootResolver({ root: proxy.root, ca: dev.ca, clock });
    remote = new HealthTrackingRemote(new TlsRemote({ atSign: FRESH, keys: dev.keys(FRESH), resolver, ca: dev.ca, clock, logger: nullLogger }), clock);
    changes = 0;
    remote.onChange(() => changes++);
    // Connected and logged in: every test starts from a command connection that works.
    await remote.request(`update:${KEY} 1`);
  });
  afterEach(async function () {
    await remote?.close();
    await proxy?.close();
  });

  /** The command connection fails for the network (connections refused): the failure every test builds on. */
  async function failIt(): Promise<void> {
    proxy.cutCommandConnections();
    await waitFor(() => !remote.connected, "the cut connection to close");
    expect(await rejectionOf(remote.request(`llookup:${KEY}`))).to.be.instanceOf(RemoteUnavailableError);
    expect(remote.lastFailure).not.to.equal(null);
  }

  /** After failIt(), `command` ends in the AT error `code`, and the failure stands as it was, nothing told. */
  async function expectFailureStands(code: string, command: string): Promise<void> {
    const failure = remote.lastFailure;
    const err = await rejectionOf(remote.request(command));
    expect(err).to.be.instanceOf(AtProtocolError).and.to.have.property("code", code);
    expect(remote.lastFailure).to.equal(failure);
    expect(changes).to.equal(1);
  }

  it("a reply: no failure, and nothing to tell", async function () {
    expect(await remote.request(`llookup:${KEY}`)).to.equal("1");
    expect(remote.lastFailure).to.equal(null);
    expect(changes).to.equal(0);
  });

  it("the atServer refusing new connections (no reconnect): a failure, with when and why, told once", async function () {
    const t0 = Date.now();
    proxy.cutCommandConnections();
    await waitFor(() => !remote.connected, "the cut connection to close");
    const err = await rejectionOf(remote.request(`llookup:${KEY}`));
    expect(err).to.be.instanceOf(RemoteUnavailableError);
    expect(remote.lastFailure?.message).to.match(/^cannot connect to 127\.0\.0\.1:\d+: /u);
    expect(remote.lastFailure?.at).to.be.within(t0, Date.now());
    expect(changes).to.equal(1);
  });

  it("the connection cut while a request waits for its reply: a failure", async function () {
    proxy.stallCommandConnections();
    const pending = rejectionOf(remote.request(`llookup:${KEY}`));
    await waitFor(() => proxy.held() > 0, "the request to reach the proxy");
    proxy.cutCommandConnections();
    expect(await pending).to.be.instanceOf(RemoteUnavailableError);
    expect(remote.lastFailure?.message).to.match(/^connection (closed|error)/u);
  });

  it("no reply within the request's timeout (an atServer gone silent): a failure", async function () {
    proxy.stallCommandConnections();
    const err = await rejectionOf(remote.request(`llookup:${KEY}`, { timeoutMs: 300 }));
    expect(err).to.be.instanceOf(RemoteUnavailableError);
    expect(remote.lastFailure?.message).to.equal("no reply within 300 ms");
  });

  it("a connection the atServer dropped while idle is no failure: the next request reconnects and gets its reply", async function () {
    dev.server.dropConnections(FRESH);
    await waitFor(() => !remote.connected, "the dropped connection to close");
    expect(await remote.request(`llookup:${KEY}`)).to.equal("1");
    expect(remote.lastFailure).to.equal(null);
    expect(changes).to.equal(0);
  });

  it("an error: reply is a reply: no failure, and it clears an earlier one", async function () {
    await failIt();
    proxy.allow();
    const err = await rejectionOf(remote.request(`llookup:nosuchkey.wavi${FRESH}`));
    expect(err).to.be.instanceOf(AtProtocolError).and.to.have.property("code", "AT0015");
    expect(remote.lastFailure).to.equal(null);
    expect(changes).to.equal(2);
  });

  it("an AT error raised here before anything is sent (a command of two lines, AT0022) is no reply: an earlier failure stands", async function () {
    await failIt();
    proxy.allow();
    await expectFailureStands("AT0022", `llookup:${KEY}\nscan`);
  });

  it("a root that names no atServer for the atSign (AT0007) is no reply of the atServer: an earlier failure stands", async function () {
    await failIt();
    proxy.setListed(false);
    proxy.allow();
    await expectFailureStands("AT0007", `llookup:${KEY}`);
  });

  it("an aborted request is ours, not the network's: no failure, aborted waiting for its reply or before its turn", async function () {
    proxy.stallCommandConnections();
    const inFlight = new AbortController();
    const queued = new AbortController();
    const first = rejectionOf(remote.request(`llookup:${KEY}`, { signal: inFlight.signal }));
    const second = rejectionOf(remote.request(`llookup:${KEY}`, { signal: queued.signal }));
    await waitFor(() => proxy.held() > 0, "the first request to reach the proxy");
    // An abort whose reason is itself a RemoteUnavailableError is still ours.
    inFlight.abort(new RemoteUnavailableError("closed", "run cancelled"));
    queued.abort();
    await Promise.all([first, second]);
    expect(remote.lastFailure).to.equal(null);
    expect(changes).to.equal(0);
  });

  it("a request cut short by close() is ours: no failure", async function () {
    proxy.stallCommandConnections();
    const pending = rejectionOf(remote.request(`llookup:${KEY}`));
    await waitFor(() => proxy.held() > 0, "the request to reach the proxy");
    await remote.close();
    expect(await pending).to.be.instanceOf(RemoteUnavailableError);
    expect(remote.lastFailure).to.equal(null);
    expect(changes).to.equal(0);
  });
});
