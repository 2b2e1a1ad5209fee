// Many atSigns in one daemon (default 500, ATSYNCD_BENCH_ATSIGNS or the first argument): the
// atSigns are onboarded (not measured), the daemon is stopped and started again as a service
// manager would (bench/support/restart.ts: the socket, the first and every atSign online, the CPU
// until then; with keys, the RSS the initial syncs left is read before), and once every atSign is
// in sync and the daemon has settled: its RSS, threads, open file descriptors, and the CPU and
// wakeups of 30 s left alone (ATSYNCD_BENCH_IDLE_S). A few workers' debug.memory give what a
// worker's heap holds at that scale. Each atSign holds
// ATSYNCD_BENCH_KEYS keys on the dev-server (default 0: the cost of an atSign, not of its data;
// bench/memory.ts measures a synced one). The baseline, in the same run: a bare Node process with
// as many idle worker threads (same young generation), started as many at a time.
// Run (after `npm run build`): node --import tsx bench/scale.ts [atSigns]
// Target: 500 atSigns within 8 GB.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { DebugMemory } from "../daemon/mainThread/registerMethods.js";
import { startTestDaemon, waitFor } from "../test/support/daemon.js";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";
import { startBareWorkers } from "./support/bareWorkers.js";
import { figure } from "./support/figure.js";
import { fdCount, machineLoad, settledRssMb, threadCount } from "./support/procStats.js";
import { restartTimed } from "./support/restart.js";
import { idleFor } from "./support/threads.js";

