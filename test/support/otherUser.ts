// Another Unix user on the machine, for the tests of the local threat model (SECURITY.md):
// `atsyncd-other`, made by .ci/run (or $ATSYNCD_OTHER_USER). Tests run programs as it with
// setpriv, and only programs outside the clone (mkdir, node -e SCRIPT) from "/", so they work
// wherever the clone is, even in a home directory that user may not enter.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

export interface OtherUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

const SETPRIV = "/usr/bin/setpriv";

function lookUp(): OtherUser | string {
  const name = process.env.ATSYNCD_OTHER_USER ?? "atsyncd-other";
  if (process.getuid?.() !== 0) return "needs root, to run programs as another user";
  if (!existsSync(SETPRIV)) return `needs ${SETPRIV}, to run programs as another user`;
  const id = (flag: string): number => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim() || Number.NaN);
  const uid = id("-u");
  const gid = id("-g");
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return `needs the user ${name} (.ci/run makes it: useradd --system ${name})`;
  const node = spawnSync(SETPRIV, [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", process.execPath, "-e", "0"], { cwd: "/" });
  if (node.status !== 0) return `needs ${name} to be able to run ${process.execPath}`;
  return { name, uid, gid };
}

let cached: OtherUser | string | undefined;

/** The other user, or the test is skipped saying what is missing. */
export function otherUserOrSkip(ctx: Mocha.Context): OtherUser {
  cached ??= lookUp();
  if (typeof cached === "string") {
    process.stdout.write(`      (skipped: ${cached})\n`);
    ctx.skip();
  }
  return cached;
}

/** Runs `cmd args` as `user`, from "/", and waits for it to exit. */
export function runAs(user: OtherUser, cmd: string, args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(SETPRIV, [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", cmd, ...args], { cwd: "/", encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

/** Starts `node -e script` as `user`, from "/"; its stdout is piped. */
export function spawnNodeAs(user: OtherUser, script: string, args: string[] = []): ChildProcess {
  return spawn(SETPRIV, [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", process.execPath, "-e", script, ...args],
    { cwd: "/", stdio: ["ignore", "pipe", "inherit"] });
}
