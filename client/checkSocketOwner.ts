// Before the client sends a byte: is the socket, and the directory it is in, the user's own
// (shared/pathTrust.ts has the rules, SECURITY.md the reasons)? Node has no SO_PEERCRED, so the
// kernel's word on the socket's owner is lstat's; in a directory only the user may write, nobody
// else can have put that socket there, nor swap it between this check and the connect.

import { lstatSync, realpathSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { dirsLeadingTo, pathStatOf, socketTrustProblem, type DirAbove, type PathStat } from "../shared/pathTrust.js";
import { connectError } from "./connectError.js";

/**
 * lstat, or throws what connecting would have (connectError: DaemonNotRunning when missing): a
 * path missing at the check must not pass it, since another user may put it back before the connect.
 */
function lstatOrFail(path: string, socketPath: string): PathStat {
  try {
    return pathStatOf(lstatSync(path));
  } catch (err) {
    throw connectError(err, socketPath);
  }
}

function realpathOrFail(path: string, socketPath: string): string {
  try {
    // .native: realpath(3), which resolves `..` after a link as the kernel does (the JS one normalizes first).
    return realpathSync.native(path);
  } catch (err) {
    throw connectError(err, socketPath);
  }
}

/**
 * Throws SocketNotOurs when the socket at `socketPath` may be someone else's: its directory is not
 * the user's or others may write to it, a directory leading to it (as written, and where its
 * links lead) lets others rename what is in it, or the socket belongs to another uid (root and the
 * service user are trusted for the system-wide daemon at SYSTEM_SOCKET_PATH). Throws what the
 * connect would (DaemonNotRunning, SocketPermissionDenied) when any of them cannot be seen, and
 * connects to nothing then either.
 */
export function checkSocketOwner(socketPath: string, uid: number | undefined = process.getuid?.()): void {
  // Windows named pipes have no owner to read this way; there is no uid to compare either.
  if (uid === undefined || process.platform === "win32") return;
  // Not normalized: the kernel reads a `..` after a link as the link target's parent, and so must the check.
  const dir = dirname(isAbsolute(socketPath) ? socketPath : `${process.cwd()}/${socketPath}`);
  const dirStat = lstatOrFail(dir, socketPath);
  const above: DirAbove[] = dirsLeadingTo(dir, realpathOrFail(dir, socketPath)).map((d) => ({ dir: d, stat: lstatOrFail(d, socketPath) }));
  let socketStat: PathStat | undefined;
  let missing: AtsyncError | undefined;
  try {
    socketStat = lstatOrFail(socketPath, socketPath);
  } catch (err) {
    // Judged without it first: a squatted directory is worth saying so, even before its fake socket is there.
    missing = err as AtsyncError;
  }
  const problem = socketTrustProblem({ socketPath, dir, dirStat, above, socketStat }, uid);
  if (problem !== undefined) throw new AtsyncError(ErrorCode.SocketNotOurs, problem, { socketPath });
  if (missing !== undefined) throw missing;
}
