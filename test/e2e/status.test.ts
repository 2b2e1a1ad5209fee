// A status that never lies: a real daemon (child process) against a dev-server in its own process
// that is stopped, frozen (SIGSTOP), restarted and cut off, one test per state and transition,
// each checking the bound it promises (daemon/status/bounds.ts, README "Status fields"):
//   - the atServer going away (exit, freeze, dropped connections) shows as offline, connected
//     false and not in sync within OFFLINE_WITHIN_MS (10 s);
//   - back: online and in sync again within the monitor's backoff cap (30 s) plus one sync;
//   - the command connection refused while the monitor stays up (a proxy in between): offline
//     within OFFLINE_WITHIN_MS of the first request that finds it refused, and back;
//   - a daemon started while its atServer is frozen: connecting, then online and in sync.
// These are bounds the status promises, not speed claims: each is the most the daemon may take.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { OFFLINE_WITHIN_MS } from "../../daemon/status/bounds.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { storePath } from "../../daemon/worker/storePath.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import type { SyncStatus } from "../../shared/status.js";
import { runCli, watchCli, type WatchProcess } from "../cli/support/cli.js";
import { startAtServerProxy, type AtServerProxy } from "../support/atServerProxy.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { startDevServerProcess, type DevServerProcess } from "../support/devServerProcess.js";
import { ALICE, useDevServer } from "./devServer.js";

/** The monitor's reconnect backoff cap (daemon/worker/main.ts) plus one sync: the most "back online and in sync" may take. */
const BACK_WITHIN_MS = 30_000 + 5_000;

/** How long a started daemon may take to report its worker (connecting, or anything past it): the harness's start-up bound. */
const CONNECTING_WITHIN_MS = 20_000;
/**
 * Once the atServer answers, how long the first sync may take: the attempt under way completes,
 * or, if it timed out, the sync's retry (its backoff starts at 1 s, a few seconds after so short
 * an outage) connects afresh; then one small sync.
 */
const FIRST_SYNC_WITHIN_MS = 20_000;

/** Says what was measured, beside the test's name (the README and RELIABILITY quote these). */
function measured(what: string, ms: number): void {
  process.stdout.write(`      (${what} after ${ms} ms)\n`);
}

