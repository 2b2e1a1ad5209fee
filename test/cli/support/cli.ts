// Runs the real `bin/atsyncd` (compiled, from `npm run build`) as a child process, as a user
// would, and collects its exit code and output.
import { spawn, type ChildProcess } from "node:child_process";
import { projectRoot } from "../../support/fixtures.js";
import { atsyncdBin } from "../../support/daemon.js";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs?: number;
  /** Run through another program first (`["setpriv", "--reuid=nobody", ...]`). */
  wrap?: string[];
  /** Run `wrap` alone, without appending node and bin/atsyncd (it names them itself). */
  bare?: boolean;
}

/** The environment the CLI runs in: this one without ATSYNCD_SOCKET (tests pass --socket). */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (extra.ATSYNCD_SOCKET === undefined) delete env.ATSYNCD_SOCKET;
  return env;
}

export function spawnCli(args: string[], opts: CliOptions = {}): ChildProcess {
  const argv = opts.bare === true ? [...(opts.wrap ?? []), ...args] : [...(opts.wrap ?? []), process.execPath, atsyncdBin, ...args];
  const [cmd, ...rest] = argv;
  return spawn(cmd ?? process.execPath, rest, { cwd: projectRoot, env: cliEnv(opts.env), stdio: ["pipe", "pipe", "pipe"] });
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawnCli(args, opts);
    let stdout = "";
    let stderr = "";
    p.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`atsyncd ${args.join(" ")} did not exit within ${timeoutMs} ms; output so far:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    p.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    p.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    p.stdin?.end(opts.stdin ?? "");
  });
}

/** A running `atsyncd watch`: its lines as they arrive, and its exit. */
export interface WatchProcess {
  child: ChildProcess;
  /** Resolves with the first line (from the start) matching `pred`. */
  line(pred: (l: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function watchCli(args: string[], opts: CliOptions = {}): WatchProcess {
  const child = spawnCli(args, opts);
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    partial += d;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once("exit", (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal, stderr });
    }));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    exited,
    async line(pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find(pred);
        if (hit !== undefined) return hit;
        if (done) throw new Error(`watch exited before the line came; lines: ${lines.join("\n")}\nstderr: ${stderr}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for a watch line; lines so far:\n${lines.join("\n")}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}
