// Small measuring helpers shared by the benchmarks.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

/** The p-th percentile of an ascending array (NaN when empty). */
export function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** User + system CPU ms of a process so far (Linux /proc; 0 elsewhere). */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** The machine's load, printed beside every figure: single runs vary with it. */
export const uptime = (): string => `load average ${loadavg().map((l) => l.toFixed(2)).join(", ")}`;
