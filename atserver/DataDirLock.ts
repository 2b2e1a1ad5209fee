// One running dev-server per data dir. Two processes on one dir would each cache the next
// commit id and hand out the same ids, and `reset` under a running server would leave it
// serving a wiped store with a stale commit counter: both are refused while the holder lives.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LOCK_FILE = "dev-server.pid";

/** Dirs this process holds: a lock file naming our own pid is only ours if it is listed here. */
const heldHere = new Set<string>();

export class DataDirInUseError extends Error {
  readonly code = "DATA_DIR_IN_USE";
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `dev-server: ${dataDir} is in use by a running dev-server (pid ${pid}); stop it first ` +
        `(or remove ${join(dataDir, LOCK_FILE)} if that process is not a dev-server)`,
    );
    this.name = "DataDirInUseError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of the live dev-server holding `dataDir`, if any (a stale file does not count). */
export function dataDirHolder(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCK_FILE), "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  // Our own pid in a file we did not write is a leftover from an earlier process (pid reuse).
  if (pid === process.pid) return heldHere.has(dataDir) ? pid : undefined;
  return isAlive(pid) ? pid : undefined;
}

export interface DataDirLock {
  release(): void;
}

/** Takes `dataDir` for this process; throws DataDirInUseError while another live holder has it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const holder = dataDirHolder(dataDir);
  if (holder !== undefined) throw new DataDirInUseError(dataDir, holder);
  // A stale file (its process is gone, e.g. after kill -9) is taken over.
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
  heldHere.add(dataDir);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(dataDir);
      rmSync(path, { force: true });
    },
  };
}
