// A restart of the real daemon on a data dir whose atSigns are onboarded already, timed from the
// spawn of `atsyncd run` (as a service manager starts it, no test hooks) until (a) the socket
// answers `status`, (b) the first atSign is online, (c) every atSign is online; and the CPU the
// daemon used until (c). The daemon is left running for the caller to measure further.
import { spawn } from "node:child_process";
import { AtsyncClient } from "../../client/index.js";
import type { SyncStatus } from "../../shared/status.js";
import { atsyncdBin } from "../../test/support/daemon.js";
import { cpuSeconds } from "./procStats.js";

export interface RestartFigures {
  socketMs: number;
  /** Connects refused before the socket answered. */
  refused: number;
  /** The states of the first status, counted: "100 starting". */
  firstStatus: string;
  firstOnlineMs: number;
  allOnlineMs: number;
  /** CPU the daemon used from its spawn until every atSign was online. */
  cpuS: number;
  /** Statuses that said in sync while their atSign was not online (should be 0). */
  lied: number;
}

export interface RestartedDaemon {
  readonly figures: RestartFigures;
  readonly pid: number;
  readonly client: AtsyncClient;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
}

export const isOnline = (s: SyncStatus): boolean => s.state.kind === "online" || s.state.kind === "syncing";

/** `env` is laid over this process's (ATSYNCD_TEST_HOOKS=1 for debug.memory). */
export async function restartTimed(dataDir: string, socketPath: string, count: number, opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RestartedDaemon> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const t0 = performance.now();
  const proc = spawn(process.execPath, [atsyncdBin, "run", "--data-dir", dataDir, "--socket", socketPath, "--key-store", "file"], {
    env: { ...process.env, ...opts.env }, stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let client: AtsyncClient | undefined;
  const stop = async (): Promise<void> => {
    await client?.close();
    proc.kill("SIGTERM");
    await exited;
  };
  try {
    let refused = 0;
    while (client === undefined) {
      try {
        client = await AtsyncClient.connect({ socketPath, clientName: "bench-restart" });
      } catch {
        refused++;
        await new Promise((r) => setTimeout(r, 10));
      }
      if (performance.now() - t0 > 120_000) throw new Error("the socket never answered");
    }
    const first = await client.status();
    const socketMs = performance.now() - t0;
    const kinds = new Map<string, number>();
    for (const s of first) kinds.set(s.state.kind, (kinds.get(s.state.kind) ?? 0) + 1);
    let firstOnlineMs: number | undefined;
    let allOnlineMs: number | undefined;
    let lied = 0;
    while (allOnlineMs === undefined) {
      const st = await client.status();
      // A status is never online before its worker is up: `starting` comes first.
      lied += st.filter((s) => s.inSync && !isOnline(s)).length;
      const up = st.filter(isOnline).length;
      if (up > 0) firstOnlineMs ??= performance.now() - t0;
      if (up === count && st.length === count) allOnlineMs = performance.now() - t0;
      else await new Promise((r) => setTimeout(r, 20));
      if (performance.now() - t0 > timeoutMs) throw new Error(`only ${up} of ${count} online after ${timeoutMs / 1000} s`);
    }
    const figures: RestartFigures = {
      socketMs, refused, firstStatus: [...kinds].map(([k, n]) => `${n} ${k}`).join(", "),
      firstOnlineMs: firstOnlineMs ?? allOnlineMs, allOnlineMs, cpuS: cpuSeconds(proc.pid ?? 0), lied,
    };
    return { figures, pid: proc.pid ?? 0, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
