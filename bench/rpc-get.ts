// RPC round-trip cost: a real RpcServer answering `keys.get` from a Map, and clients
// (the real AtsyncClient) in worker_threads so the server's thread is measured alone.
// Run: node --import tsx bench/rpc-get.ts   Targets: p50 ≤ 150 µs (1 client), ≥ 50,000 calls/s (8 clients).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../daemon/adapters/SystemClock.js";
import { RpcServer } from "../daemon/rpc/RpcServer.js";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { KeysGet } from "../shared/methods.js";
import { benchKey, runGetLoad } from "./support/getLoad.js";
import { pct } from "./support/stats.js";

const clock = new SystemClock();

const ATSIGN = "@bench🛠";
const KEYS = 10_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-rpc-"));
  const socketPath = join(dir, "atsyncd.sock");
  const store = new Map<string, string>();
  for (let i = 0; i < KEYS; i++) store.set(benchKey(i, ATSIGN), `value-${i}-${"x".repeat(40)}`);
  const server = await RpcServer.listen({ clock, socketPath, daemonVersion: "bench" });
  server.handle(KeysGet, (p) => {
    const value = store.get(p.key);
    if (value === undefined) throw new AtsyncError(ErrorCode.KeyNotFound, `${p.key} not found`);
    return { key: p.key, value, metadata: {} };
  });
  try {
    const lat = await runGetLoad({ socketPath, atSign: ATSIGN, keys: KEYS, mode: "latency", calls: 20_000, durationMs: 0, inflight: 1, seed: 0 });
    const sorted = (lat.latenciesUs ?? []).sort((a, b) => a - b);
    const p50 = pct(sorted, 50);
    console.log(`1 client, sequential: p50 ${p50.toFixed(1)} µs, p90 ${pct(sorted, 90).toFixed(1)} µs, p99 ${pct(sorted, 99).toFixed(1)} µs `
      + `(${sorted.length} calls)   target p50 ≤ 150 µs: ${p50 <= 150 ? "met" : "MISSED"}`);

    const clients = 8;
    const results = await Promise.all(Array.from({ length: clients }, (_, k) =>
      runGetLoad({ socketPath, atSign: ATSIGN, keys: KEYS, mode: "throughput", durationMs: 3000, inflight: 16, seed: k * 1000 })));
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

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
