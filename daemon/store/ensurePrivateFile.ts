// A store file (the database, its -wal and -shm) is opened only as a regular file of ours, never
// through a symlink: opened with O_NOFOLLOW and judged by fstat on that very descriptor, so what
// is checked is what SQLite then opens (the data dir holding it is ours alone, ensurePrivateDir).
// Its mode is set to 0600 on the descriptor.
import { closeSync, constants, fchmodSync, fstatSync, openSync } from "node:fs";
import { StoreError } from "./StoreError.js";

function refuse(path: string, why: string): StoreError {
  return new StoreError("STORE_NOT_OURS", `the store file ${path} ${why}; atsyncd refuses to open it: move it away and restart atsyncd (the store is pulled again)`);
}

/** Makes `path` a 0600 regular file of this uid (created when `create`; a missing one is fine otherwise), or throws STORE_NOT_OURS. */
export function ensurePrivateFile(path: string, create: boolean): void {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put there must not hang the open.
    fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0) | (create ? constants.O_CREAT : 0), 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !create) return;
    if (code === "ELOOP") throw refuse(path, "is a symlink");
    if (code === "EISDIR") throw refuse(path, "is a directory");
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse(path, "is not a regular file");
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw refuse(path, `belongs to uid ${st.uid}, not to uid ${uid}`);
    if ((st.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}
