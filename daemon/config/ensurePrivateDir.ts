// The socket directory must be ours and closed to others: in /tmp anyone could have made it first.
import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import { ConfigError, ConfigErrorCode } from "./ConfigError.js";

/** Creates `dir` (and parents) with mode 0700, or checks an existing one is a real directory owned by `uid`, tightening its mode to 0700. */
export function ensurePrivateDir(dir: string, uid: number): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) {
    throw new ConfigError(ConfigErrorCode.RuntimeDirNotOurs, `${dir} is not a directory (a symlink or file is in the way); remove it or pass --socket`);
  }
  if (st.uid !== uid) {
    throw new ConfigError(ConfigErrorCode.RuntimeDirNotOurs, `${dir} belongs to uid ${st.uid}, not to us (uid ${uid}); remove it or pass --socket`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
