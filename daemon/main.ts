// Runs the daemon in the foreground until SIGTERM/SIGINT or `daemon.shutdown`: the entry
// `atsyncd run` (and the service units) use. Startup failures become one clear sentence.
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { ExitCode } from "./cli/Command.js";
import { ConfigError } from "./config/ConfigError.js";
import { DataDirLockedError } from "./config/DataDirLock.js";
import { Daemon, type DaemonOptions } from "./Daemon.js";

/** Exit codes of `atsyncd run` beyond 0 (stopped cleanly): the CLI's table (daemon/cli/Command.ts ExitCode). */
export const RunExitCode = {
  Failure: ExitCode.Failure,
  Usage: ExitCode.Usage,
  /** Another daemon holds the data dir or answers on the socket. */
  AlreadyRunning: ExitCode.AlreadyRunning,
  Config: ExitCode.Config,
} as const;

export interface RunIO {
  stderr: NodeJS.WritableStream;
}

/** Why the daemon could not start, for a person; undefined for an unexpected failure. */
export function describeStartFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof DataDirLockedError) {
    return { message: `atsyncd is already running for ${err.dir} (pid ${err.pid}); stop it first or choose another --data-dir`, exitCode: RunExitCode.AlreadyRunning };
  }
  if (AtsyncError.is(err, ErrorCode.DaemonAlreadyRunning)) return { message: `${err.message}; stop it first or choose another --socket`, exitCode: RunExitCode.AlreadyRunning };
  if (err instanceof ConfigError) return { message: err.message, exitCode: RunExitCode.Config };
  if (AtsyncError.is(err)) return { message: err.message, exitCode: RunExitCode.Failure };
  return { message: `cannot start: ${err instanceof Error ? err.message : String(err)}`, exitCode: RunExitCode.Failure };
}

/** Installs SIGTERM/SIGINT handlers that stop `daemon`; returns their removal. */
export function stopOnSignals(daemon: Daemon): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    daemon.logger.info("signal received", { signal });
    void daemon.stop().catch((err: unknown) => daemon.logger.error("stop failed", { error: err }));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}

/** Starts the daemon, serves until stopped, resolves with the exit code. */
export async function runDaemon(opts: DaemonOptions, io: RunIO, onStarted?: (d: Daemon) => Promise<void> | void): Promise<number> {
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(opts);
  } catch (err) {
    const f = describeStartFailure(err);
    io.stderr.write(`atsyncd: ${f.message}\n`);
    return f.exitCode;
  }
  const removeSignals = stopOnSignals(daemon);
  try {
    await onStarted?.(daemon);
    await daemon.whenStopped();
    return 0;
  } catch (err) {
    io.stderr.write(`atsyncd: ${err instanceof Error ? err.message : String(err)}\n`);
    await daemon.stop();
    return RunExitCode.Failure;
  } finally {
    removeSignals();
  }
}