/** Polls ALICE's status until `pred` holds; returns it and how long it took, or fails past `boundMs`. */
async function until(d: TestDaemon, what: string, pred: (s: SyncStatus) => boolean, boundMs: number, t0 = Date.now()): Promise<{ s: SyncStatus; ms: number }> {
  let last: SyncStatus | undefined;
  for (;;) {
    last = (await d.client.status(ALICE))[0];
    if (last !== undefined && pred(last)) return { s: last, ms: Date.now() - t0 };
    if (Date.now() - t0 > boundMs) throw new Error(`not ${what} within ${boundMs} ms; last status: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const offline = (s: SyncStatus): boolean => !s.connected && !s.inSync && (s.state.kind === "offline" || s.state.kind === "backoff");
const inSync = (s: SyncStatus): boolean => s.inSync && s.connected && s.state.kind === "online";

describe("e2e: status against an atServer that is stopped, frozen and restarted", function () {
  this.timeout(180_000);
  let dir: string;
  let ds: DevServerProcess | undefined;
  let d: TestDaemon | undefined;
  const watchers: WatchProcess[] = [];
  const cli = (args: string[]) => runCli([...args, "--socket", d!.socketPath]);

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-e2e-status-"));
    ds = await startDevServerProcess({ dataDir: join(dir, "dev"), atSigns: [ALICE] });
    d = await startTestDaemon({ devServer: ds, atSigns: [ALICE] });
  });

  after(async function () {
    for (const w of watchers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await d?.dispose();
    await ds?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("online and in sync: once the first sync is done, within 20 s of onboarding", async function () {
    const { s } = await until(d!, "in sync", inSync, 20_000);
    expect(s).to.deep.include({ pendingUploads: 0, rejectedUploads: 0, lastRejected: null });
    expect(s.lastReceivedCommitId).to.equal(s.serverCommitId);
    const text = await cli(["status"]);
    expect(text.code).to.equal(0);
    expect(text.stdout.split("\n")[1]).to.match(new RegExp(`^${ALICE}  in sync {10}synced `, "u"));
  });

  it("connecting, then online and in sync: a daemon started while its atServer is frozen (SIGSTOP) says connecting within 20 s, never connected or in sync while it does not answer; thawed, online and in sync within 20 s", async function () {
    // Onboarding proves the keys with a login, so the atServer freezes between two runs of the daemon.
    await d!.stop();
    ds!.freeze();
    try {
      const t0 = Date.now();
      d = await d!.restart({ socketOnly: true });
      // The worker's first connect hangs on the frozen root (its TLS handshake unanswered) for up to 10 s.
      const { s, ms } = await until(d, "connecting", (x) => x.state.kind === "connecting", CONNECTING_WITHIN_MS, t0);
      measured("connecting", ms);
      expect(s).to.deep.include({ connected: false, inSync: false });
      if (s.state.kind === "connecting") expect(s.state.attempt).to.be.at.least(1);
      // For as long as it gets no answer, connecting (or, once a connect timed out, offline or backing off), and never connected.
      const watchedUntil = Date.now() + 2_000;
      while (Date.now() < watchedUntil) {
        const x = (await d.client.status(ALICE))[0];
        expect([x?.state.kind, x?.connected, x?.inSync], JSON.stringify(x)).to.satisfy(
          ([kind, connected, synced]: [string, boolean, boolean]) => ["connecting", "offline", "backoff"].includes(kind) && !connected && !synced,
        );
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      ds!.thaw();
    }
    const thawed = Date.now();
    const online = await until(d, "online", (x) => x.connected && (x.state.kind === "online" || x.state.kind === "syncing"), FIRST_SYNC_WITHIN_MS, thawed);
    measured("online", online.ms);
    const synced = await until(d, "in sync", inSync, FIRST_SYNC_WITHIN_MS, thawed);
    measured("in sync", synced.ms);
    expect(synced.s.lastReceivedCommitId).to.equal(synced.s.serverCommitId);
  });

  it("stopped: offline within 10 s of the atServer exiting, saying why and when it tries again", async function () {
    const t0 = Date.now();
    await ds!.stop();
    const { s, ms } = await until(d!, "offline", offline, OFFLINE_WITHIN_MS, t0);
    measured("offline", ms);
    expect(ms).to.be.at.most(OFFLINE_WITHIN_MS);
    expect(s.state.kind).to.equal("offline");
    if (s.state.kind === "offline") expect(s.state.reason).to.match(/^(monitor connection lost: |cannot connect to )/u);
    const text = await cli(["status"]);
    // Offline is no failure of this device: exit 0, the reason on the line under it.
    expect(text.code).to.equal(0);
    const lines = text.stdout.split("\n");
    expect(lines[1]).to.match(new RegExp(`^${ALICE}  offline {10}synced `, "u"));
    expect(lines[2]).to.match(/^ {4}offline for \d+(ms|s) \(since \d\d:\d\d[+-Z]\S*\): .+; (next try in \S+|reconnecting)$/u);
  });

  it("stopped for a while: 'offline for' counts from when it went away, not from the latest reconnect attempt", async function () {
    const first = await until(d!, "offline", (x) => x.state.kind === "offline", OFFLINE_WITHIN_MS);
    if (first.s.state.kind !== "offline") throw new Error("not offline");
    const wentAway = first.s.state.since;
    // The monitor retries after 0.5, 1 and 2 s: by then it has failed at least twice more.
    await new Promise((r) => setTimeout(r, 4_000));
    const later = (await d!.client.status(ALICE))[0]!;
    expect(later.state.kind).to.equal("offline");
    if (later.state.kind === "offline") expect(later.state.since).to.equal(wentAway);
    const text = await cli(["status"]);
    const shown = /^ {4}offline for (\d+)s /u.exec(text.stdout.split("\n")[2] ?? "");
    expect(Number(shown?.[1]), text.stdout).to.be.at.least(4);
  });

  it("a write while it is down: backing off with the next try, exit 5", async function () {
    await d!.client.put(ALICE, `while-down.wavi${ALICE}`, "kept");
    const { s } = await until(d!, "backing off", (x) => x.state.kind === "backoff" && x.pendingUploads === 1, OFFLINE_WITHIN_MS);
    expect(s.connected).to.equal(false);
    const text = await cli(["status"]);
    expect(text.code).to.equal(5);
    const lines = text.stdout.split("\n");
    expect(lines[1]).to.match(new RegExp(`^${ALICE}  backing off {6}synced (just now|\\S+ ago)  1 pending `, "u"));
    expect(lines[2]).to.match(/^ {4}backing off, next try (in \S+|now) \(attempt \d+\): /u);
    expect(JSON.parse((await cli(["status", "--json"])).stdout)[0].state.kind).to.equal("backoff");
  });

  it("restarted: the dev-server keeps its root port; sync --wait returns in sync, and the daemon is online, in sync and uploaded within 35 s", async function () {
    const root = ds!.info.root;
    const t0 = Date.now();
    ds = await startDevServerProcess({ dataDir: join(dir, "dev"), atSigns: [ALICE] });
    expect(ds.info.root).to.equal(root);
    // Scenario: sync --wait right after the restart. Its run can end through the command
    // connection while the monitor still waits out its backoff; it used to return then, "offline,
    // next try in 17s" (exit 5), though it promises to return once in sync.
    const waited = await cli(["sync", ALICE, "--wait", "--json", "--timeout", String(BACK_WITHIN_MS / 1000)]);
    const [after] = JSON.parse(waited.stdout) as SyncStatus[];
    expect([waited.code, after?.inSync, after?.state.kind], waited.stdout + waited.stderr).to.deep.equal([0, true, "online"]);
    measured("sync --wait returned in sync", Date.now() - t0);
    const { s, ms } = await until(d!, "back in sync", (x) => inSync(x) && x.pendingUploads === 0, BACK_WITHIN_MS, t0);
    measured("in sync again", ms);
    expect(s.lastUploadError).to.equal(null);
    expect((await cli(["status"])).code).to.equal(0);
  });

  it("frozen (SIGSTOP): offline within 10 s, as its heartbeat goes unanswered; thawed: in sync again within 35 s", async function () {
    const t0 = Date.now();
    ds!.freeze();
    try {
      const { s, ms } = await until(d!, "offline", offline, OFFLINE_WITHIN_MS, t0);
      measured("offline", ms);
      expect(ms).to.be.at.most(OFFLINE_WITHIN_MS);
      expect(s.state.kind).to.equal("offline");
    } finally {
      ds!.thaw();
    }
    const t1 = Date.now();
    measured("in sync again", (await until(d!, "back in sync", inSync, BACK_WITHIN_MS, t1)).ms);
  });

  it("rejected: a change the atServer refuses for good is counted, the last named with its code, exit 5", async function () {
    // An older atsyncd stored a value the atServer's update refuses (a bare \r); today's write route
    // refuses it, so it goes into the stopped daemon's store as that version left it.
    await d!.stop();
    const store = SqliteStore.open({ path: storePath(d!.dataDir, ALICE), clock: new SystemClock() });
    const key = `public:refused.wavi${ALICE}`;
    try {
      store.putLocal(key, "a\rb");
    } finally {
      store.close();
    }
    d = await d!.restart();
    const { s } = await until(d, "rejected", (x) => x.rejectedUploads === 1 && x.pendingUploads === 0, 20_000);
    expect(s.lastRejected).to.deep.include({ key, code: "AT0003" });
    expect(s.inSync).to.equal(false);
    const text = await cli(["status"]);
    expect(text.code).to.equal(5);
    expect(text.stdout).to.include("0 pending, 1 rejected").and.include(`    rejected by the atServer for good: ${key}: AT0003 `);
    // Written again with a value it takes: no longer rejected, in sync.
    await d.client.put(ALICE, key, "fixed");
    await until(d, "in sync", (x) => inSync(x) && x.rejectedUploads === 0, 20_000);
  });

  it("watch: one line per sync, and across a daemon restart 'connection to atsyncd lost' and 'reconnected (resync)'", async function () {
    const w = watchCli(["watch", "--socket", d!.socketPath]);
    watchers.push(w);
    await w.line((l) => l.includes(` now: ${ALICE} `));
    await d!.client.put(ALICE, `watched.wavi${ALICE}`, "x");
    const synced = await w.line((l) => l.includes(" synced ↑1 "));
    expect(synced).to.match(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) ${ALICE} synced ↑1 ↓0 in \\S+$`, "u"));
    d = await d!.restart();
    await w.line((l) => l.endsWith(" connection to atsyncd lost, reconnecting"), 30_000);
    await w.line((l) => l.includes(" reconnected (resync)"), 30_000);
    await w.line((l) => l.includes(`reconnected (resync): ${ALICE} `), 30_000);
    w.child.kill("SIGINT");
    expect((await w.exited).code).to.equal(0);
  });

  it("watch of an atSign that is not onboarded exits 4, as every other command does", async function () {
    const r = await runCli(["watch", "@zed", "--socket", d!.socketPath], { timeoutMs: 10_000 });
    expect(r.code).to.equal(4);
    expect(r.stderr).to.match(/@zed is not onboarded/u);
  });
});

