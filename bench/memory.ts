// Memory of the real daemon per onboarded atSign: RSS with 1, 4 and 8 atSigns, idle (nothing
// to sync) and after each has pulled 10,000 keys; the per-atSign cost is the slope of a
// least-squares line through the three points. The dev-server runs in another process.
// Run (after `npm run build`): node --import tsx bench/memory.ts [keysPerAtSign]
// Target: ≤ 15 MB per atSign.
import { fileURLToPath } from "node:url";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";
import { rssMb } from "./support/procStats.js";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../test/support/daemon.js";

const KEYS = Number(process.argv[2] ?? 10_000);
const COUNTS = (process.env.ATSYNCD_BENCH_COUNTS ?? "1,4,8").split(",").map(Number);
/** Options for the daemon's node, to compare (ATSYNCD_BENCH_NODE_ARGS="--max-semi-space-size=1"). */
const NODE_ARGS = (process.env.ATSYNCD_BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
const MAX = Math.max(...COUNTS);
const empty = (i: number): string => `@idle${i}🛠`;
const filled = (i: number): string => `@full${i}🛠`;

function slope(xs: number[], ys: number[]): { perUnit: number; base: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  const perUnit = num / den;
  return { perUnit, base: my - perUnit * mx };
}

/** How long the daemon is left alone before RSS is read (V8 shrinks an idle heap after a while). */
const SETTLE_MS = Number(process.env.ATSYNCD_BENCH_SETTLE_MS ?? 2000);

/** RSS once the daemon has settled: the lowest of the readings over the last second of SETTLE_MS. */
async function settledRss(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, Math.max(0, SETTLE_MS - 1000)));
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 200));
    low = Math.min(low, rssMb(pid));
  }
  return low;
}

async function measure(info: DevServerInfo, atSigns: string[], expectKeys: number): Promise<number> {
  let d: TestDaemon | undefined;
  try {
    d = await startTestDaemon({ devServer: { info }, atSigns, readyTimeoutMs: 120_000, nodeArgs: NODE_ARGS });
    const c = d.client;
    await waitFor("every atSign in sync", async () => {
      const st = await c.status();
      return st.length === atSigns.length && st.every((s) => s.serverCommitId !== null && s.inSync);
    }, 300_000);
    if (expectKeys > 0) {
      const n = (await c.list(atSigns[0]!, { regex: "bench" })).length;
      if (n < expectKeys) throw new Error(`${atSigns[0]} holds ${n} keys, expected ${expectKeys}`);
    }
    return await settledRss(d.proc.pid ?? 0);
  } finally {
    await d?.dispose();
  }
}

async function main(): Promise<void> {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-mem-"));
  const specs = [...Array.from({ length: MAX }, (_, i) => `${empty(i)}=0`), ...Array.from({ length: MAX }, (_, i) => `${filled(i)}=${KEYS}`)];
  let server: BenchChild | undefined;
  try {
    server = await spawnBenchChild(fileURLToPath(new URL("./support/serverMain.ts", import.meta.url)), [dir, ...specs]);
    const info = server.info as DevServerInfo;
    const rows: Array<{ n: number; idle: number; synced: number }> = [];
    for (const n of COUNTS) {
      const idle = await measure(info, Array.from({ length: n }, (_, i) => empty(i)), 0);
      const synced = await measure(info, Array.from({ length: n }, (_, i) => filled(i)), KEYS);
      rows.push({ n, idle, synced });
      process.stdout.write(`${String(n).padStart(2)} atSign(s): RSS idle ${idle.toFixed(1)} MB, after syncing ${KEYS} keys each ${synced.toFixed(1)} MB\n`);
    }
    const ns = rows.map((r) => r.n);
    const idle = slope(ns, rows.map((r) => r.idle));
    const synced = slope(ns, rows.map((r) => r.synced));
    process.stdout.write(`per atSign: idle ${idle.perUnit.toFixed(1)} MB (base ${idle.base.toFixed(1)} MB), synced ${synced.perUnit.toFixed(1)} MB (base ${synced.base.toFixed(1)} MB)  (target ≤ 15 MB)\n`);
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
