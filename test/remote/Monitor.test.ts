import { expect } from "chai";
import type { AtNotification } from "../../daemon/ports.js";
import { Monitor, type MonitorState } from "../../daemon/remote/Monitor.js";
import { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { Backoff } from "../../daemon/backoff.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { fixturesOrSkip } from "../support/fixtures.js";
import { ALICE, BOB, FRESH, startTestDevServer, type TestDevServer } from "./support/testDevServer.js";
import { waitFor } from "./support/waitFor.js";

interface Watched {
  monitor: Monitor;
  notes: AtNotification[];
  states: MonitorState[];
}

describe("remote/Monitor against the dev-server", function () {
  let dev: TestDevServer;
  let resolver: RootResolver;
  const clock = new SystemClock();
  const monitors: Monitor[] = [];
  const remotes: TlsRemote[] = [];

  function watch(atSign: string, opts: { heartbeatMs?: number; regex?: string } = {}): Watched {
    const monitor = new Monitor({
      atSign, keys: dev.keys(atSign), resolver, ca: dev.ca, clock, logger: nullLogger,
      backoff: new Backoff({ baseMs: 20, maxMs: 200 }), ...opts,
    });
    monitors.push(monitor);
    const w: Watched = { monitor, notes: [], states: [] };
    monitor.onNotification((n) => w.notes.push(n));
    monitor.onStateChange((s) => w.states.push(s));
    return w;
  }

  function writer(atSign: string): TlsRemote {
    const r = new TlsRemote({ atSign, keys: dev.keys(atSign), resolver, ca: dev.ca, clock, logger: nullLogger });
    remotes.push(r);
    return r;
  }

  const stats = (atSign: string, w: Watched): AtNotification[] => w.notes.filter((n) => n.key === `statsNotification.${atSign}`);

  before(async function () {
    fixturesOrSkip(this);
    dev = await startTestDevServer();
    resolver = new RootResolver({ root: dev.server.info.root, ca: dev.ca, clock });
  });
  after(async function () {
    await Promise.all(monitors.map((m) => m.stop()));
    await Promise.all(remotes.map((r) => r.close()));
    await dev?.stop();
  });

  it("receives a statsNotification carrying the commit id of a write made on another connection", async function () {
    const w = watch(FRESH);
    w.monitor.start();
    w.monitor.start(); // idempotent
    await waitFor(() => w.monitor.currentState === "online", "monitor online");
    expect(w.states).to.deep.equal(["connecting", "online"]);
    const commitId = await writer(FRESH).request(`update:phone.wavi${FRESH} 1`);
    await waitFor(() => stats(FRESH, w).some((n) => n.value === commitId), "statsNotification");
    const n = stats(FRESH, w).find((x) => x.value === commitId);
    expect(n).to.include({ id: "-1", from: FRESH, to: FRESH, operation: "update" });
    expect(n?.epochMillis).to.be.a("number");
  });

  it("reconnects by itself after dropConnections and keeps delivering", async function () {
    const w = watch(ALICE);
    w.monitor.start();
    await waitFor(() => w.monitor.currentState === "online", "monitor online");
    const alice = writer(ALICE);
    dev.server.dropConnections(ALICE);
    await waitFor(() => w.states.includes("offline"), "monitor offline");
    await waitFor(() => w.monitor.currentState === "online", "monitor back online");
    expect(w.states).to.deep.equal(["connecting", "online", "offline", "connecting", "online"]);
    const commitId = await alice.request(`update:after.wavi${ALICE} 2`);
    await waitFor(() => stats(ALICE, w).some((n) => n.value === commitId), "statsNotification after reconnect");
  });

  it("keeps its connection alive with noop heartbeats", async function () {
    const w = watch(BOB, { heartbeatMs: 300 });
    w.monitor.start();
    await waitFor(() => w.monitor.currentState === "online", "monitor online");
    // Several heartbeat rounds pass without a reconnect.
    const until = Date.now() + 1000;
    await waitFor(() => Date.now() > until, "heartbeat rounds");
    expect(w.states).to.deep.equal(["connecting", "online"]);
    const commitId = await writer(BOB).request(`update:hb.wavi${BOB} 3`);
    await waitFor(() => stats(BOB, w).some((n) => n.value === commitId), "statsNotification");
  });

  it("reconnectNow replaces a live connection; stop ends everything", async function () {
    const w = watch(FRESH);
    w.monitor.start();
    await waitFor(() => w.monitor.currentState === "online", "monitor online");
    w.monitor.reconnectNow();
    await waitFor(() => w.states.length >= 4 && w.monitor.currentState === "online", "reconnected");
    expect(w.states).to.deep.equal(["connecting", "online", "connecting", "online"]);
    await w.monitor.stop();
    expect(w.monitor.currentState).to.equal("offline");
    const seen = w.notes.length;
    const commitId = await writer(FRESH).request(`update:stopped.wavi${FRESH} 4`);
    // A live monitor on the same atSign proves the notification went out.
    const other = watch(FRESH);
    other.monitor.start();
    await waitFor(() => other.monitor.currentState === "online", "second monitor");
    await writer(FRESH).request(`update:stopped2.wavi${FRESH} 5`);
    await waitFor(() => other.notes.length > 0, "second monitor notification");
    expect(commitId).to.match(/^\d+$/u);
    expect(w.notes.length).to.equal(seen);
    expect(w.states.at(-1)).to.equal("offline");
  });
});