describe("e2e: status when the atServer cuts every connection (dropConnections)", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    await until(d, "in sync", inSync, 20_000);
  });

  after(async function () {
    await d?.dispose();
  });

  it("cut off: offline (connected false) within 10 s, then online and in sync again within 35 s", async function () {
    const stream = d!.client.subscribe({ atSigns: [ALICE], kinds: ["status.changed", "state.changed"] });
    await stream.next(); // the snapshot: nothing after it can be missed
    const t0 = Date.now();
    server().dev.dropConnections(ALICE);
    let wentOffline: number | undefined;
    let backAt: number | undefined;
    const kinds: string[] = [];
    for (;;) {
      const r = await Promise.race([stream.next(), new Promise<null>((res) => setTimeout(() => res(null), BACK_WITHIN_MS))]);
      if (r === null || r.done === true) break;
      const e = r.value;
      if (e.kind === "state.changed") kinds.push(`${e.from}→${e.to}`);
      if (e.kind !== "status.changed") continue;
      if (wentOffline === undefined && !e.status.connected) wentOffline = Date.now() - t0;
      if (wentOffline !== undefined && e.status.inSync) {
        backAt = Date.now() - t0;
        break;
      }
    }
    await stream.close();
    measured("offline", wentOffline ?? -1);
    measured("in sync again", backAt ?? -1);
    expect(wentOffline, "never seen offline").to.be.a("number").and.at.most(OFFLINE_WITHIN_MS);
    expect(backAt, `never back in sync; transitions: ${kinds.join(", ")}`).to.be.a("number").and.at.most(BACK_WITHIN_MS);
    // The subscribers were told in so many words: a state.changed to offline, and back.
    expect(kinds).to.include("online→offline");
    expect(kinds.at(-1)).to.match(/→online$/u);
  });
});

