// `keys.get` measured as daemon-get.ts, rpc-get.ts and web.ts measure it: one sequential client
// (p50, p99 and its ops/s), or several clients with many calls in flight (ops/s); and the
// baseline beside it, the same key read in this process with better-sqlite3 from the same kind
// of table, with no RPC and no thread between.
import Database from "better-sqlite3";
import { benchKey, startGetLoad, type GetLoadJob, type GetLoadResult } from "./getLoad.js";
import { pct } from "./stats.js";

export interface SequentialGets {
  p50Us: number;
  p99Us: number;
  opsPerS: number;
  gets: number;
}

export interface ConcurrentGets {
  opsPerS: number;
  gets: number;
  seconds: number;
}

export type GetTarget = Omit<GetLoadJob, "mode" | "inflight" | "seed" | "durationMs" | "calls">;

/** Hooks at the edges of the measured window (the clients connected and warmed up), to read CPU counters. */
export interface Window {
  onStart?: () => void;
}

/** Starts the clients, waits for them all to warm up, then lets them go together. */
async function together(jobs: GetLoadJob[], w: Window): Promise<GetLoadResult[]> {
  const runs = jobs.map(startGetLoad);
  const results = Promise.all(runs.map((r) => r.result));
  results.catch(() => undefined); // awaited below; a client that fails before it is ready throws from there
  try {
    await Promise.all(runs.map((r) => r.ready));
  } finally {
    // On a failure, the ones that are waiting are let go (and end), so none is left behind.
    w.onStart?.();
    for (const r of runs) r.go();
  }
  return results;
}

/** One client in its own thread, one get at a time: `calls` gets, or for `durationMs`. */
export async function sequentialGets(target: GetTarget, run: { calls?: number; durationMs: number }, w: Window = {}): Promise<SequentialGets> {
  const [lat] = await together([{ ...target, mode: "latency", inflight: 1, seed: 0, ...run }], w);
  const sorted = (lat?.latenciesUs ?? []).sort((a, b) => a - b);
  return { p50Us: pct(sorted, 50), p99Us: pct(sorted, 99), opsPerS: ((lat?.completed ?? 0) / (lat?.elapsedMs ?? 1)) * 1000, gets: lat?.completed ?? 0 };
}

/** `clients` clients, each in its own thread with `inflight` gets in flight, for `durationMs`. */
export async function concurrentGets(target: GetTarget, run: { clients: number; inflight: number; durationMs: number }, w: Window = {}): Promise<ConcurrentGets> {
  const results = await together(Array.from({ length: run.clients }, (_, k) =>
    ({ ...target, mode: "throughput", durationMs: run.durationMs, inflight: run.inflight, seed: k * Math.max(1, Math.floor(target.keys / run.clients)) })), w);
  const gets = results.reduce((s, r) => s + r.completed, 0);
  const ms = Math.max(...results.map((r) => r.elapsedMs));
  return { opsPerS: (gets / ms) * 1000, gets, seconds: ms / 1000 };
}

export interface SqliteReads {
  p50Us: number;
  p99Us: number;
  /** Reads a second on this one thread. */
  opsPerS: number;
}

/** What the baseline is called in a figure. */
export const SQLITE_READ = "the same key read in-process with better-sqlite3";

/**
 * Reads `key<i>.bench<atSign>` from the `keys` table of the store file at `path` (the daemon's
 * own statement, `SELECT * FROM keys WHERE at_key = ?`): `calls` timed reads, then untimed reads
 * for `ms` for the rate. The daemon may hold the file open meanwhile (WAL: readers never wait).
 */
export function sqliteReads(path: string, atSign: string, keys: number, calls = 20_000, ms = 1000): SqliteReads {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const get = db.prepare<[string], unknown>("SELECT * FROM keys WHERE at_key = ?");
    const key = (i: number): string => benchKey(i % keys, atSign).toLowerCase();
    for (let i = 0; i < 2000; i++) get.get(key(i)); // warm up, as the clients do
    const lat: number[] = [];
    for (let i = 0; i < calls; i++) {
      const k = key(i);
      const s = process.hrtime.bigint();
      if (get.get(k) === undefined) throw new Error(`${k} is not in ${path}`);
      lat.push(Number(process.hrtime.bigint() - s) / 1000);
    }
    lat.sort((a, b) => a - b);
    let n = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while ((elapsed = performance.now() - t0) < ms) {
      for (let j = 0; j < 1000; j++) get.get(key(n++));
    }
    return { p50Us: pct(lat, 50), p99Us: pct(lat, 99), opsPerS: (n / elapsed) * 1000 };
  } finally {
    db.close();
  }
}
