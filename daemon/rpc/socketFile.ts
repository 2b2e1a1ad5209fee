// Prepares the listening path: a 0700 directory created if missing and refused unless it is
// ours alone (ensurePrivateDir), a live socket refused (another daemon answers there), a stale
// one (nobody answers) replaced.

import { lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { MAX_SOCKET_PATH_BYTES, SYSTEM_SOCKET_PATH } from "../../shared/paths.js";
import { ensurePrivateDir, SOCKET_DIR } from "../config/ensurePrivateDir.js";
import type { Clock } from "../ports.js";

/** Resolves "live" when something accepts a connection on `path`, "dead" when nothing does. */
export function probeSocket(path: string, clock: Clock, timeoutMs = 1000): Promise<"live" | "dead"> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    const timer = clock.setTimer(timeoutMs, () => {
      s.destroy();
      // A listener that accepts nothing within the timeout is still a live process.
      resolve("live");
    });
    s.once("connect", () => {
      timer.dispose();
      s.destroy();
      resolve("live");
    });
    s.once("error", (err: NodeJS.ErrnoException) => {
      timer.dispose();
      if (err.code === "ECONNREFUSED" || err.code === "ENOENT") resolve("dead");
      else reject(new AtsyncError(ErrorCode.SocketUnavailable, `cannot check the socket ${path}: ${err.code ?? err.message}`));
    });
  });
}

/**
 * The socket's mode once bound: 0600, the daemon's uid alone; 0660 at the system-wide daemon's
 * documented path, whose directory (/run/atsyncd, 0750) admits the atsyncd group (SECURITY.md).
 */
export function socketMode(path: string): number {
  return path === SYSTEM_SOCKET_PATH ? 0o660 : 0o600;
}

export async function prepareSocketPath(path: string, clock: Clock): Promise<void> {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new AtsyncError(ErrorCode.SocketUnavailable,
      `the socket path ${path} is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} the OS allows: choose a shorter --socket`);
  }
  const dir = dirname(path);
  const uid = process.getuid?.();
  // Without uids (Windows) there is no owner to check.
  if (uid === undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
  else ensurePrivateDir(dir, uid, SOCKET_DIR);
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!st.isSocket()) {
    throw new AtsyncError(ErrorCode.SocketUnavailable, `${path} exists and is not a socket: remove it or choose another --socket`);
  }
  if ((await probeSocket(path, clock)) === "live") {
    throw new AtsyncError(ErrorCode.DaemonAlreadyRunning, `another atsyncd is already running on ${path}`);
  }
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}