describe("e2e: status when only the command connection fails while the monitor stays up", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  let proxy: AtServerProxy | undefined;
  let d: TestDaemon | undefined;

  before(async function () {
    // The daemon reaches ALICE's atServer through a proxy that can refuse the command connection alone.
    proxy = await startAtServerProxy(server().dev, ALICE);
    d = await startTestDaemon({ devServer: { info: { ...server().dev.info, root: proxy.root } }, atSigns: [ALICE] });
    await until(d, "in sync", inSync, 20_000);
    await waitFor("the monitor through the proxy", () => proxy!.monitors().open === 1);
  });

  after(async function () {
    await d?.dispose();
    await proxy?.close();
  });

  it("command connection refused, monitor up: a write turns it offline (connected false) within 10 s; taken again: online, in sync and uploaded within 35 s, the monitor never reconnected", async function () {
    proxy!.cutCommandConnections();
    const t0 = Date.now();
    // The command connection is made on demand: the first request after the cut finds it refused.
    await d!.client.put(ALICE, `cut-off.wavi${ALICE}`, "kept");
    const { s, ms } = await until(d!, "offline", offline, OFFLINE_WITHIN_MS, t0);
    measured("offline", ms);
    expect(ms).to.be.at.most(OFFLINE_WITHIN_MS);
    const why = s.state.kind === "offline" ? s.state.reason : s.state.kind === "backoff" ? s.state.lastError.message : "";
    // The cut connection (if the request found it not yet closed), or the refused reconnect.
    expect(why).to.match(/^(command connection failed: )?(connection (closed|error)|cannot connect to 127\.0\.0\.1:\d+: )/u);
    expect(proxy!.monitors(), "the monitor stayed up").to.deep.equal({ opened: 1, open: 1 });
    const t1 = Date.now();
    proxy!.allow();
    const back = await until(d!, "back in sync", (x) => inSync(x) && x.pendingUploads === 0, BACK_WITHIN_MS, t1);
    measured("in sync again", back.ms);
    expect(back.s.lastUploadError).to.equal(null);
    expect(proxy!.monitors(), "the monitor stayed up throughout").to.deep.equal({ opened: 1, open: 1 });
  });
});
