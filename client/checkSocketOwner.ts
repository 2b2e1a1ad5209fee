// Before the client sends a byte: is the socket, and the directory it is in, the user's own
// (shared/pathTrust.ts has the rules, SECURITY.md the reasons)? Node has no SO_PEERCRED, so the
// kernel's word on the socket's owner is lstat's; in a directory only the user may write, nobody
// else can have put that socket there, nor swap it between this check and the connect.

import { lstatSync, realpathSync, type Stats } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { dirsLeadingTo, pathStatOf, socketTrustProblem, type DirAbove, type PathStat } from "../shared/pathTrust.js";

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

function tryRealpath(path: string): string | undefined {
  try {
    // .native: realpath(3), which resolves `..` after a link as the kernel does (the JS one normalizes first).
    return realpathSync.native(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EACCES" || code === "ELOOP") return undefined;
    throw err;
  }
}

/**
 * Throws SocketNotOurs when the socket at `socketPath` may be someone else's: its directory is not
 * the user's or others may write to it, a directory leading to it (as written, and where its
 * links lead) lets others rename what is in it, or the socket belongs to another uid (root and the service
 * user are trusted for the system-wide daemon at SYSTEM_SOCKET_PATH). A socket that is not there
 * passes: connecting then fails with DaemonNotRunning, and with nothing sent.
 */
export function checkSocketOwner(socketPath: string, uid: number | undefined = process.getuid?.()): void {
  // Windows named pipes have no owner to read this way; there is no uid to compare either.
  if (uid === undefined || process.platform === "win32") return;
  // Not normalized: the kernel reads a `..` after a link as the link target's parent, and so must the check.
  const dir = dirname(isAbsolute(socketPath) ? socketPath : `${process.cwd()}/${socketPath}`);
  const dirStat = tryStat(lstatSync, dir);
  const realDir = tryRealpath(dir);
  if (dirStat === undefined || realDir === undefined) return;
  const above: DirAbove[] = [];
  for (const d of dirsLeadingTo(dir, realDir)) {
    const stat = tryStat(lstatSync, d);
    if (stat === undefined) return;
    above.push({ dir: d, stat });
  }
  const problem = socketTrustProblem({ socketPath, dir, dirStat, above, socketStat: tryStat(lstatSync, socketPath) }, uid);
  if (problem !== undefined) throw new AtsyncError(ErrorCode.SocketNotOurs, problem, { socketPath });
}
