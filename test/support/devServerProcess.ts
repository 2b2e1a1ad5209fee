// A dev-server in its own process (`node bin/atsyncd dev-server`), so tests can do to it what
// happens to a real atServer: stop it, freeze it (SIGSTOP: its sockets stay open and silent),
// thaw it, and start it again on the same data dir (same ports, keys and commit log).
import { spawn, type ChildProcess } from "node:child_process";
import type { DevServerInfo } from "../../atserver/index.js";
import { atsyncdBin } from "./daemon.js";

export interface DevServerProcess {
  readonly info: DevServerInfo;
  readonly proc: ChildProcess;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
  freeze(): void;
  thaw(): void;
  /** A new process on the same data dir (after stop()). */
  restart(): Promise<DevServerProcess>;
  /** SIGKILL if still running (cleanup; a frozen process too). */
  kill(): Promise<void>;
}

export async function startDevServerProcess(o: { dataDir: string; atSigns: string[]; statsIntervalMs?: number }): Promise<DevServerProcess> {
  const args = [atsyncdBin, "dev-server", "--data-dir", o.dataDir, ...o.atSigns.flatMap((a) => ["--atsign", a]),
    "--stats-interval-ms", String(o.statsIntervalMs ?? 15_000)];
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const info = await new Promise<DevServerInfo>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`dev-server not ready within 30 s: ${stderr}`)), 30_000);
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl === -1) return;
      clearTimeout(timer);
      resolve(JSON.parse(out.slice(0, nl)) as DevServerInfo);
    });
    void exited.then(() => reject(new Error(`dev-server exited during start: ${stderr}`)));
  });
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const self: DevServerProcess = {
    info,
    proc,
    async stop() {
      if (alive()) proc.kill("SIGTERM");
      await exited;
    },
    freeze: () => void proc.kill("SIGSTOP"),
    thaw: () => void proc.kill("SIGCONT"),
    async restart() {
      await self.stop();
      return startDevServerProcess(o);
    },
    async kill() {
      if (alive()) proc.kill("SIGKILL");
      await exited;
    },
  };
  return self;
}
