// One file per command under daemon/cli/commands/<name>.ts (house-style §19), each
// default-exporting a Command. main.ts finds them by name, so adding a command is adding a file.
import type { Clock } from "../ports.js";

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** The current time and timers, for "5 s ago", latencies and timeouts (house-style §20). */
  readonly clock: Clock;
  /** For commands that read data from stdin (`put … -`); process.stdin when absent. */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface Command {
  /** The word after `atsyncd`. Equal to the file name. */
  readonly name: string;
  /** One line for `atsyncd --help`. */
  readonly summary: string;
  /** The full text of `atsyncd <name> --help`. */
  readonly usage: string;
  /** Runs the command; resolves with the process exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** Exit codes scripts can rely on (documented in the README). */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  NotRunning: 3,
  NotOnboarded: 4,
  NeedsAttention: 5,
  /** `atsyncd run`: another daemon already holds the data dir or answers on the socket. */
  AlreadyRunning: 6,
  /** atsyncd is not built, or its native module (better-sqlite3) is not built for this node (EX_SOFTWARE, as bin/atsyncd's "not built"). */
  NotBuilt: 70,
  /** `atsyncd run`: the config file is invalid (EX_CONFIG). */
  Config: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A user-facing failure: one clear sentence and an exit code, no stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.Failure) {
    super(message);
    this.name = "CliError";
  }

  /** Structural, so it holds when a test loader gives a command its own copy of this module. */
  static is(err: unknown): err is CliError {
    if (err instanceof CliError) return true;
    const e = err as { name?: unknown; exitCode?: unknown } | null;
    return err instanceof Error && e?.name === "CliError" && typeof e.exitCode === "number";
  }
}
