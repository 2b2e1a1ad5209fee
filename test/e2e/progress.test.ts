// Sync progress as apps and `atsyncd status` see it: real counts while a long download and a
// long upload run, published at a bounded rate, never per key.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { atSignDbPath, startDevServer, type DevServer } from "../../atserver/DevServer.js";
import { buildMeta } from "../../atserver/store/buildMeta.js";
import { ServerStore } from "../../atserver/store/ServerStore.js";
import { formatStatusTable } from "../../daemon/cli/format/statusText.js";
import type { AtsyncEvent, StatusChangedEvent } from "../../shared/events.js";
import type { SyncStatus } from "../../shared/status.js";
import { startTestDaemon, type TestDaemon } from "../support/daemon.js";

const CAROL = "@carol🛠";
const SERVER_KEYS = 30_000;
const LOCAL_PUTS = 4_000;

/** A dev-server whose CAROL already holds SERVER_KEYS self keys (written into its stopped store). */
async function filledDevServer(dir: string): Promise<DevServer> {
  const first = await startDevServer({ dataDir: dir, atSigns: [CAROL] });
  await first.stop();
  const store = new ServerStore(atSignDbPath(dir, CAROL));
  try {
    const meta = buildMeta(CAROL, undefined, { isEncrypted: "true", ivNonce: "AAAAAAAAAAAAAAAAAAAAAA==", encoding: "base64" }, Date.now());
    const value = "x".repeat(88);
    function* rows(): Generator<{ key: string; value: string; meta: typeof meta }> {
      for (let i = 0; i < SERVER_KEYS; i++) yield { key: `key${i}.bulk${CAROL}`, value, meta };
    }
    store.bulkPut(rows());
  } finally {
    store.close();
  }
  return startDevServer({ dataDir: dir, statsIntervalMs: 3_600_000 });
}

function isStatus(e: AtsyncEvent): e is StatusChangedEvent {
  return e.kind === "status.changed" && e.atSign === CAROL;
}

describe("e2e: sync progress", function () {
  this.timeout(120_000);
  let dir: string;
  let dev: DevServer | undefined;
  let d: TestDaemon | undefined;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-e2e-progress-"));
    dev = await filledDevServer(join(dir, "dev"));
    d = await startTestDaemon({ devServer: dev });
  });

  after(async function () {
    await d?.dispose();
    await dev?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Collects CAROL's status.changed events until `done` says stop. */
  async function collect(app: Awaited<ReturnType<TestDaemon["connect"]>>, start: () => Promise<unknown>, done: (s: SyncStatus) => boolean): Promise<{ seen: SyncStatus[]; ms: number }> {
    const stream = app.subscribe({ atSigns: [CAROL], kinds: ["status.changed"] });
    await stream.next(); // the snapshot
    const seen: SyncStatus[] = [];
    const t0 = Date.now();
    await start();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await stream.next();
      if (r.done) throw new Error("event stream ended");
      if (isStatus(r.value)) {
        seen.push(r.value.status);
        if (done(r.value.status)) break;
      }
      if (Date.now() > deadline) throw new Error(`no final status; last: ${JSON.stringify(seen.at(-1))}`);
    }
    const ms = Date.now() - t0;
    await stream.close();
    return { seen, ms };
  }

  it("a long initial download counts server commits received against the server's commit id, both phases adding up, at a bounded rate", async function () {
    const app = await d!.connect("progress-download");
    const atKeys = readFileSync(dev!.info.atSigns[CAROL]!.atKeys, "utf8");
    const inSync = (s: SyncStatus): boolean => s.inSync;
    const { seen, ms } = await collect(app, () => app.onboard(CAROL, atKeys), inSync);
    const final = seen.at(-1)!;
    expect(final.state.kind).to.equal("online");
    const downloads = seen.flatMap((s) => (s.state.kind === "syncing" && s.state.progress.download !== null ? [s.state.progress.download] : []));
    expect(downloads.length, JSON.stringify(seen.map((s) => s.state))).to.be.greaterThan(0);
    const expected = final.serverCommitId! + 1; // from -1 to the server's id
    expect(expected).to.be.at.least(SERVER_KEYS);
    for (const p of downloads) {
      expect(p.total).to.equal(expected);
      expect(p.done).to.be.within(0, p.total);
    }
    const dones = downloads.map((p) => p.done);
    expect(dones).to.deep.equal([...dones].sort((a, b) => a - b));
    expect(Math.max(...dones), `progress seen: ${dones.join(", ")}`).to.be.greaterThan(0);
    // Nothing was uploaded: no upload phase appears.
    expect(seen.some((s) => s.state.kind === "syncing" && s.state.progress.upload !== null)).to.equal(false);
    // A phase that ran for over a second shows its rate and the time left.
    const lateStatus = downloads.find((p) => p.perSecond !== null);
    if (ms > 2000) expect(lateStatus, JSON.stringify(downloads)).to.not.equal(undefined);
    if (lateStatus) expect(lateStatus.etaMs).to.be.a("number").and.at.least(0);
    // At most one publication per 100 ms (plus the few state changes around it), never per key.
    expect(seen.length).to.be.at.most(Math.ceil(ms / 100) + 6);
    const mid = seen.find((s) => s.state.kind === "syncing" && (s.state.progress.download?.done ?? 0) > 0)!;
    const table = formatStatusTable([mid], { now: Date.now(), timeZone: "UTC" });
    expect(table[0]).to.match(/syncing ↓ \d+%/u);
    expect(table[1]).to.match(/^ {4}↓ [\d,]+\/[\d,]+ commits \(\d+%\)/u);
  });

  it("a long upload counts changes answered against those pending now; its echo is not a download", async function () {
    const app = await d!.connect("progress-upload");
    const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ op: "put" as const, key: `up${from + i}.bulk${CAROL}`, value: `v${i}` }));
    let more: Promise<unknown> | undefined;
    const { seen } = await collect(app, () => app.putMany(CAROL, items(0, LOCAL_PUTS)), (s) => {
      // Writes keep arriving while it uploads: the total must follow them.
      if (more === undefined && s.state.kind === "syncing") more = app.putMany(CAROL, items(LOCAL_PUTS, 1000));
      return more !== undefined && s.inSync;
    });
    await more;
    const uploads = seen.flatMap((s) => (s.state.kind === "syncing" && s.state.progress.upload !== null ? [{ p: s.state.progress.upload, pending: s.pendingUploads }] : []));
    expect(uploads.length, JSON.stringify(seen.map((s) => s.state))).to.be.greaterThan(0);
    for (const { p, pending } of uploads) {
      // done + what is pending now, whatever arrived since the upload began: never "100% (17,336/279)".
      expect(p.done).to.be.within(0, p.total);
      expect(p.total - p.done).to.equal(pending);
    }
    expect(Math.max(...uploads.map((u) => u.p.done))).to.be.greaterThan(0);
    expect(Math.max(...uploads.map((u) => u.p.total))).to.be.at.least(LOCAL_PUTS);
    // Pulling back the commits our own batches were given is no download.
    expect(seen.filter((s) => s.downloading || (s.state.kind === "syncing" && s.state.progress.download !== null)).map((s) => s.state)).to.deep.equal([]);
    expect((await app.status(CAROL))[0]?.pendingUploads).to.equal(0);
  });
});
