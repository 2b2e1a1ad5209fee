// An idle daemon sleeps: a daemon with 2 onboarded atSigns, in sync, left alone for 30 s.
// Reports the CPU time it used (/proc/<pid>/stat) and its wakeups (voluntary context switches
// of every thread, /proc/<pid>/task/*/status), per thread. The dev-server runs in another
// process with its stats and expiry sweeps off, so nothing is sent to the daemon meanwhile.
// Baseline, in the same run and for as long: a bare Node process with as many idle worker threads.
// Run (after `npm run build`): node --import tsx bench/idle.ts [seconds]
// Expected: the monitor heartbeat (noop:0 every 4 s per atSign) and little else.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../test/support/daemon.js";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";
import { startBareWorkers } from "./support/bareWorkers.js";
import { figure } from "./support/figure.js";
import { machineLoad } from "./support/procStats.js";
import { idleFor } from "./support/threads.js";

const SECONDS = Number(process.argv[2] ?? 30);
const ATSIGNS = ["@idle0🛠", "@idle1🛠"];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-idle-"));
  let server: BenchChild | undefined;
  let d: TestDaemon | undefined;
  try {
    server = await spawnBenchChild(fileURLToPath(new URL("./support/serverMain.ts", import.meta.url)), [dir, ...ATSIGNS.map((a) => `${a}=0`)]);
    d = await startTestDaemon({ devServer: { info: server.info as DevServerInfo }, atSigns: ATSIGNS });
    const c = d.client;
    await waitFor("both atSigns in sync", async () => {
      const st = await c.status();
      return st.length === ATSIGNS.length && st.every((s) => s.inSync);
    });
    // The harness's client stays connected (as an app would), but asks nothing while we watch.
    await new Promise((r) => setTimeout(r, 2000)); // let start-up work finish
    const idle = await idleFor(d.proc.pid ?? 0, SECONDS * 1000);
    const load = machineLoad();
    await d.dispose();
    d = undefined;
    const bare = await startBareWorkers(ATSIGNS.length);
    await new Promise((r) => setTimeout(r, 2000));
    const base = await idleFor(bare.pid, SECONDS * 1000);
    await bare.stop();
    const pct = (ms: number): number => +((ms / (SECONDS * 1000)) * 100).toFixed(2);
    process.stdout.write(`idle daemon, ${ATSIGNS.length} atSigns, ${SECONDS} s (${load}): CPU ${idle.cpuMs.toFixed(0)} ms (${pct(idle.cpuMs)}% of a core), ${idle.wakeups} wakeups (${(idle.wakeups / SECONDS).toFixed(1)}/s)\n`);
    for (const t of idle.threads) process.stdout.write(`  ${t.name.padEnd(16)} tid ${t.tid.padStart(7)}  cpu ${t.cpuMs.toFixed(0).padStart(4)} ms  wakeups ${t.wakeups}\n`);
    process.stdout.write(`baseline: a bare node with ${ATSIGNS.length} idle worker threads: CPU ${base.cpuMs.toFixed(0)} ms (${pct(base.cpuMs)}%), ${base.wakeups} wakeups (${(base.wakeups / SECONDS).toFixed(1)}/s)\n`);
    const baseline = { name: `a bare node with ${ATSIGNS.length} idle worker threads`, value: 0 };
    figure({ name: `idle daemon, ${ATSIGNS.length} atSigns: CPU, % of one core`, value: pct(idle.cpuMs), unit: "%", better: "lower", baseline: { ...baseline, value: pct(base.cpuMs) }, target: null, note: `over ${SECONDS} s, ${load}` });
    figure({ name: `idle daemon, ${ATSIGNS.length} atSigns: wakeups`, value: +(idle.wakeups / SECONDS).toFixed(1), unit: "/s", better: "lower", baseline: { ...baseline, value: +(base.wakeups / SECONDS).toFixed(1) }, target: null, note: "voluntary context switches of every thread; the heartbeat is noop:0 every 4 s per atSign" });
  } finally {
    await d?.dispose();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
