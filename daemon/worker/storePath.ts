// Where one atSign's local secondary lives in the daemon's data dir.
import { join } from "node:path";

/** The store file of `atSign`; one that could name a path outside `atsigns/` is refused. */
export function storePath(dataDir: string, atSign: string): string {
  const name = atSign.toLowerCase();
  if (!/^@[^/\\\0]+$/u.test(name) || name === "@." || name === "@..") {
    throw new RangeError(`not an atSign a store file can be named after: ${JSON.stringify(atSign.slice(0, 64))}`);
  }
  return join(dataDir, "atsigns", `${name}.db`);
}
