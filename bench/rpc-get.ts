// RPC round-trip cost: a real RpcServer answering `keys.get` from a Map, and clients
// (the real AtsyncClient) in worker_threads so the server's thread is measured alone.
// Run: node --import tsx bench/rpc-get.ts   Targets: p50 ≤ 150 µs (1 client), ≥ 50,000 calls/s (8 clients).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { AtsyncClient } from "../client/index.js";
import { RpcServer } from "../daemon/rpc/RpcServer.js";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { KeysGet } from "../shared/methods.js";

const ATSIGN = "@bench🛠";
const KEYS = 10_000;
const keyName = (i: number): string => `key${i}.bench${ATSIGN}`;

interface Job { socketPath: string; mode: "latency" | "throughput"; calls: number; durationMs: number; inflight: number; seed: number }
interface Result { latenciesUs?: number[]; completed: number; elapsedMs: number }

async function client(job: Job): Promise<Result> {
  const c = await AtsyncClient.connect({ socketPath: job.socketPath, clientName: "bench" });
  try {
    let i = job.seed;
    const next = (): Promise<unknown> => c.call(KeysGet, { atSign: ATSIGN, key: keyName(i++ % KEYS) });
    for (let w = 0; w < 2000; w++) await next(); // warm up JIT on both sides
    if (job.mode === "latency") {
      const lat: number[] = [];
      const t0 = performance.now();
      for (let n = 0; n < job.calls; n++) {
        const s = process.hrtime.bigint();
        await next();
        lat.push(Number(process.hrtime.bigint() - s) / 1000);
      }
      return { latenciesUs: lat, completed: job.calls, elapsedMs: performance.now() - t0 };
    }
    let completed = 0;
    const t0 = performance.now();
    const deadline = t0 + job.durationMs;
    const lane = async (): Promise<void> => {
      while (performance.now() < deadline) {
        await next();
        completed++;
      }
    };
    await Promise.all(Array.from({ length: job.inflight }, lane));
    return { completed, elapsedMs: performance.now() - t0 };
  } finally {
    await c.close();
  }
}

function runWorker(job: Job): Promise<Result> {
  return new Promise((resolve, reject) => {
    // A worker does not get the `--import tsx` loader for its entry module, so the entry
    // is a tiny script that registers tsx in the worker first, then imports this file.
    const boot = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const w = new Worker(boot, { eval: true, workerData: job });
    w.once("message", (r: Result) => resolve(r));
    w.once("error", reject);
    w.once("exit", (code) => code !== 0 && reject(new Error(`bench client exited with ${code}`)));
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-rpc-"));
  const socketPath = join(dir, "atsyncd.sock");
  const store = new Map<string, string>();
  for (let i = 0; i < KEYS; i++) store.set(keyName(i), `value-${i}-${"x".repeat(40)}`);
  const server = await RpcServer.listen({ socketPath, daemonVersion: "bench" });
  server.handle(KeysGet, (p) => {
    const value = store.get(p.key);
    if (value === undefined) throw new AtsyncError(ErrorCode.KeyNotFound, `${p.key} not found`);
    return { key: p.key, value, metadata: {} };
  });
  try {
    const lat = await runWorker({ socketPath, mode: "latency", calls: 20_000, durationMs: 0, inflight: 1, seed: 0 });
    const sorted = (lat.latenciesUs ?? []).sort((a, b) => a - b);
    const p50 = pct(sorted, 50);
    console.log(`1 client, sequential: p50 ${p50.toFixed(1)} µs, p90 ${pct(sorted, 90).toFixed(1)} µs, p99 ${pct(sorted, 99).toFixed(1)} µs `
      + `(${sorted.length} calls)   target p50 ≤ 150 µs: ${p50 <= 150 ? "met" : "MISSED"}`);

    const clients = 8;
    const results = await Promise.all(Array.from({ length: clients }, (_, k) =>
      runWorker({ socketPath, mode: "throughput", calls: 0, durationMs: 3000, inflight: 16, seed: k * 1000 })));
    const total = results.reduce((s, r) => s + r.completed, 0);
    const elapsed = Math.max(...results.map((r) => r.elapsedMs));
    const rate = (total / elapsed) * 1000;
    console.log(`${clients} clients × 16 in flight, ${(elapsed / 1000).toFixed(1)} s: ${Math.round(rate).toLocaleString("en")} calls/s `
      + `(${total.toLocaleString("en")} calls)   target ≥ 50,000/s: ${rate >= 50_000 ? "met" : "MISSED"}`);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  client(workerData as Job).then((r) => parentPort?.postMessage(r), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
