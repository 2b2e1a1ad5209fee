// The black-box daemon harness (house-style §24): the real daemon as a child process
// (`node bin/atsyncd run`, compiled JS from `npm run build`) on a temp data dir and socket,
// pointed at an in-process dev-server, with a connected AtsyncClient.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevServer } from "../../atserver/index.js";
import { AtsyncClient } from "../../client/index.js";
import { projectRoot } from "./fixtures.js";

export const atsyncdBin = join(projectRoot, "bin", "atsyncd");

export interface TestDaemonOptions {
  /** Only its `info` is used: a dev-server in another process (bench/) fits too. */
  devServer: Pick<DevServer, "info">;
  /** Onboarded after start (skipped when already onboarded in this data dir). */
  atSigns?: string[];
  /** Reuse a directory (restarts); default a fresh temp dir, removed by dispose(). */
  dir?: string;
  /** Extra environment for the daemon. */
  env?: Record<string, string>;
  /** Options for node itself, before the script (`--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** Laid over the config file the harness writes (rootServer and ca point at the dev-server). */
  config?: Record<string, unknown>;
  /** How long to wait for the socket and the workers. Default 20 s. */
  readyTimeoutMs?: number;
  /** Return once the socket answers, without waiting for every worker online (start-up tests). Default false. */
  socketOnly?: boolean;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface TestDaemon {
  readonly dir: string;
  readonly dataDir: string;
  readonly socketPath: string;
  readonly proc: ChildProcess;
  /** Connected at start; closed by stop(). */
  readonly client: AtsyncClient;
  readonly exited: Promise<Exit>;
  /** Everything the daemon wrote to stdout and stderr so far. */
  output(): string;
  /** Another client (another "app"); closed by stop(). */
  connect(name?: string): Promise<AtsyncClient>;
  /** SIGTERM, then the exit; closes the harness's clients first. */
  stop(): Promise<Exit>;
  /** SIGKILL (no cleanup by the daemon), then the exit. */
  kill(): Promise<Exit>;
  /** A new daemon on the same directory (after stop()). */
  restart(opts?: Partial<TestDaemonOptions>): Promise<TestDaemon>;
  /** stop() if running, then removes the directory unless it was given. */
  dispose(): Promise<void>;
}

/** Polls `pred` until it is truthy or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(what: string, pred: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await pred();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ""}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function requireBuild(): void {
  if (!existsSync(join(projectRoot, "dist", "daemon", "worker", "main.js"))) {
    throw new Error("the daemon is not built: run `npm run build` before the e2e tests");
  }
}

/** Runs `atsyncd run` with these args and waits for it to exit (for refusals). */
export function runOnce(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Exit & { stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [atsyncdBin, "run", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`atsyncd run ${args.join(" ")} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    p.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function writeDaemonConfig(dataDir: string, dev: Pick<DevServer, "info">, more: Record<string, unknown> = {}): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, "config.json"), JSON.stringify({ rootServer: dev.info.root, ca: dev.info.ca, logLevel: "info", ...more }));
}

export async function startTestDaemon(opts: TestDaemonOptions): Promise<TestDaemon> {
  requireBuild();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "atsyncd-e2e-"));
  const dataDir = join(dir, "data");
  const socketPath = join(dir, "s.sock");
  writeDaemonConfig(dataDir, opts.devServer, opts.config);
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), atsyncdBin, "run", "--data-dir", dataDir, "--socket", socketPath, "--key-store", "file"], {
    env: { ...process.env, ATSYNCD_TEST_HOOKS: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<Exit>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  let exit: Exit | undefined;
  void exited.then((e) => (exit = e));
  const clients: AtsyncClient[] = [];
  const connect = async (name = "e2e"): Promise<AtsyncClient> => {
    const c = await AtsyncClient.connect({ socketPath, clientName: name });
    clients.push(c);
    return c;
  };
  const timeout = opts.readyTimeoutMs ?? 20_000;
  let client: AtsyncClient;
  try {
    client = await waitFor("the daemon's socket", async () => {
      if (exit) throw new Error(`daemon exited (${exit.code ?? exit.signal}) during start:\n${out}`);
      return existsSync(socketPath) ? await connect() : undefined;
    }, timeout);
    const onboarded = new Set((await client.atSigns()).map((a) => a.atSign));
    for (const atSign of opts.atSigns ?? []) {
      if (onboarded.has(atSign)) continue;
      const file = opts.devServer.info.atSigns[atSign]?.atKeys;
      if (file === undefined) throw new Error(`the dev-server does not serve ${atSign}`);
      await client.onboard(atSign, readFileSync(file, "utf8"));
    }
    if (opts.socketOnly !== true) await waitFor("every worker online", async () => {
      const st = await client.status();
      return st.every((s) => s.state.kind === "online" || s.state.kind === "syncing");
    }, timeout);
  } catch (err) {
    proc.kill("SIGKILL");
    await exited;
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err instanceof Error ? new Error(`${err.message}\n--- daemon output ---\n${out.slice(-4000)}`) : err;
  }
  const closeClients = async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  };
  const stopWith = async (signal: NodeJS.Signals): Promise<Exit> => {
    await closeClients();
    if (!exit) proc.kill(signal);
    return exited;
  };
  const td: TestDaemon = {
    dir, dataDir, socketPath, proc, client, exited,
    output: () => out,
    connect,
    stop: () => stopWith("SIGTERM"),
    kill: () => stopWith("SIGKILL"),
    restart: async (more = {}) => {
      await td.stop();
      return startTestDaemon({ ...opts, ...more, dir });
    },
    dispose: async () => {
      await td.stop();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return td;
}
