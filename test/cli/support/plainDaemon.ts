// `atsyncd run` as a user starts it: no --key-store, so the daemon picks the OS keychain when
// one answers and the file fallback otherwise (the harness in test/support forces the file).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DevServer } from "../../../atserver/index.js";
import { AtsyncClient } from "../../../client/index.js";
import { atsyncdBin, waitFor, writeDaemonConfig } from "../../support/daemon.js";

export interface PlainDaemon {
  proc: ChildProcess;
  socketPath: string;
  dataDir: string;
  output(): string;
  stop(): Promise<number | null>;
}

export async function startPlainDaemon(dir: string, dev: DevServer): Promise<PlainDaemon> {
  const dataDir = join(dir, "data");
  const socketPath = join(dir, "s.sock");
  writeDaemonConfig(dataDir, dev);
  const proc = spawn(process.execPath, [atsyncdBin, "run", "--data-dir", dataDir, "--socket", socketPath], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await waitFor("the daemon's socket", async () => {
    if (proc.exitCode !== null) throw new Error(`daemon exited during start:\n${out}`);
    if (!existsSync(socketPath)) return undefined;
    const c = await AtsyncClient.connect({ socketPath });
    await c.close();
    return true;
  });
  return {
    proc, socketPath, dataDir,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}
