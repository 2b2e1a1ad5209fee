// Start-up with many atSigns: a daemon with N onboarded atSigns (default 100) is stopped and
// started again on the same data dir, and timed from the spawn of `atsyncd run` until (a) the
// socket answers `status`, (b) the first atSign is online, (c) every atSign is online; with the
// CLI-style "not running" answers before (a), the CPU time the daemon used until (c) (on a loaded
// machine the figure that compares runs best), the RSS and threads once all are online. The
// dev-server runs in another process. Onboarding the N atSigns first takes a while; only the
// restart is measured.
// Run (after `npm run build`): node --import tsx bench/startup.ts [atSigns]
// Target: the socket answers at once (well under a second); every atSign online in a time stated.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { AtsyncClient } from "../client/index.js";
import type { SyncStatus } from "../shared/status.js";
import { atsyncdBin, startTestDaemon } from "../test/support/daemon.js";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";
import { cpuSeconds, machineLoad, rssMb, threadCount } from "./support/procStats.js";

const COUNT = Number(process.argv[2] ?? 100);
const atSigns = Array.from({ length: COUNT }, (_, i) => `@boot${i}🛠`);

const online = (s: SyncStatus): boolean => s.state.kind === "online" || s.state.kind === "syncing";

async function restartTimed(dataDir: string, socketPath: string): Promise<void> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [atsyncdBin, "run", "--data-dir", dataDir, "--socket", socketPath, "--key-store", "file"], {
    env: { ...process.env }, stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let client: AtsyncClient | undefined;
  let refused = 0;
  try {
    while (client === undefined) {
      try {
        client = await AtsyncClient.connect({ socketPath, clientName: "bench-startup" });
      } catch {
        refused++;
        await new Promise((r) => setTimeout(r, 10));
      }
      if (performance.now() - t0 > 120_000) throw new Error("the socket never answered");
    }
    const first = await client.status();
    const tSocket = performance.now() - t0;
    const kinds = new Map<string, number>();
    for (const s of first) kinds.set(s.state.kind, (kinds.get(s.state.kind) ?? 0) + 1);
    let tFirst: number | undefined;
    let tAll: number | undefined;
    let lied = 0;
    while (tAll === undefined) {
      const st = await client.status();
      // A status is never online before its worker is up: `starting` comes first.
      lied += st.filter((s) => s.inSync && !online(s)).length;
      const up = st.filter(online).length;
      if (up > 0) tFirst ??= performance.now() - t0;
      if (up === COUNT && st.length === COUNT) tAll = performance.now() - t0;
      else await new Promise((r) => setTimeout(r, 20));
      if (performance.now() - t0 > 300_000) throw new Error(`only ${up} of ${COUNT} online after 300 s`);
    }
    const pid = proc.pid ?? 0;
    process.stdout.write(
      `restart with ${COUNT} atSigns (${machineLoad()}): socket answers status after ${tSocket.toFixed(0)} ms (${refused} connects refused before), `
      + `first status ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}; first atSign online after ${(tFirst ?? 0).toFixed(0)} ms, `
      + `all ${COUNT} online after ${tAll.toFixed(0)} ms, the daemon using ${cpuSeconds(pid).toFixed(1)} s of CPU by then; RSS ${rssMb(pid).toFixed(0)} MB, ${threadCount(pid)} threads`
      + `${lied > 0 ? `; ${lied} statuses in sync while not online` : ""}\n`,
    );
  } finally {
    await client?.close();
    proc.kill("SIGTERM");
    await exited;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-startup-"));
  let server: BenchChild | undefined;
  try {
    server = await spawnBenchChild(fileURLToPath(new URL("./support/serverMain.ts", import.meta.url)), [join(dir, "server"), ...atSigns.map((a) => `${a}=0`)]);
    const t0 = performance.now();
    const first = await startTestDaemon({ devServer: { info: server.info as DevServerInfo }, atSigns, dir: join(dir, "daemon"), readyTimeoutMs: 600_000 });
    process.stdout.write(`onboarded ${COUNT} atSigns in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)\n`);
    await first.stop();
    await restartTimed(first.dataDir, first.socketPath);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
