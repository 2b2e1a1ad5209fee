// Child process: the baseline of the daemon's per-atSign figures, `count` bare Node worker_threads
// that load nothing and wait, with the young generation the daemon gives its workers (1 MB
// semi-spaces, daemon/Daemon.ts), started `concurrency` at a time as the daemon starts its own.
// Args: <count> <concurrency>   Ready line: { startMs, cpuMs, heapBytes }: from the first spawn until
// every one is up, the process's CPU meanwhile (every thread), and a bare worker's V8 heap.
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import { serveUntilStdinEnds } from "./benchChild.js";

/** Says it is up with its V8 heap's resident bytes, then waits. */
const IDLE = `const { getHeapStatistics } = require("node:v8");
require("node:worker_threads").parentPort.postMessage(getHeapStatistics().total_physical_size);
setInterval(() => {}, 1 << 30);`;

let heapBytes = 0;

function startOne(): Promise<Worker> {
  const w = new Worker(IDLE, { eval: true });
  return new Promise((resolve, reject) => {
    w.once("message", (heap: number) => {
      heapBytes = heap;
      resolve(w);
    });
    w.once("error", reject);
  });
}

serveUntilStdinEnds(async () => {
  const count = Number(process.argv[2] ?? 1);
  const concurrency = Math.max(1, Number(process.argv[3] ?? 1));
  setFlagsFromString("--max-semi-space-size=1");
  const workers: Worker[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      next++;
      workers.push(await startOne());
    }
  }));
  const startMs = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  return { info: { startMs, cpuMs: (used.user + used.system) / 1000, heapBytes }, stop: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
});
