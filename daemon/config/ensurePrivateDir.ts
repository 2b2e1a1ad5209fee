// The daemon's own directories (the socket's, the data dir) must be its uid's and closed to
// others: in /tmp anyone could have made the socket's first, to catch what apps send. Each is
// created 0700 if missing and then checked with lstat, never followed, so a symlink or a
// directory another user slipped in before or during the mkdir is refused, not used. The rules
// are shared/pathTrust.ts's, the same the client applies to the socket before it sends.
import { chmodSync, lstatSync, mkdirSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { dirsLeadingTo, firstDirAboveProblem, pathStatOf, privateDirProblem } from "../../shared/pathTrust.js";
import { ConfigError, ConfigErrorCode } from "./ConfigError.js";

export interface PrivateDirRole {
  /** "socket directory", "data directory": how the error names it. */
  what: string;
  code: ConfigErrorCode;
  /** What else the user can do, after fixing the directory: "pass --socket PATH". */
  otherwise: string;
  /** Drop the group and other read bits of a directory kept as it is otherwise (the data dir). */
  tighten?: boolean;
}

export const SOCKET_DIR: PrivateDirRole = { what: "socket directory", code: ConfigErrorCode.RuntimeDirNotOurs, otherwise: "or pass --socket PATH in a directory of yours" };
export const DATA_DIR: PrivateDirRole = { what: "data directory", code: ConfigErrorCode.DataDirNotOurs, otherwise: "or pass --data-dir DIR", tighten: true };

function fixFor(problem: string, dir: string, mode: number): string {
  if (problem.startsWith("belongs to")) return `another user may have made it to catch what is sent there: remove it (as root or its owner) and start atsyncd again`;
  // Sticky and open to all (/tmp, as root runs into it): every user's, so never chmod it; a directory of ours in it.
  if (problem.startsWith("is writable") && (mode & 0o1000) !== 0) return "it is shared by every user (sticky, as /tmp is): use a directory of yours in it";
  if (problem.startsWith("is writable")) return `check that nothing in it is another user's, run \`chmod 700 ${dir}\` and start atsyncd again`;
  return `remove it and start atsyncd again`;
}

/**
 * Creates `dir` (and missing parents) 0700, then refuses it unless it is a real directory owned
 * by `uid` and writable by nobody else, below directories that let nobody else replace it (each
 * directory leading to it, as written and where its links lead, owned by `uid` or root, not
 * writable by others unless sticky, as /tmp is).
 */
export function ensurePrivateDir(dir: string, uid: number, role: PrivateDirRole): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const problem = privateDirProblem(pathStatOf(st), uid);
  if (problem !== undefined) {
    throw new ConfigError(role.code, `the ${role.what} ${dir} ${problem}; atsyncd refuses to use it: ${fixFor(problem, dir, st.mode)}, ${role.otherwise}`);
  }
  const path = resolve(dir);
  const above = dirsLeadingTo(path, realpathSync.native(path)).map((d) => ({ dir: d, stat: pathStatOf(lstatSync(d)) }));
  const aboveProblem = firstDirAboveProblem(above, uid);
  if (aboveProblem !== undefined) {
    const how = aboveProblem.dir === dirname(path) ? "holds" : "leads to";
    throw new ConfigError(role.code,
      `the directory ${aboveProblem.dir}, which ${how} the ${role.what} ${dir}, ${aboveProblem.problem}; atsyncd refuses to use it: fix its owner or mode, ${role.otherwise}`);
  }
  if (role.tighten === true && (st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