const COUNT = Number(process.env.ATSYNCD_BENCH_ATSIGNS ?? process.argv[2] ?? 500);
const KEYS = Number(process.env.ATSYNCD_BENCH_KEYS ?? 0);
const IDLE_S = Number(process.env.ATSYNCD_BENCH_IDLE_S ?? 30);
// After a start, V8 compiles and its memory reducer collects for some 20 s in every isolate: the idle
// figures are of the daemon after that.
const SETTLE_MS = Number(process.env.ATSYNCD_BENCH_SETTLE_MS ?? 30_000);
const TARGET_MB = 8192;
const atSigns = Array.from({ length: COUNT }, (_, i) => `@scale${i}🛠`);
const MB = 1 << 20;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-scale-"));
  let server: BenchChild | undefined;
  try {
    let t = performance.now();
    server = await spawnBenchChild(fileURLToPath(new URL("./support/serverMain.ts", import.meta.url)), [join(dir, "server"), ...atSigns.map((a) => `${a}=${KEYS}`)]);
    process.stdout.write(`dev-server with ${COUNT} atSigns of ${KEYS} keys up in ${((performance.now() - t) / 1000).toFixed(1)} s (not measured)\n`);
    t = performance.now();
    const first = await startTestDaemon({ devServer: { info: server.info as DevServerInfo }, atSigns, dir: join(dir, "daemon"), readyTimeoutMs: 1_800_000 });
    await waitFor("every atSign in sync before the restart", async () => {
      const st = await first.client.status();
      return st.length === COUNT && st.every((s) => s.serverCommitId !== null && s.inSync);
    }, 3_600_000);
    process.stdout.write(`onboarded ${COUNT} atSigns and synced them in ${((performance.now() - t) / 1000).toFixed(1)} s (not measured)\n`);
    // What the initial syncs left behind: a restart starts every worker afresh.
    const synced = KEYS > 0 ? await settledRssMb(first.proc.pid ?? 0, SETTLE_MS) : undefined;
    if (synced !== undefined) process.stdout.write(`  after the initial syncs (${machineLoad()}): RSS ${synced.toFixed(0)} MB (${(synced / COUNT).toFixed(1)} MB an atSign)\n`);
    await first.stop();

    const d = await restartTimed(first.dataDir, first.socketPath, COUNT, { timeoutMs: 1_800_000, env: { ATSYNCD_TEST_HOOKS: "1" } });
    const f = d.figures;
    const startLoad = machineLoad();
    let rss: number;
    let threads: number;
    let fds: number;
    let idle: Awaited<ReturnType<typeof idleFor>>;
    let heaps: Array<{ worker: number; main: number }>;
    try {
      await waitFor("every atSign in sync", async () => {
        const st = await d.client.status();
        return st.length === COUNT && st.every((s) => s.serverCommitId !== null && s.inSync);
      }, 1_800_000);
      rss = await settledRssMb(d.pid, SETTLE_MS);
      threads = threadCount(d.pid);
      fds = fdCount(d.pid);
      heaps = [];
      for (const a of atSigns.slice(0, 5)) {
        const m = await d.client.call(DebugMemory, { atSign: a });
        heaps.push({ worker: m.worker.heap.physical / MB, main: m.main.physical / MB });
      }
      idle = await idleFor(d.pid, IDLE_S * 1000);
    } finally {
      await d.stop();
    }
    const load = machineLoad();

    const bare = await startBareWorkers(COUNT);
    const bareRss = await settledRssMb(bare.pid, SETTLE_MS);
    const bareThreads = threadCount(bare.pid);
    const bareFds = fdCount(bare.pid);
    const bareIdle = await idleFor(bare.pid, IDLE_S * 1000);
    await bare.stop();

    const pct = (ms: number): number => +((ms / (IDLE_S * 1000)) * 100).toFixed(1);
    const workerHeap = heaps.reduce((s, h) => s + h.worker, 0) / heaps.length;
    process.stdout.write(
      `${COUNT} atSigns, ${KEYS} keys each:\n`
      + `  restart (${startLoad}): socket ${f.socketMs.toFixed(0)} ms, first online ${(f.firstOnlineMs / 1000).toFixed(1)} s, all online ${(f.allOnlineMs / 1000).toFixed(1)} s, ${f.cpuS.toFixed(1)} s of CPU${f.lied > 0 ? `, ${f.lied} statuses in sync while not online` : ""}\n`
      + `  settled (${load}): RSS ${rss.toFixed(0)} MB (${(rss / COUNT).toFixed(1)} MB an atSign), ${threads} threads, ${fds} fds; a worker's V8 heap ${workerHeap.toFixed(1)} MB, main's ${heaps[0]?.main.toFixed(1)} MB\n`
      + `  idle ${IDLE_S} s: CPU ${idle.cpuMs.toFixed(0)} ms (${pct(idle.cpuMs)}% of one core), ${(idle.wakeups / IDLE_S).toFixed(0)} wakeups/s\n`
      + `  busiest threads: ${[...idle.threads].sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 6).map((x) => `${x.tid === String(d.pid) ? "main" : x.tid} ${x.cpuMs} ms/${x.wakeups} wakeups`).join(", ")}; `
      + `${idle.threads.filter((x) => x.cpuMs > 0).length} of ${threads} used CPU\n`
      + `  baseline, ${COUNT} bare worker threads: up in ${(bare.startMs / 1000).toFixed(1)} s (${(bare.startCpuMs / 1000).toFixed(1)} s CPU), RSS ${bareRss.toFixed(0)} MB (${(bareRss / COUNT).toFixed(1)} MB a thread), ${bareThreads} threads, ${bareFds} fds, idle CPU ${pct(bareIdle.cpuMs)}%, ${(bareIdle.wakeups / IDLE_S).toFixed(0)} wakeups/s\n`,
    );
    const baseline = (value: number): { name: string; value: number } => ({ name: `a bare node with ${COUNT} idle worker threads`, value });
    const note = `${KEYS} keys an atSign; ${load}`;
    if (synced !== undefined) {
      figure({ name: `${COUNT} atSigns: daemon RSS after their initial syncs`, value: Math.round(synced), unit: "MB", better: "lower", baseline: baseline(Math.round(bareRss)), target: TARGET_MB, note: `${KEYS} keys an atSign, every atSign synced at once, before any restart` });
    }
    figure({ name: `${COUNT} atSigns: daemon RSS`, value: Math.round(rss), unit: "MB", better: "lower", baseline: baseline(Math.round(bareRss)), target: TARGET_MB, note });
    figure({ name: `${COUNT} atSigns: RSS per atSign`, value: +(rss / COUNT).toFixed(1), unit: "MB", better: "lower", baseline: baseline(+(bareRss / COUNT).toFixed(1)), target: +(TARGET_MB / 500).toFixed(1), note: `the whole RSS over the atSigns; ${note}` });
    figure({ name: `${COUNT} atSigns: threads`, value: threads, unit: "threads", better: "lower", baseline: baseline(bareThreads), target: null, note });
    figure({ name: `${COUNT} atSigns: open file descriptors`, value: fds, unit: "fds", better: "lower", baseline: baseline(bareFds), target: null, note });
    figure({ name: `${COUNT} atSigns: idle CPU, % of one core`, value: pct(idle.cpuMs), unit: "%", better: "lower", baseline: baseline(pct(bareIdle.cpuMs)), target: null, note: `over ${IDLE_S} s; ${note}` });
    figure({ name: `${COUNT} atSigns: start-up until every atSign online`, value: +(f.allOnlineMs / 1000).toFixed(1), unit: "s", better: "lower", baseline: { name: `${COUNT} bare worker threads up, as many at a time`, value: +(bare.startMs / 1000).toFixed(1) }, target: null, note: `socket after ${f.socketMs.toFixed(0)} ms; ${f.cpuS.toFixed(0)} s of CPU; ${startLoad}` });
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
