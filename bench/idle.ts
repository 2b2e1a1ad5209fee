// An idle daemon sleeps: a daemon with 2 onboarded atSigns, in sync, left alone for 30 s.
// Reports the CPU time it used (/proc/<pid>/stat) and its wakeups (voluntary context switches
// of every thread, /proc/<pid>/task/*/status), per thread. The dev-server runs in another
// process with its stats and expiry sweeps off, so nothing is sent to the daemon meanwhile.
// Run (after `npm run build`): node --import tsx bench/idle.ts [seconds]
// Expected: the monitor heartbeat (noop:0 every 10 s per atSign) and little else.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DevServerInfo } from "../atserver/DevServer.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../test/support/daemon.js";
import { spawnBenchChild, type BenchChild } from "./support/benchChild.js";

const SECONDS = Number(process.argv[2] ?? 30);
const ATSIGNS = ["@idle0🛠", "@idle1🛠"];
const TICKS_PER_S = 100;

interface ThreadSample {
  name: string;
  cpuMs: number;
  wakeups: number;
}

/** Every thread of `pid`: its name, CPU time and voluntary context switches so far. */
function sample(pid: number): Map<string, ThreadSample> {
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "atsyncd-bench-idle-"));
  let server: BenchChild | undefined;
  let d: TestDaemon | undefined;
  try {
    server = await spawnBenchChild(fileURLToPath(new URL("./support/serverMain.ts", import.meta.url)), [dir, ...ATSIGNS.map((a) => `${a}=0`)]);
    d = await startTestDaemon({ devServer: { info: server.info as DevServerInfo }, atSigns: ATSIGNS });
    const c = d.client;
    await waitFor("both atSigns in sync", async () => {
      const st = await c.status();
      return st.length === ATSIGNS.length && st.every((s) => s.inSync);
    });
    // The harness's client stays connected (as an app would), but asks nothing while we watch.
    const pid = d.proc.pid ?? 0;
    await new Promise((r) => setTimeout(r, 2000)); // let start-up work finish
    const before = sample(pid);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const after = sample(pid);
    let cpu = 0;
    let wakeups = 0;
    const rows: string[] = [];
    for (const [tid, a] of after) {
      const b = before.get(tid) ?? { name: a.name, cpuMs: 0, wakeups: 0 };
      const dc = a.cpuMs - b.cpuMs;
      const dw = a.wakeups - b.wakeups;
      cpu += dc;
      wakeups += dw;
      if (dc > 0 || dw > 0) rows.push(`  ${a.name.padEnd(16)} tid ${tid.padStart(7)}  cpu ${dc.toFixed(0).padStart(4)} ms  wakeups ${dw}`);
    }
    process.stdout.write(`idle daemon, ${ATSIGNS.length} atSigns, ${SECONDS} s: CPU ${cpu.toFixed(0)} ms (${((cpu / (SECONDS * 1000)) * 100).toFixed(2)}% of a core), ${wakeups} wakeups (${(wakeups / SECONDS).toFixed(1)}/s)\n`);
    process.stdout.write(`${rows.join("\n")}\n`);
  } finally {
    await d?.dispose();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
