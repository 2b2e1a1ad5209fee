// End-to-end latency over the real daemon: two daemons (two devices) on one atSign against a
// dev-server; an app on daemon 1 puts, an app on daemon 2, subscribed, measures the time until
// the key.changed(remote) event. (`keys.get` through the daemon is bench/daemon-get.ts.)
// Run (after `npm run build`): node --import tsx bench/e2e-latency.ts [puts]
// Target: put → remote event p50 ≤ 15 ms.
// ATSYNCD_BENCH_PROF=<dir> runs the first daemon with --cpu-prof (a profile per thread) into <dir>;
// ATSYNCD_BENCH_NODE_ARGS="--flag ..." gives it node options to compare.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../atserver/index.js";
import type { AtsyncEvent } from "../shared/events.js";
import { startTestDaemon, type TestDaemon } from "../test/support/daemon.js";
import { pct, uptime } from "./support/stats.js";

const ATSIGN = "@bench🛠";
const PUTS = Number(process.argv[2] ?? 300);

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

    process.stdout.write(`${line("put → key.changed(remote) on dev 2", latencies)}  (target p50 ≤ 15 ms)\n`);
    process.stdout.write(`${line("put acknowledged (durable)", ackMs)}\n`);
    process.stdout.write(`${uptime()}\n`);
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
