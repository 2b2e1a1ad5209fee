// One daemon per data dir. Node has no flock(), so the lock is a `daemon.lock` file holding
// the owner's pid, created atomically; a lock whose pid is dead (a crashed daemon) is replaced.
// The pid file is written under a private name first and then link()ed into place, so the
// lock never exists half-written (an O_EXCL create followed by a write would leave a window
// where a second daemon reads an empty file). Filesystems without hard links get O_EXCL.
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InternalCode } from "../../shared/errors.js";
import { DATA_DIR, ensurePrivateDir } from "./ensurePrivateDir.js";

export const LOCK_FILE = "daemon.lock";

// Locks this process holds. A lock file naming our own pid that is not in here was left by
// an earlier process that had the same pid (pid 1 in a container restarting): stale.
const heldHere = new Set<string>();

export class DataDirLockedError extends Error {
  readonly code = InternalCode.DATA_DIR_LOCKED;
  constructor(readonly dir: string, readonly pid: number) {
    super(`another atsyncd (pid ${pid}) is using ${dir}`);
    this.name = "DataDirLockedError";
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** EPERM means the process exists but is someone else's: still alive. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

function writePidFile(path: string, pid: number, flags: "w" | "wx"): void {
  const fd = openSync(path, flags, 0o600);
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Puts our pid file in place unless a lock exists; false when one does. */
function tryTake(tmp: string, lockPath: string, pid: number): boolean {
  try {
    linkSync(tmp, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw err;
  }
  try {
    writePidFile(lockPath, pid, "wx");
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

export class DataDirLock {
  private released = false;

  private constructor(readonly dir: string, readonly path: string, readonly pid: number) {}

  /**
   * Takes the lock or throws DataDirLockedError; creates `dir` (0700) if needed, and refuses
   * (ConfigError DATA_DIR_NOT_OURS) a dir that is not ours alone (ensurePrivateDir).
   */
  static acquire(dir: string, pid: number = process.pid): DataDirLock {
    const uid = process.getuid?.();
    if (uid === undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
    else ensurePrivateDir(dir, uid, DATA_DIR);
    const lockPath = join(dir, LOCK_FILE);
    const tmp = join(dir, `${LOCK_FILE}.${pid}.tmp`);
    writePidFile(tmp, pid, "w");
    try {
      // Bounded: each round either takes the lock, refuses, or removes one stale lock.
      for (let attempt = 0; attempt < 5; attempt++) {
        if (tryTake(tmp, lockPath, pid)) {
          heldHere.add(lockPath);
          return new DataDirLock(dir, lockPath, pid);
        }
        const holder = readPid(lockPath);
        if (holder === undefined) {
          // Garbage content, or gone between our attempt and the read: stale either way.
          DataDirLock.removeStale(lockPath, undefined);
          continue;
        }
        if (holder === pid ? heldHere.has(lockPath) : pidAlive(holder)) throw new DataDirLockedError(dir, holder);
        DataDirLock.removeStale(lockPath, holder);
      }
      throw new DataDirLockedError(dir, readPid(lockPath) ?? 0);
    } finally {
      unlinkSync(tmp);
    }
  }

  /**
   * Moves the stale lock aside before deleting it, and checks what was moved: if another
   * daemon replaced the stale lock in between, its fresh lock is put back instead of deleted.
   */
  private static removeStale(lockPath: string, stalePid: number | undefined): void {
    // eslint-disable-next-line no-restricted-properties -- a unique file name, not a time: no Clock reaches the lock
    const aside = `${lockPath}.stale.${process.pid}.${Date.now()}`;
    try {
      renameSync(lockPath, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    const moved = readPid(aside);
    if (moved !== stalePid && moved !== undefined && pidAlive(moved)) {
      try {
        linkSync(aside, lockPath);
      } catch {
        // Someone else already holds it again; either way a live daemon keeps a lock file.
      }
    }
    unlinkSync(aside);
  }

  /** Removes the lock if it is still ours. Idempotent; safe in a process 'exit' handler. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    if (readPid(this.path) === this.pid) unlinkSync(this.path);
  }
}
