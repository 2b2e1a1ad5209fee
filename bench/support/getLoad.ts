// A `keys.get` load client in its own worker_thread, so the benchmark's own CPU is never counted
// as the server's: over the Unix socket (the client library), or over the web listener as a
// browser app (`web`: a WebSocket with the app's token). Latency mode: sequential gets (a fixed count, or for a duration), each timed.
// Throughput mode: `inflight` concurrent lanes until the duration is up.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { AtsyncClient } from "../../client/index.js";
import { WsRpc, type WebTarget } from "./wsRpc.js";

export interface GetLoadJob {
  socketPath: string;
  atSign: string;
  /** Keys `key<i>.bench<atSign>` for i in [0, keys) exist. */
  keys: number;
  mode: "latency" | "throughput";
  /** Latency mode: stop after this many gets instead of after `durationMs`. */
  calls?: number;
  durationMs: number;
  inflight: number;
  seed: number;
  /** Over the web listener instead of `socketPath`. */
  web?: WebTarget;
}

export interface GetLoadResult {
  latenciesUs?: number[];
  completed: number;
  elapsedMs: number;
}

export const benchKey = (i: number, atSign: string): string => `key${i}.bench${atSign}`;

async function connect(job: GetLoadJob): Promise<{ get(key: string): Promise<unknown>; close(): Promise<void> }> {
  if (job.web) {
    const w = await WsRpc.connect(job.web);
    return { get: (key) => w.call("keys.get", { atSign: job.atSign, key }), close: () => w.close() };
  }
  const c = await AtsyncClient.connect({ socketPath: job.socketPath, clientName: "bench" });
  return { get: (key) => c.get(job.atSign, key), close: () => c.close() };
}

async function client(job: GetLoadJob): Promise<GetLoadResult> {
  const c = await connect(job);
  try {
    let i = job.seed;
    const next = (): Promise<unknown> => c.get(benchKey(i++ % job.keys, job.atSign));
    for (let w = 0; w < 2000; w++) await next(); // warm up the JIT on both sides
    const t0 = performance.now();
    const deadline = t0 + job.durationMs;
    if (job.mode === "latency") {
      const lat: number[] = [];
      const more = job.calls !== undefined ? () => lat.length < (job.calls ?? 0) : () => performance.now() < deadline;
      while (more()) {
        const s = process.hrtime.bigint();
        await next();
        lat.push(Number(process.hrtime.bigint() - s) / 1000);
      }
      return { latenciesUs: lat, completed: lat.length, elapsedMs: performance.now() - t0 };
    }
    let completed = 0;
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

/** Runs one load client in a fresh worker thread and resolves with its figures. */
export function runGetLoad(job: GetLoadJob): Promise<GetLoadResult> {
  return new Promise((resolve, reject) => {
    // A worker does not get the `--import tsx` loader for its entry module, so the entry
    // is a tiny script that registers tsx in the worker first, then imports this file.
    const boot = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const w = new Worker(boot, { eval: true, workerData: { getLoad: job } });
    w.once("message", (r: GetLoadResult) => resolve(r));
    w.once("error", reject);
    w.once("exit", (code) => code !== 0 && reject(new Error(`bench client exited with ${code}`)));
  });
}

const job = (workerData as { getLoad?: GetLoadJob } | null)?.getLoad;
if (!isMainThread && job !== undefined) {
  client(job).then((r) => parentPort?.postMessage(r), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
