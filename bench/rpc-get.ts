// RPC round-trip cost: a real RpcServer answering `keys.get` from a Map, and clients
// (the real AtsyncClient) in worker_threads so the server's thread is measured alone: the part
// of daemon-get.ts's figures that is the socket and the RPC layer, without the worker's hop.
// Baseline, in the same run: the same keys read in this process with better-sqlite3 from a
// store file of the daemon's own schema (SqliteStore, filled with them).
// Run: node --import tsx bench/rpc-get.ts [seconds]
// Targets: the guide's for a get through the daemon, p50 ≤ 80 µs (1 client) and ≥ 150,000/s
// (8 clients), which the RPC layer alone must meet with room to spare.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../daemon/adapters/SystemClock.js";
import { RpcServer } from "../daemon/rpc/RpcServer.js";
import { SqliteStore } from "../daemon/store/SqliteStore.js";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { KeysGet } from "../shared/methods.js";
import { figure } from "./support/figure.js";
import { concurrentGets, sequentialGets, SQLITE_READ, sqliteReads } from "./support/getFigures.js";
import { benchKey } from "./support/getLoad.js";
import { uptime } from "./support/stats.js";

const clock = new SystemClock();

const ATSIGN = "@bench🛠";
const KEYS = 10_000;
const SECONDS = Number(process.argv[2] ?? 3);
const CLIENTS = 8;
const INFLIGHT = 16;
const P50_TARGET_US = 80;
const RATE_TARGET = 150_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-rpc-"));
  const socketPath = join(dir, "atsyncd.sock");
  const values = new Map<string, string>();
  for (let i = 0; i < KEYS; i++) values.set(benchKey(i, ATSIGN), `value-${i}-${"x".repeat(40)}`);
  const dbPath = join(dir, "baseline.db");
  const store = SqliteStore.open({ path: dbPath, clock });
  store.putManyLocal([...values].map(([atKey, value]) => ({ atKey, value })));
  store.close();
  const server = await RpcServer.listen({ clock, socketPath, daemonVersion: "bench" });
  server.handle(KeysGet, (p) => {
    const value = values.get(p.key);
    if (value === undefined) throw new AtsyncError(ErrorCode.KeyNotFound, `${p.key} not found`);
    return { key: p.key, value, metadata: {} };
  });
  try {
    console.log(`before: ${uptime()}`);
    const base = sqliteReads(dbPath, ATSIGN, KEYS);
    console.log(`baseline, ${SQLITE_READ}: p50 ${base.p50Us.toFixed(2)} µs, p99 ${base.p99Us.toFixed(2)} µs, ${Math.round(base.opsPerS).toLocaleString("en")} reads/s on one thread`);
    const target = { socketPath, atSign: ATSIGN, keys: KEYS };
    const cpu0 = { v: process.cpuUsage() };
    const seq = await sequentialGets(target, { calls: 20_000, durationMs: 0 }, { onStart: () => (cpu0.v = process.cpuUsage()) });
    const seqCpu = process.cpuUsage(cpu0.v);
    console.log(`1 client, sequential: p50 ${seq.p50Us.toFixed(1)} µs, p99 ${seq.p99Us.toFixed(1)} µs, ${Math.round(seq.opsPerS).toLocaleString("en")} calls/s (${seq.gets} calls)`);
    const many = await concurrentGets(target, { clients: CLIENTS, inflight: INFLIGHT, durationMs: SECONDS * 1000 });
    console.log(`${CLIENTS} clients × ${INFLIGHT} in flight, ${many.seconds.toFixed(1)} s: ${Math.round(many.opsPerS).toLocaleString("en")} calls/s (${many.gets.toLocaleString("en")} calls)`);
    console.log(`after: ${uptime()}`);

    const cores = availableParallelism();
    const load = loadavg()[0] ?? 0;
    // This process is the server and the clients (in their threads): its CPU per call, both sides.
    const bothUs = (seqCpu.user + seqCpu.system) / seq.gets;
    const p50Note = seq.p50Us <= P50_TARGET_US ? undefined
      : `With no worker and no store, a call is the client's frame, the server's parse, validation and reply, and the wake-ups of two threads: ${bothUs.toFixed(0)} µs of CPU both sides together, `
        + `on ${cores} cores at load ${load.toFixed(1)}. Next: measure on an idle machine; if still missed, profile the server's side of one call (node --cpu-prof) and cut its per-frame work.`;
    const rateNote = many.opsPerS >= RATE_TARGET ? undefined
      : `The server's one thread and the ${CLIENTS} clients' threads share ${cores} cores with the machine's other work (load ${load.toFixed(1)}). `
        + "Next: measure with the clients on other cores, then profile the server's thread under this load (node --cpu-prof) and cut its per-frame work.";
    figure({ name: "RPC layer alone: keys.get p50, 1 client", value: seq.p50Us, unit: "µs", better: "lower", baseline: { name: `${SQLITE_READ}, p50`, value: base.p50Us }, target: P50_TARGET_US, ...(p50Note ? { note: p50Note } : {}) });
    figure({ name: "RPC layer alone: keys.get p99, 1 client", value: seq.p99Us, unit: "µs", better: "lower", baseline: { name: `${SQLITE_READ}, p99`, value: base.p99Us }, target: null });
    figure({ name: "RPC layer alone: keys.get rate, 1 client (one call at a time)", value: seq.opsPerS, unit: "ops/s", better: "higher", baseline: { name: `${SQLITE_READ}, one thread`, value: base.opsPerS }, target: null });
    figure({ name: `RPC layer alone: keys.get rate, ${CLIENTS} clients × ${INFLIGHT} in flight`, value: many.opsPerS, unit: "ops/s", better: "higher", baseline: { name: `${SQLITE_READ}, one thread`, value: base.opsPerS }, target: RATE_TARGET, ...(rateNote ? { note: rateNote } : {}) });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
