// The commands install-service runs (systemctl, launchctl, systemd-sysusers) go through a
// CommandRunner, so tests check them without touching the machine's services.
import { execFile } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command; resolves with its exit code (non-zero too) and rejects only when it cannot start. */
export type CommandRunner = (cmd: string, args: readonly string[]) => Promise<CommandResult>;

export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 60_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code === "string") {
        reject(err); // ENOENT and friends: the command does not exist here
        return;
      }
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
