// End-to-end latency over the real daemon: two daemons (two devices) on one atSign against a
// dev-server; an app on daemon 1 puts, an app on daemon 2, subscribed, measures the time until
// the key.changed(remote) event. Also `keys.get` round trips through daemon and worker, one
// client at a time (latency) and from 8 clients at once (throughput).
// Run (after `npm run build`): node --import tsx bench/e2e-latency.ts [puts]
// Targets: put → remote event p50 ≤ 15 ms; keys.get p50 ≤ 150 µs; ≥ 50,000 gets/s with 8 clients.
// ATSYNCD_BENCH_PROF=<dir> runs the first daemon with --cpu-prof (a profile per thread) into <dir>;
// ATSYNCD_BENCH_NODE_ARGS="--flag ..." gives it node options to compare.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../atserver/index.js";
import type { AtsyncEvent } from "../shared/events.js";
import { startTestDaemon, type TestDaemon } from "../test/support/daemon.js";

const ATSIGN = "@bench🛠";
const PUTS = Number(process.argv[2] ?? 300);
const GETS = 2000;
const CLIENTS = 8;
const THROUGHPUT_MS = 3000;

/** User + system CPU time of a process so far (Linux /proc; 0 elsewhere). */
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function line(name: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `${name.padEnd(34)} n=${s.length}  p50 ${pct(s, 50).toFixed(2)} ms  p95 ${pct(s, 95).toFixed(2)} ms  max ${(s.at(-1) ?? 0).toFixed(2)} ms`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-e2e-"));
  const dev = await startDevServer({ dataDir: join(dir, "dev"), atSigns: [ATSIGN] });
  let d1: TestDaemon | undefined;
  let d2: TestDaemon | undefined;
  try {
    const prof = process.env.ATSYNCD_BENCH_PROF;
    const extra = (process.env.ATSYNCD_BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    const nodeArgs = [...extra, ...(prof !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [])];
    d1 = await startTestDaemon({ devServer: dev, atSigns: [ATSIGN], nodeArgs });
    d2 = await startTestDaemon({ devServer: dev, atSigns: [ATSIGN] });
    const writer = await d1.connect("bench-writer");
    const reader = await d2.connect("bench-reader");
    const stream = reader.subscribe({ atSigns: [ATSIGN], kinds: ["key.changed"] });
    await stream.next(); // the snapshot

    const waiting = new Map<string, (at: number) => void>();
    const pump = (async () => {
      for await (const e of stream as AsyncIterable<AtsyncEvent>) {
        if (e.kind === "key.changed" && e.origin === "remote") waiting.get(e.key)?.(performance.now());
      }
    })();

    const latencies: number[] = [];
    const ackMs: number[] = [];
    for (let i = 0; i < PUTS + 20; i++) {
      const key = `k${i}.bench${ATSIGN}`;
      const arrived = new Promise<number>((resolve) => waiting.set(key, resolve));
      const t0 = performance.now();
      await writer.put(ATSIGN, key, `value ${i}`);
      const tAck = performance.now();
      const t1 = await arrived;
      waiting.delete(key);
      if (i >= 20) {
        latencies.push(t1 - t0);
        ackMs.push(tAck - t0);
      }
    }

    const getMs: number[] = [];
    for (let i = 0; i < GETS + 200; i++) {
      const t0 = performance.now();
      await writer.get(ATSIGN, `k${i % PUTS}.bench${ATSIGN}`);
      if (i >= 200) getMs.push(performance.now() - t0);
    }

    const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => d1!.connect(`bench-get-${i}`)));
    const pid = d1.proc.pid ?? 0;
    let cpuPerGet = "";
    const throughput = async (depth: number): Promise<number> => {
      const deadline = performance.now() + THROUGHPUT_MS;
      let done = 0;
      const cpu0 = procCpuMs(pid);
      const self0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(clients.flatMap((c) => Array.from({ length: depth }, async (_, j) => {
        for (let i = j; performance.now() < deadline; i += depth) {
          await c.get(ATSIGN, `k${i % PUTS}.bench${ATSIGN}`);
          done++;
        }
      })));
      const self = process.cpuUsage(self0);
      const daemonUs = ((procCpuMs(pid) - cpu0) * 1000) / done;
      cpuPerGet = `CPU per get: daemon ${daemonUs.toFixed(1)} µs, clients ${((self.user + self.system) / done).toFixed(1)} µs`;
      return done / ((performance.now() - t0) / 1000);
    };
    await throughput(1); // warm-up
    const perSec1 = await throughput(1);
    const perSec8 = await throughput(8);

    process.stdout.write(`${line("put → key.changed(remote) on dev 2", latencies)}  (target p50 ≤ 15 ms)\n`);
    process.stdout.write(`${line("put acknowledged (durable)", ackMs)}\n`);
    process.stdout.write(`${line("keys.get (decrypted)", getMs)}  (target p50 ≤ 0.15 ms)\n`);
    process.stdout.write(`keys.get throughput, ${CLIENTS} clients, 1 in flight each: ${Math.round(perSec1)}/s  (target ≥ 50,000/s)\n`);
    process.stdout.write(`keys.get throughput, ${CLIENTS} clients, 8 in flight each: ${Math.round(perSec8)}/s  (${cpuPerGet})\n`);
    await stream.close();
    await pump;
  } finally {
    await d2?.dispose();
    await d1?.dispose();
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
