// Initial sync throughput: fills a dev-server atSign with N keys (default 100,000) and times a
// fresh engine's full pull over loopback TLS. Run: node --import tsx bench/initial-sync.ts [N] [connections]
// Target: ≥ 30,000 keys/s. The dev-server runs in a child process (this file with `--serve`),
// as a real atServer would, so its work does not share the engine's event loop.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServerInfo } from "../atserver/index.js";
import { decodeAtKeysFile } from "../protocol/atKeysFile.js";
import { SystemClock } from "../daemon/adapters/SystemClock.js";
import { nullLogger } from "../daemon/adapters/nullLogger.js";
import { Backoff } from "../daemon/backoff.js";
import { RootResolver } from "../daemon/remote/RootResolver.js";
import { TlsRemote } from "../daemon/remote/TlsRemote.js";
import { SqliteStore } from "../daemon/store/SqliteStore.js";
import { SyncDriver } from "../daemon/sync/SyncDriver.js";

const N = Number(process.argv[2] ?? 100_000) || 100_000;
/** Connections the pull uses (the engine's own plus extra ones for disjoint ranges). */
const LANES = Number(process.argv[3] ?? 4) || 1;
const BATCH = 500;
const ATSIGN = "@bench🛠";

/** Child mode: serve the data dir, print the info line, stop when stdin closes. */
async function serve(dataDir: string): Promise<void> {
  const dev = await startDevServer({ dataDir, atSigns: [ATSIGN], statsIntervalMs: 600_000 });
  process.stdout.write(`${JSON.stringify(dev.info)}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void dev.stop().then(() => process.exit(0)));
}

function startServerProcess(dataDir: string): Promise<{ child: ChildProcess; info: DevServerInfo }> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--serve", dataDir], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let buf = "";
    child.once("exit", (code) => reject(new Error(`dev-server process exited (${code})`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve({ child, info: JSON.parse(buf.slice(0, nl)) as DevServerInfo });
    });
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "atsyncd-bench-"));
  const clock = new SystemClock();
  const { child, info } = await startServerProcess(dataDir);
  const entry = info.atSigns[ATSIGN];
  if (!entry) throw new Error("dev-server did not create the bench atSign");
  const keys = decodeAtKeysFile(readFileSync(entry.atKeys, "utf8"), ATSIGN);
  const ca = readFileSync(info.ca, "utf8");
  const remote = (): TlsRemote =>
    new TlsRemote({ atSign: ATSIGN, keys, ca, clock, logger: nullLogger, resolver: new RootResolver({ root: info.root, ca, clock }) });
  const filler = remote();
  const value = Buffer.alloc(48, 7).toString("base64");
  try {
    let t = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const items = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        items.push({ id: j - i + 1, command: `update:isEncrypted:true:key${j}.bench${ATSIGN} ${value}` });
      }
      await filler.request(`batch:${JSON.stringify(items)}`);
    }
    const fillS = (performance.now() - t) / 1000;
    process.stdout.write(`filled ${N} keys in ${fillS.toFixed(1)} s (${Math.round(N / fillS)} keys/s pushed through batch)\n`);

    const store = SqliteStore.open({ path: join(dataDir, "device.db"), clock });
    const syncRemote = remote();
    const extra = Array.from({ length: LANES - 1 }, remote);
    await Promise.all([syncRemote, ...extra].map((r) => r.request("noop:0")));
    const driver = new SyncDriver({
      atSign: ATSIGN, remote: syncRemote, pullRemotes: extra, store, clock, logger: nullLogger, backoff: new Backoff(),
    });
    driver.start();
    t = performance.now();
    await driver.syncNow();
    const pullS = (performance.now() - t) / 1000;
    const have = store.listKeys({ namespace: "bench" }).length;
    process.stdout.write(`initial sync over ${LANES} connection(s): ${have} keys in ${pullS.toFixed(2)} s = ${Math.round(have / pullS)} keys/s\n`);
    await driver.stop();
    await Promise.all([syncRemote, ...extra].map((r) => r.close()));
    store.close();
  } finally {
    await filler.close();
    const exited = new Promise((r) => child.once("exit", r));
    child.stdin?.end();
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf("--serve");
(serveAt >= 0 ? serve(process.argv[serveAt + 1] ?? ".") : main()).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
