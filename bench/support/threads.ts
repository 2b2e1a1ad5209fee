// Every thread of a process from Linux /proc: its name, CPU time and wakeups (voluntary context
// switches) so far, for the idle benchmarks.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_S = 100;

export interface ThreadSample {
  name: string;
  cpuMs: number;
  wakeups: number;
}

export function sampleThreads(pid: number): Map<string, ThreadSample> {
  const out = new Map<string, ThreadSample>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
      const name = /^Name:\s+(.*)$/mu.exec(status)?.[1] ?? "?";
      const wakeups = Number(/^voluntary_ctxt_switches:\s+(\d+)$/mu.exec(status)?.[1] ?? 0);
      out.set(tid, { name, cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S, wakeups });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

export interface IdleFigures {
  cpuMs: number;
  wakeups: number;
  /** Per thread that used CPU or woke: its tid and what it used. */
  threads: Array<{ tid: string } & ThreadSample>;
}

/** What `pid` used while left alone for `ms`. */
export async function idleFor(pid: number, ms: number): Promise<IdleFigures> {
  const before = sampleThreads(pid);
  await new Promise((r) => setTimeout(r, ms));
  const after = sampleThreads(pid);
  let cpuMs = 0;
  let wakeups = 0;
  const threads: IdleFigures["threads"] = [];
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { name: a.name, cpuMs: 0, wakeups: 0 };
    const dc = a.cpuMs - b.cpuMs;
    const dw = a.wakeups - b.wakeups;
    cpuMs += dc;
    wakeups += dw;
    if (dc > 0 || dw > 0) threads.push({ tid, name: a.name, cpuMs: dc, wakeups: dw });
  }
  return { cpuMs, wakeups, threads };
}
