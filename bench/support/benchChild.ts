// Benchmarks run the dev-server and the modelled link in child processes, as a real atServer and
// network would be, so their work never shares the measured client's event loop. A child prints
// one JSON line when ready and shuts down when its stdin closes.
import { spawn, type ChildProcess } from "node:child_process";

export interface BenchChild {
  /** The child's ready line, parsed. */
  readonly info: unknown;
  /** Its process id (for /proc figures). */
  readonly pid: number;
  /** Closes the child's stdin and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Runs `script` (a .ts file) under tsx. With `cpuProfDir`, the child writes a V8 CPU profile
 * there when it exits (for `--cpu-prof` on the server side of a benchmark).
 */
export function spawnBenchChild(script: string, args: readonly string[], opts: { cpuProfDir?: string } = {}): Promise<BenchChild> {
  const prof = opts.cpuProfDir !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...prof, "--import", "tsx", script, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let buf = "";
    let ready = false;
    const onEarlyExit = (code: number | null): void => reject(new Error(`bench child ${script} exited (${code}) before it was ready`));
    child.once("exit", onEarlyExit);
    child.once("error", reject);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (ready) return;
      buf += chunk.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      ready = true;
      child.off("exit", onEarlyExit);
      let info: unknown;
      try {
        info = JSON.parse(buf.slice(0, nl));
      } catch {
        child.kill();
        reject(new Error(`bench child ${script} printed no JSON ready line`));
        return;
      }
      resolve({
        info,
        pid: child.pid ?? 0,
        async stop() {
          child.stdin?.end();
          await exited;
        },
      });
    });
  });
}

/** The child side: start, print the ready line, stop when the parent closes stdin. */
export function serveUntilStdinEnds(start: () => Promise<{ info: unknown; stop: () => Promise<void> }>): void {
  start()
    .then(({ info, stop }) => {
      process.stdout.write(`${JSON.stringify(info)}\n`);
      process.stdin.resume();
      process.stdin.on("end", () => {
        stop()
          .catch((err: unknown) => process.stderr.write(`bench child stop failed: ${String(err)}\n`))
          .finally(() => process.exit(0));
      });
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}

/** Reads a string field from a child's ready line. */
export function field(obj: unknown, ...path: string[]): string {
  let cur: unknown = obj;
  for (const p of path) cur = typeof cur === "object" && cur !== null ? (cur as Record<string, unknown>)[p] : undefined;
  if (typeof cur !== "string") throw new Error(`bench child ready line lacks ${path.join(".")}`);
  return cur;
}
