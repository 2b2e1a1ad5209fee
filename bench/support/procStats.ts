// What a benchmark reads of a process from Linux /proc, and of the machine.
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";

/** Resident set size of a process, in MB. */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/mu.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Threads of a process. */
export function threadCount(pid: number): number {
  const m = /^Threads:\s+(\d+)$/mu.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : Number.NaN;
}

/** CPU time a process has used so far (user + system, every thread), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The load averages and core count, for the line that says how busy the machine was. */
export function machineLoad(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} on ${availableParallelism()} cores`;
}

/** Open file descriptors of a process. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * RSS once a process has been left alone for `settleMs` (V8 and malloc give some back after a
 * burst): the lowest of five readings over its last second.
 */
export async function settledRssMb(pid: number, settleMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, Math.max(0, settleMs - 1000)));
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 200));
    low = Math.min(low, rssMb(pid));
  }
  return low;
}
