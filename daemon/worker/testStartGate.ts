// A test hook (ATSYNCD_TEST_HOOKS=1 and ATSYNCD_TEST_START_GATE=<dir>): a worker whose atSign
// names a file in that directory waits, before it starts, until the file is removed. End-to-end
// tests use it to hold one worker in `starting` for as long as they need, without timing.
import { existsSync, watch } from "node:fs";
import { join } from "node:path";

/** Resolves once the gate is open; undefined when there is no gate for this worker (the usual case). */
export function testStartGate(data: unknown, env: NodeJS.ProcessEnv = process.env): Promise<void> | undefined {
  const dir = env.ATSYNCD_TEST_START_GATE;
  const atSign = (data as { atSign?: unknown } | null)?.atSign;
  if (env.ATSYNCD_TEST_HOOKS !== "1" || dir === undefined || dir === "" || typeof atSign !== "string") return undefined;
  const file = join(dir, atSign.toLowerCase());
  if (!existsSync(file)) return undefined;
  return new Promise((resolve) => {
    const watcher = watch(dir, () => check());
    const check = (): void => {
      if (existsSync(file)) return;
      watcher.close();
      resolve();
    };
    // Removed between the first look and the watch.
    check();
  });
}
