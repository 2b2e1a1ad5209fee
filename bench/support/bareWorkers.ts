// The parent side of bareWorkersMain.ts: a process of `count` bare worker threads, whose pid
// the caller reads /proc figures of, as it reads the daemon's.
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { spawnBenchChild, type BenchChild } from "./benchChild.js";

export interface BareWorkers extends BenchChild {
  readonly pid: number;
  /** From the first spawn until every worker was up, and the CPU the process used meanwhile. */
  readonly startMs: number;
  readonly startCpuMs: number;
  /** One bare worker's V8 heap (resident), in bytes. */
  readonly heapBytes: number;
}

export async function startBareWorkers(count: number, concurrency = availableParallelism()): Promise<BareWorkers> {
  const script = fileURLToPath(new URL("./bareWorkersMain.ts", import.meta.url));
  const child = await spawnBenchChild(script, [String(count), String(concurrency)]);
  const { startMs, cpuMs, heapBytes } = child.info as { startMs: number; cpuMs: number; heapBytes: number };
  return { info: child.info, pid: child.pid, stop: () => child.stop(), startMs, startCpuMs: cpuMs, heapBytes };
}
