// Before the client sends a byte: is the socket, and the directory it is in, the user's own
// (shared/pathTrust.ts has the rules, SECURITY.md the reasons)? Node has no SO_PEERCRED, so the
// kernel's word on the socket's owner is lstat's; in a directory only the user may write, nobody
// else can have put that socket there, nor swap it between this check and the connect.

import { lstatSync, statSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { pathStatOf, socketTrustProblem, type PathStat } from "../shared/pathTrust.js";

/** lstat/stat, or undefined when the path is missing or may not be looked at (the connect then says which). */
function tryStat(fn: (p: string) => Stats, path: string): PathStat | undefined {
  try {
    return pathStatOf(fn(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EACCES" || code === "ELOOP") return undefined;
    throw err;
  }
}

/**
 * Throws SocketNotOurs when the socket at `socketPath` may be someone else's: its directory is not
 * the user's or others may write to it, or the socket belongs to another uid (root and the service
 * user are trusted for the system-wide daemon at SYSTEM_SOCKET_PATH). A socket that is not there
 * passes: connecting then fails with DaemonNotRunning, and with nothing sent.
 */
export function checkSocketOwner(socketPath: string, uid: number | undefined = process.getuid?.()): void {
  // Windows named pipes have no owner to read this way; there is no uid to compare either.
  if (uid === undefined || process.platform === "win32") return;
  const dir = dirname(resolve(socketPath));
  const dirStat = tryStat(lstatSync, dir);
  const parentStat = tryStat(statSync, dirname(dir));
  if (dirStat === undefined || parentStat === undefined) return;
  const problem = socketTrustProblem({ socketPath, dir, dirStat, parentStat, socketStat: tryStat(lstatSync, socketPath) }, uid);
  if (problem !== undefined) throw new AtsyncError(ErrorCode.SocketNotOurs, problem, { socketPath });
}
