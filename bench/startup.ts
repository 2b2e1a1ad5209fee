// Start-up with many atSigns: a daemon with N onboarded atSigns (default 100) is stopped and
// started again on the same data dir, and timed from the spawn of `atsyncd run` until (a) the
// socket answers `status`, (b) the first atSign is online, (c) every atSign is online; with the
// CLI-style "not running" answers before (a), the CPU time the daemon used until (c) (on a loaded
// machine the figure that compares runs best), the RSS and threads once all are online. The
// dev-server runs in another process. Onboarding the N atSigns first takes a while; only the
// restart is measured. Baselines, in the same run: a bare `node` process until it prints a line
// (for the socket), and N bare worker threads started as many at a time as the daemon starts its
// workers (for every atSign online, and its CPU).
// Run (after `npm run build`): node --import tsx bench/startup.ts [atSigns]
// Target: the socket answers at once (well under a second); every atSign online in a time stated.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { startTestDaemon } from "../test/support/daemon.js";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";
import { startBareWorkers } from "./support/bareWorkers.js";
import { figure } from "./support/figure.js";
import { machineLoad, rssMb, threadCount } from "./support/procStats.js";
import { restartTimed } from "./support/restart.js";

const COUNT = Number(process.argv[2] ?? 100);
const atSigns = Array.from({ length: COUNT }, (_, i) => `@boot${i}🛠`);

/** From the spawn of a bare `node` until it has printed a line: what "at once" can be. */
function bareNodeMs(): number {
  const t = performance.now();
  spawnSync(process.execPath, ["-e", "console.log(1)"], { stdio: ["ignore", "pipe", "ignore"] });
  return performance.now() - t;
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
    const d = await restartTimed(first.dataDir, first.socketPath, COUNT);
    const f = d.figures;
    const load = machineLoad();
    const rss = rssMb(d.pid);
    const threads = threadCount(d.pid);
    await d.stop();
    const nodeMs = bareNodeMs();
    const bare = await startBareWorkers(COUNT);
    const bareCpu = bare.startCpuMs / 1000;
    await bare.stop();
    process.stdout.write(
      `restart with ${COUNT} atSigns (${load}): socket answers status after ${f.socketMs.toFixed(0)} ms (${f.refused} connects refused before), `
      + `first status ${f.firstStatus}; first atSign online after ${f.firstOnlineMs.toFixed(0)} ms, `
      + `all ${COUNT} online after ${f.allOnlineMs.toFixed(0)} ms, the daemon using ${f.cpuS.toFixed(1)} s of CPU by then; RSS ${rss.toFixed(0)} MB, ${threads} threads`
      + `${f.lied > 0 ? `; ${f.lied} statuses in sync while not online` : ""}\n`
      + `baselines: a bare node printed its first line after ${nodeMs.toFixed(0)} ms; ${COUNT} bare worker threads were up after ${bare.startMs.toFixed(0)} ms, ${bareCpu.toFixed(1)} s of CPU\n`,
    );
    const note = `${load}; CPU and times vary with the load`;
    figure({ name: `start-up, ${COUNT} atSigns: the socket answers status`, value: Math.round(f.socketMs), unit: "ms", better: "lower", baseline: { name: "a bare node process printing a line", value: Math.round(nodeMs) }, target: 1000, note });
    figure({ name: `start-up, ${COUNT} atSigns: every atSign online`, value: +(f.allOnlineMs / 1000).toFixed(1), unit: "s", better: "lower", baseline: { name: `${COUNT} bare worker threads up, as many at a time`, value: +(bare.startMs / 1000).toFixed(1) }, target: null, note });
    figure({ name: `start-up, ${COUNT} atSigns: CPU until every atSign online`, value: +f.cpuS.toFixed(1), unit: "s", better: "lower", baseline: { name: `${COUNT} bare worker threads up`, value: +bareCpu.toFixed(1) }, target: null, note });
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
