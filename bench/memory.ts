// Memory of the real daemon per onboarded atSign: RSS with 1, 5 and 10 atSigns (ATSYNCD_BENCH_COUNTS,
// e.g. 1,10,100,500), idle (nothing to sync) and after each has pulled 10,000 keys; the per-atSign
// cost is the slope of a least-squares line through the points. The dev-server runs in another
// process. Where it goes: each worker's debug.memory (its V8 heap, its store's page-cache bound and
// file size), against the baseline measured in the same run, as many bare Node worker threads
// with the daemon's young generation; the rest is native (SQLite's connection and page cache, TLS,
// malloc).
// Run (after `npm run build`): node --import tsx bench/memory.ts [keysPerAtSign]
// Target: ≤ 12 MB per atSign after a 10,000-key sync.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { DebugMemory } from "../daemon/mainThread/registerMethods.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../test/support/daemon.js";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";
import { startBareWorkers } from "./support/bareWorkers.js";
import { figure } from "./support/figure.js";
import { machineLoad, settledRssMb } from "./support/procStats.js";

const KEYS = Number(process.argv[2] ?? 10_000);
const COUNTS = (process.env.ATSYNCD_BENCH_COUNTS ?? "1,5,10").split(",").map(Number);
/** Options for the daemon's node, to compare (ATSYNCD_BENCH_NODE_ARGS="--max-semi-space-size=2"). */
const NODE_ARGS = (process.env.ATSYNCD_BENCH_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
/** How long the daemon is left alone before RSS is read: V8 compiles and collects for ~20 s after a start. */
const SETTLE_MS = Number(process.env.ATSYNCD_BENCH_SETTLE_MS ?? 20_000);
/** Workers whose debug.memory is read at each point (every one costs a request). */
const SAMPLED = 10;
const TARGET_MB = 12;
const MAX = Math.max(...COUNTS);
const MB = 1 << 20;
const empty = (i: number): string => `@idle${i}🛠`;
const filled = (i: number): string => `@full${i}🛠`;

function slope(xs: readonly number[], ys: readonly number[]): { perUnit: number; base: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  const perUnit = den === 0 ? my / (mx || 1) : num / den;
  return { perUnit, base: my - perUnit * mx };
}

/** One daemon's settled RSS, and what its sampled workers and main thread hold, in MB. */
interface Point {
  n: number;
  rss: number;
  /** Per sampled worker, averaged. */
  heap: number;
  spaces: Record<string, number>;
  /** What the store's page cache can hold: the smaller of its file and its bound. */
  cache: number;
  file: number;
  mainHeap: number;
}

async function measure(info: DevServerInfo, atSigns: string[], expectKeys: number): Promise<Point> {
  let d: TestDaemon | undefined;
  try {
    d = await startTestDaemon({ devServer: { info }, atSigns, readyTimeoutMs: 600_000, nodeArgs: NODE_ARGS });
    const c = d.client;
    await waitFor("every atSign in sync", async () => {
      const st = await c.status();
      return st.length === atSigns.length && st.every((s) => s.serverCommitId !== null && s.inSync);
    }, 1_800_000);
    if (expectKeys > 0) {
      const n = (await c.list(atSigns[0]!, { namespace: "bench" })).length;
      if (n < expectKeys) throw new Error(`${atSigns[0]} holds ${n} keys, expected ${expectKeys}`);
    }
    const rss = await settledRssMb(d.proc.pid ?? 0, SETTLE_MS);
    const p: Point = { n: atSigns.length, rss, heap: 0, spaces: {}, cache: 0, file: 0, mainHeap: 0 };
    const sampled = atSigns.slice(0, SAMPLED);
    for (const a of sampled) {
      const { main, worker } = await c.call(DebugMemory, { atSign: a });
      p.heap += worker.heap.physical / MB / sampled.length;
      for (const [k, v] of Object.entries(worker.heap.spaces)) p.spaces[k] = (p.spaces[k] ?? 0) + v / MB / sampled.length;
      const file = worker.store ? worker.store.pages * worker.store.pageSize : 0;
      p.file += file / MB / sampled.length;
      p.cache += Math.min(file, worker.store?.cacheLimitBytes ?? 0) / MB / sampled.length;
      p.mainHeap = main.physical / MB;
    }
    return p;
  } finally {
    await d?.dispose();
  }
}

const f1 = (x: number): string => x.toFixed(1);

function describe(p: Point): string {
  const spaces = Object.entries(p.spaces).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k.replace("_space", "")} ${f1(v)}`).join(", ");
  return `RSS ${f1(p.rss)} MB; a worker's V8 heap ${f1(p.heap)} MB (${spaces}), its store ${f1(p.file)} MB of which its page cache holds ≤ ${f1(p.cache)} MB; main's heap ${f1(p.mainHeap)} MB`;
}

/**
 * One atSign's share of the slope, item by item: the main thread's heap (its slope: the events of
 * the syncs, bounded, so it fades as the count grows), the worker's V8 heap (committed, at the
 * largest count), what its page cache can hold, and the rest, native: the slope less the others
 * (the thread's stack and Node environment, SQLite's connection, TLS, malloc).
 */
function breakdown(points: readonly Point[], perAtSign: number): { text: string } {
  const counts = points.map((p) => p.n);
  const main = slope(counts, points.map((p) => p.mainHeap)).perUnit;
  const last = points.at(-1)!;
  const native = perAtSign - main - last.heap - last.cache;
  return { text: `main thread's heap ${f1(main)}, the worker's V8 heap ${f1(last.heap)}, SQLite page cache ≤ ${f1(last.cache)}, native rest ${f1(native)}` };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-mem-"));
  const specs = [...Array.from({ length: MAX }, (_, i) => `${empty(i)}=0`), ...Array.from({ length: MAX }, (_, i) => `${filled(i)}=${KEYS}`)];
  let server: BenchChild | undefined;
  try {
    server = await spawnBenchChild(fileURLToPath(new URL("./support/serverMain.ts", import.meta.url)), [dir, ...specs]);
    const info = server.info as DevServerInfo;
    const idle: Point[] = [];
    const synced: Point[] = [];
    const bare: number[] = [];
    let bareHeap = 0;
    for (const n of COUNTS) {
      idle.push(await measure(info, Array.from({ length: n }, (_, i) => empty(i)), 0));
      synced.push(await measure(info, Array.from({ length: n }, (_, i) => filled(i)), KEYS));
      const b = await startBareWorkers(n);
      bare.push(await settledRssMb(b.pid, SETTLE_MS));
      bareHeap = b.heapBytes / MB;
      await b.stop();
      process.stdout.write(`${n} atSign(s) (${machineLoad()}):\n  idle: ${describe(idle.at(-1)!)}\n  after syncing ${KEYS} keys each: ${describe(synced.at(-1)!)}\n  ${n} bare worker threads: RSS ${f1(bare.at(-1)!)} MB\n`);
    }
    const load = machineLoad();
    const per = {
      idle: slope(COUNTS, idle.map((p) => p.rss)),
      synced: slope(COUNTS, synced.map((p) => p.rss)),
      bare: slope(COUNTS, bare),
    };
    const idleParts = breakdown(idle, per.idle.perUnit);
    const syncedParts = breakdown(synced, per.synced.perUnit);
    process.stdout.write(
      `per atSign (${load}): idle ${f1(per.idle.perUnit)} MB (base ${f1(per.idle.base)} MB), synced ${f1(per.synced.perUnit)} MB (base ${f1(per.synced.base)} MB); `
      + `a bare worker thread ${f1(per.bare.perUnit)} MB, its V8 heap ${f1(bareHeap)} MB  (target ≤ ${TARGET_MB} MB synced)\n`
      + `where an idle atSign's ${f1(per.idle.perUnit)} MB go: ${idleParts.text}\n`
      + `where a synced atSign's ${f1(per.synced.perUnit)} MB go: ${syncedParts.text}\n`,
    );
    const baseline = { name: "a bare Node worker thread (1 MB semi-spaces, as the daemon's)", value: +f1(per.bare.perUnit) };
    const counts = `slope over ${COUNTS.join(", ")} atSigns; ${load}`;
    figure({
      name: `memory per atSign after a ${KEYS.toLocaleString("en")}-key sync`, value: +f1(per.synced.perUnit), unit: "MB", better: "lower", baseline, target: TARGET_MB,
      note: `${counts}; ${syncedParts.text}`
        + (per.synced.perUnit > TARGET_MB ? "; not met: a worker thread per atSign costs more than 12 MB before it syncs (README, where the memory goes)" : ""),
    });
    figure({ name: "memory per idle atSign (nothing to sync)", value: +f1(per.idle.perUnit), unit: "MB", better: "lower", baseline, target: null, note: counts });
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
