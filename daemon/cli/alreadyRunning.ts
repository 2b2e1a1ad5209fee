// "atsyncd is already running for ./.atsyncd-dev (pid N, socket S)": what `atsyncd run` (and a
// second `npm start`) says instead of starting a second daemon on a data dir one already holds.
import { readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { LOCK_FILE, pidAlive } from "../config/DataDirLock.js";
import { describeRunningDaemon } from "./daemonPaths.js";

/** The pid of the live daemon holding `dataDir`'s lock, if any (a stale lock does not count). */
export function daemonLockHolder(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCK_FILE), "utf8");
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid) ? pid : undefined;
}

/** `./.atsyncd-dev` for a dir under the working directory, else the absolute path. */
export function shownDir(dir: string, cwd = process.cwd()): string {
  const rel = relative(cwd, dir);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep) ? `.${sep}${rel}` : dir;
}

/** The sentence for a daemon `pid` that holds `dataDir`; its socket is named when it answers on `socketPath`. */
export async function alreadyRunningMessage(dataDir: string, pid: number, socketPath: string): Promise<string> {
  const d = await describeRunningDaemon(socketPath);
  const where = d !== undefined && d.dataDir === dataDir
    ? `socket ${d.socketPath}`
    : `it does not answer on ${socketPath}: it was started with another --socket or $ATSYNCD_SOCKET`;
  return `atsyncd is already running for ${shownDir(dataDir)} (pid ${pid}, ${where}); use it, or stop it first (Ctrl-C where it runs, or \`kill ${pid}\`)`;
}
