// One file per command under daemon/cli/commands/<name>.ts (house-style §19), each
// default-exporting a Command. main.ts finds them by name, so adding a command is adding a file.

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
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
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A user-facing failure: one clear sentence and an exit code, no stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.Failure) {
    super(message);
    this.name = "CliError";
  }
}
