// `keys.get` through the real daemon: an in-process dev-server, the daemon as a child
// process (compiled dist/, via test/support/daemon.ts), 1,000 keys put, then `keys.get`
// latency from one sequential client and throughput from 8 clients, each in its own
// worker_thread with several calls in flight, so the bench's own CPU is not the daemon's.
// Run (after `npm run build`): node --import tsx bench/daemon-get.ts [seconds]
// Targets: p50 ≤ 150 µs (1 client), ≥ 50,000 gets/s (8 clients).
// ATSYNCD_BENCH_PROF=<dir> runs the daemon with --cpu-prof (one profile per thread) into <dir>.
import { readFileSync } from "node:fs";
import { runBench, withBenchDaemon } from "./support/benchDaemon.js";
import { benchKey, runGetLoad } from "./support/getLoad.js";
import { pct, procCpuMs } from "./support/stats.js";

const ATSIGN = "@bench🛠";
const KEYS = 1000;
const SECONDS = Number(process.argv[2] ?? 5);
const CLIENTS = 8;
const INFLIGHT = 16;

function procSyscalls(pid: number): { r: number; w: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    return { r: Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0), w: Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0) };
  } catch {
    return { r: 0, w: 0 };
  }
}

async function main(): Promise<void> {
  const prof = process.env.ATSYNCD_BENCH_PROF;
  const nodeArgs = prof !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [];
  await withBenchDaemon("get", ATSIGN, { nodeArgs, config: { logLevel: "warn" } }, async (daemon) => {
    const puts = Array.from({ length: KEYS }, (_, i) => ({ key: benchKey(i, ATSIGN), value: `value-${i}-${"x".repeat(40)}` }));
    for (let i = 0; i < KEYS; i += 100) {
      await Promise.all(puts.slice(i, i + 100).map((p) => daemon.client.put(ATSIGN, p.key, p.value)));
    }
    const pid = daemon.proc.pid ?? 0;
    const durationMs = SECONDS * 1000;

    const cpu0 = procCpuMs(pid);
    const lat = await runGetLoad({ socketPath: daemon.socketPath, atSign: ATSIGN, keys: KEYS, mode: "latency", durationMs, inflight: 1, seed: 0 });
    const sorted = (lat.latenciesUs ?? []).sort((a, b) => a - b);
    const p50 = pct(sorted, 50);
    console.log(`1 client, sequential, ${SECONDS} s: p50 ${p50.toFixed(1)} µs, p95 ${pct(sorted, 95).toFixed(1)} µs, p99 ${pct(sorted, 99).toFixed(1)} µs `
      + `(${sorted.length} gets, daemon CPU ${(((procCpuMs(pid) - cpu0) * 1000) / sorted.length).toFixed(1)} µs/get incl. warm-up)   target p50 ≤ 150 µs: ${p50 <= 150 ? "met" : "MISSED"}`);

    const cpu1 = procCpuMs(pid);
    const sys1 = procSyscalls(pid);
    const self1 = process.cpuUsage();
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, k) =>
      runGetLoad({ socketPath: daemon.socketPath, atSign: ATSIGN, keys: KEYS, mode: "throughput", durationMs, inflight: INFLIGHT, seed: k * 125 })));
    const total = results.reduce((s, r) => s + r.completed, 0);
    const elapsed = Math.max(...results.map((r) => r.elapsedMs));
    const rate = (total / elapsed) * 1000;
    const sys2 = procSyscalls(pid);
    const self = process.cpuUsage(self1);
    console.log(`${CLIENTS} clients × ${INFLIGHT} in flight, ${(elapsed / 1000).toFixed(1)} s: ${Math.round(rate).toLocaleString("en")} gets/s `
      + `(${total.toLocaleString("en")} gets, daemon CPU ${(((procCpuMs(pid) - cpu1) * 1000) / total).toFixed(1)} µs/get incl. warm-up)   target ≥ 50,000/s: ${rate >= 50_000 ? "met" : "MISSED"}`);
    console.log(`  per get: daemon ${((sys2.w - sys1.w) / total).toFixed(2)} write and ${((sys2.r - sys1.r) / total).toFixed(2)} read syscalls, `
      + `bench clients ${((self.user + self.system) / total).toFixed(1)} µs CPU (all incl. warm-up)`);
  });
}

runBench(main);
