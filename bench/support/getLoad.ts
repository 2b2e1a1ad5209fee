// A `keys.get` load client in its own worker_thread, so the benchmark's own CPU is never counted
// as the server's: over the Unix socket (the client library), or over the web listener as a
// browser app (`web`: a WebSocket with the app's token). Latency mode: sequential gets (a fixed count, or for a duration), each timed.
// Throughput mode: `inflight` concurrent lanes until the duration is up. Each client connects and
// warms up, says so, and measures from the word go (startGetLoad), so several start together.
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
    // Warmed up: wait for the word, so that several clients start their clocks together and the
    // caller can read the CPU counters at the start of the measured window.
    const go = new Promise<void>((resolve) => parentPort?.once("message", () => resolve()));
    parentPort?.postMessage({ kind: "ready" });
    await go;
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

export interface GetLoadRun {
  /** Resolves once the client has connected and warmed up; it then waits for go(). */
  ready: Promise<void>;
  go(): void;
  result: Promise<GetLoadResult>;
}

/** Starts one load client in a fresh worker thread; it measures from go() on. */
export function startGetLoad(job: GetLoadJob): GetLoadRun {
  // A worker does not get the `--import tsx` loader for its entry module, so the entry
  // is a tiny script that registers tsx in the worker first, then imports this file.
  const boot = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const w = new Worker(boot, { eval: true, workerData: { getLoad: job } });
  let ready!: () => void;
  let fail!: (e: Error) => void;
  const readyP = new Promise<void>((resolve, reject) => {
    ready = resolve;
    fail = reject;
  });
  const result = new Promise<GetLoadResult>((resolve, reject) => {
    const failed = (e: Error): void => {
      fail(e);
      reject(e);
    };
    w.on("message", (m: { kind: "ready" } | { kind: "result"; result: GetLoadResult }) => (m.kind === "ready" ? ready() : resolve(m.result)));
    w.once("error", failed);
    w.once("exit", (code) => code !== 0 && failed(new Error(`bench client exited with ${code}`)));
  });
  return { ready: readyP, go: () => w.postMessage("go"), result };
}

const job = (workerData as { getLoad?: GetLoadJob } | null)?.getLoad;
if (!isMainThread && job !== undefined) {
  client(job).then((result) => parentPort?.postMessage({ kind: "result", result }), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
