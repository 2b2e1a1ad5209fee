import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full garbage collection, for tests that measure what a structure retains
 * rather than what the heap happened to gather before its next collection
 * (which differs between Node versions). `--expose-gc` set at run time makes
 * `gc` visible to contexts created afterwards.
 */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export function forceGc(): void {
  gc();
  gc();
}
