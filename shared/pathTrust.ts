// Who may have put a socket, directory or file where atsyncd looks for it: the rules the daemon
// applies to its socket, runtime and data directories and the client to the socket it is about to
// send to (SECURITY.md). Pure functions over what lstat/stat said, so daemon and client judge
// alike and every case is testable without a second user.

import { SYSTEM_SOCKET_PATH } from "./paths.js";

export type PathKind = "directory" | "socket" | "symlink" | "file" | "other";

/** What lstat (or stat) said about a path, as much as these rules need. */
export interface PathStat {
  readonly kind: PathKind;
  readonly uid: number;
  readonly mode: number;
}

/** The shape of node's fs.Stats these rules read (shared/ imports no node module). */
export interface StatsLike {
  readonly uid: number;
  readonly mode: number;
  isDirectory(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
  isFile(): boolean;
}

export function pathStatOf(st: StatsLike): PathStat {
  const kind: PathKind = st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "directory" : st.isSocket() ? "socket" : st.isFile() ? "file" : "other";
  return { kind, uid: st.uid, mode: st.mode };
}

const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * Why `st` cannot be a directory of ours (the socket's, the data dir): it must be a real
 * directory (lstat: not a symlink), owned by `uid`, and writable by nobody else.
 * Undefined when it can.
 */
export function privateDirProblem(st: PathStat, uid: number): string | undefined {
  if (st.kind === "symlink") return "is a symlink, not a directory";
  if (st.kind !== "directory") return "is not a directory";
  if (st.uid !== uid) return `belongs to uid ${st.uid}, not to uid ${uid}`;
  if ((st.mode & WRITABLE_BY_OTHERS) !== 0) return `is writable by other users (mode ${octal(st.mode)})`;
  return undefined;
}

/**
 * Why a directory leading to one of ours lets another user rename or replace what follows it
 * (lstat). Owned by `uid` or root, and writable by nobody else unless sticky (/tmp); a symlink on
 * the way must be `uid`'s or root's too, since its owner may point it elsewhere (even in /tmp).
 * Undefined when fine.
 */
export function parentDirProblem(st: PathStat, uid: number): string | undefined {
  if (st.kind === "symlink") return st.uid === uid || st.uid === 0 ? undefined : `is a symlink of uid ${st.uid}, who may point it elsewhere`;
  if (st.kind !== "directory") return "is not a directory";
  if (st.uid !== uid && st.uid !== 0) return `belongs to uid ${st.uid}, neither to uid ${uid} nor to root`;
  if ((st.mode & WRITABLE_BY_OTHERS) !== 0 && (st.mode & STICKY) === 0) {
    return `lets other users rename what is in it (mode ${octal(st.mode)}, writable by others without the sticky bit)`;
  }
  return undefined;
}

/**
 * The directories the kernel passes through to reach `dir`, each of which could rename or replace
 * what follows it: those above `dir` as written (its parent first) and those above where it
 * really is, `realDir` (links and `..` resolved), up to /. Plain string work on absolute paths.
 */
export function dirsLeadingTo(dir: string, realDir: string): string[] {
  const out: string[] = [];
  for (const start of [dir, realDir]) {
    for (let p = start.replace(/(?<=.)\/+$/u, ""); p !== "/";) {
      const cut = p.lastIndexOf("/");
      p = cut <= 0 ? "/" : p.slice(0, cut);
      if (!out.includes(p)) out.push(p);
    }
  }
  return out;
}

/** A directory (or symlink) leading to one of ours and what lstat said of it. */
export interface DirAbove {
  readonly dir: string;
  readonly stat: PathStat;
}

/** The first of `above` (dirsLeadingTo's order) that lets another user rename or replace what leads to ours, and why. */
export function firstDirAboveProblem(above: readonly DirAbove[], uid: number): { dir: string; problem: string } | undefined {
  for (const a of above) {
    const problem = parentDirProblem(a.stat, uid);
    if (problem !== undefined) return { dir: a.dir, problem };
  }
  return undefined;
}

/** What the client found at and around the socket path before connecting. */
export interface SocketFacts {
  readonly socketPath: string;
  readonly dir: string;
  /** lstat of the socket's directory. */
  readonly dirStat: PathStat;
  /** lstat of each directory leading to it (dirsLeadingTo): its parent first. */
  readonly above: readonly DirAbove[];
  /** lstat of the socket; undefined when it does not exist or may not be looked at (connect then says why). */
  readonly socketStat: PathStat | undefined;
}

/**
 * The system-wide daemon's socket (/run/atsyncd) belongs to the service user, not to the users of
 * its group: it is trusted when its directory sits in a root-only parent (/run), since then only
 * root can have made that directory and given it to its owner.
 */
function trustedOwners(f: SocketFacts, uid: number): ReadonlySet<number> {
  const parent = f.above[0]?.stat;
  const rootOnlyParent = parent?.kind === "directory" && parent.uid === 0 && (parent.mode & WRITABLE_BY_OTHERS) === 0;
  if (f.socketPath === SYSTEM_SOCKET_PATH && rootOnlyParent) return new Set([uid, 0, f.dirStat.uid]);
  return new Set([uid]);
}

/**
 * Why the client must not send anything to this socket, as the sentence it throws; undefined
 * when the socket and its directory are the user's own (or the system daemon's, see trustedOwners).
 */
export function socketTrustProblem(f: SocketFacts, uid: number): string | undefined {
  const refuse = "refusing to send";
  const trusted = trustedOwners(f, uid);
  const sock = f.socketStat;
  if (sock !== undefined) {
    if (sock.kind !== "socket") return `the atsyncd socket ${f.socketPath} is ${sock.kind === "symlink" ? "a symlink" : "not a socket"}: ${refuse}`;
    if (!trusted.has(sock.uid)) return `the atsyncd socket ${f.socketPath} belongs to uid ${sock.uid}, not you: ${refuse}`;
  }
  const dir = f.dirStat;
  if (dir.kind !== "directory") return `the atsyncd socket ${f.socketPath} is in ${f.dir}, which ${dir.kind === "symlink" ? "is a symlink" : "is not a directory"}: ${refuse}`;
  if (!trusted.has(dir.uid)) return `the atsyncd socket ${f.socketPath} is in ${f.dir}, which belongs to uid ${dir.uid}, not you: ${refuse}`;
  if ((dir.mode & WRITABLE_BY_OTHERS) !== 0) {
    // Sticky and open to all (/tmp, as root meets it): every user's, so never `chmod 700` it.
    const fix = (dir.mode & STICKY) !== 0
      ? `${f.dir} is shared by every user (sticky, as /tmp is): give atsyncd and its clients a socket in a directory of yours (\`atsyncd run --socket PATH\`, $ATSYNCD_SOCKET)`
      : `stop atsyncd, run \`chmod 700 ${f.dir}\` and start it again`;
    return `the atsyncd socket ${f.socketPath} is in ${f.dir}, which other users may write to (mode ${octal(dir.mode)}): ${refuse}; ${fix}`;
  }
  const above = firstDirAboveProblem(f.above, uid);
  if (above === undefined) return undefined;
  const which = above.dir === f.above[0]?.dir ? "parent directory" : `ancestor directory ${above.dir}`;
  return `the atsyncd socket ${f.socketPath} is in ${f.dir}, whose ${which} ${above.problem}: ${refuse}`;
}
