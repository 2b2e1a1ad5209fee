// End-to-end latency over the real daemon: two daemons (two devices) on one atSign against a
// dev-server; an app on daemon 1 puts, an app on daemon 2, subscribed, measures the time until
// the key.changed(remote) event, p50 and p99 over 1,000 changes. (`keys.get` through the daemon
// is bench/daemon-get.ts.)
// Baseline, right after on the same daemons: the same put by the app on daemon 1 and a get of it
// by another app on daemon 1 (a key in a namespace daemon 1 keeps local), the round trip with no
// server and no second device.
// Run (after `npm run build`): node --import tsx bench/e2e-latency.ts [changes]
// Target (the guide): a change on one device seen by an app on another within 3 ms p50 over loopback.
// ATSYNCD_BENCH_PROF=<dir> runs the first daemon with --cpu-prof (a profile per thread) into <dir>;
// ATSYNCD_BENCH_NODE_ARGS="--flag ..." gives it node options to compare.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../atserver/index.js";
import type { AtsyncEvent } from "../shared/events.js";
import { startTestDaemon, type TestDaemon } from "../test/support/daemon.js";
import { figure } from "./support/figure.js";
import { pct, uptime } from "./support/stats.js";

const ATSIGN = "@bench🛠";
const PUTS = Number(process.argv[2] ?? 1000);
const WARMUP = 20;
const P50_TARGET_MS = 3;

function line(name: string, s: number[]): string {
  return `${name.padEnd(38)} n=${s.length}  p50 ${pct(s, 50).toFixed(2)} ms  p99 ${pct(s, 99).toFixed(2)} ms  max ${(s.at(-1) ?? 0).toFixed(2)} ms`;
}

const sorted = (ms: number[]): number[] => [...ms].sort((a, b) => a - b);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-e2e-"));
  const dev = await startDevServer({ dataDir: join(dir, "dev"), atSigns: [ATSIGN] });
  let d1: TestDaemon | undefined;
  let d2: TestDaemon | undefined;
  try {
    const prof = process.env.ATSYNCD_BENCH_PROF;
    const extra = (process.env.ATSYNCD_BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
    const nodeArgs = [...extra, ...(prof !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : [])];
    // Daemon 1 syncs the bench namespace only, so the baseline's keys (namespace "local") stay on it.
    d1 = await startTestDaemon({ devServer: dev, atSigns: [ATSIGN], nodeArgs, config: { namespaces: ["bench"] } });
    d2 = await startTestDaemon({ devServer: dev, atSigns: [ATSIGN] });
    const writer = await d1.connect("bench-writer");
    const sameDevice = await d1.connect("bench-reader-1");
    const reader = await d2.connect("bench-reader");
    process.stdout.write(`before: ${uptime()}\n`);
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
    const localMs: number[] = [];
    for (let i = 0; i < PUTS + WARMUP; i++) {
      const key = `k${i}.bench${ATSIGN}`;
      const arrived = new Promise<number>((resolve) => waiting.set(key, resolve));
      const t0 = performance.now();
      await writer.put(ATSIGN, key, `value ${i}`);
      const tAck = performance.now();
      const t1 = await arrived;
      waiting.delete(key);
      if (i >= WARMUP) {
        latencies.push(t1 - t0);
        ackMs.push(tAck - t0);
      }
    }
    // The baseline right after, on the same daemons: not interleaved, so daemon 1's own sync
    // work for a change (the push's reply, the server's echo) never lands on a local round trip.
    for (let i = 0; i < PUTS + WARMUP; i++) {
      const local = `l${i}.local${ATSIGN}`;
      const t0 = performance.now();
      await writer.put(ATSIGN, local, `value ${i}`);
      await sameDevice.get(ATSIGN, local);
      if (i >= WARMUP) localMs.push(performance.now() - t0);
    }

    const far = sorted(latencies);
    const ack = sorted(ackMs);
    const near = sorted(localMs);
    process.stdout.write(`${line("put → key.changed(remote) on dev 2", far)}  (target p50 ≤ ${P50_TARGET_MS} ms)\n`);
    process.stdout.write(`${line("put acknowledged (durable)", ack)}\n`);
    process.stdout.write(`${line("baseline: put + get on daemon 1", near)}\n`);
    process.stdout.write(`after: ${uptime()}\n`);
    const p50 = pct(far, 50);
    const note = p50 <= P50_TARGET_MS ? undefined
      : `The put is acknowledged (stored durably, an fsync) after ${pct(ack, 50).toFixed(2)} ms p50; the other ${(p50 - pct(ack, 50)).toFixed(2)} ms are daemon 1's push to the atServer, `
        + "the server's notification to daemon 2 and its fetch, store and event, with the dev-server and the apps in this process and two daemons on the machine's "
        + `${availableParallelism()} cores (load ${(loadavg()[0] ?? 0).toFixed(1)}). `
        + "Traced per leg (2 December 2026, load 2): after the commit daemon 1 reads the server twice before it pushes (the reset window and stats:3, every run's check, about 1 ms a round trip here: 2.0 ms p50), "
        + "the server applies and notifies in 0.5 ms, daemon 2 fetches with one round trip (1.0 ms), stores and emits in 0.5 ms; the app-to-worker hops take 0.8 ms in, 0.7 ms out, the fsync 0.8 ms quiet and 3-11 ms while the disk is shared. "
        + "Next: read the window and stats:3 in one batch (one round trip before the push), and push while the commit's fsync runs, acknowledging only after it (both proposed, not built).";
    const same = { name: "the same put and a get by another app on one daemon" };
    figure({ name: `change propagation p50, 2 daemons over loopback, ${far.length.toLocaleString("en")} changes`, value: p50, unit: "ms", better: "lower", baseline: { ...same, value: pct(near, 50) }, target: P50_TARGET_MS, ...(note ? { note } : {}) });
    figure({ name: `change propagation p99, 2 daemons over loopback, ${far.length.toLocaleString("en")} changes`, value: pct(far, 99), unit: "ms", better: "lower", baseline: { ...same, value: pct(near, 99) }, target: null });
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
