// A benchmark's daemon: an in-process dev-server serving one atSign, the real daemon as a child
// process (compiled dist/) onboarded with it, the machine's load printed before and after, and
// everything removed at the end, however the benchmark ends.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../../atserver/index.js";
import { startTestDaemon, type TestDaemon, type TestDaemonOptions } from "../../test/support/daemon.js";
import { uptime } from "./stats.js";

export async function withBenchDaemon(name: string, atSign: string, opts: Partial<TestDaemonOptions>, fn: (daemon: TestDaemon) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `atsyncd-bench-${name}-`));
  const dev = await startDevServer({ dataDir: join(dir, "dev"), atSigns: [atSign] });
  try {
    const daemon = await startTestDaemon({ ...opts, devServer: dev, atSigns: [atSign] });
    try {
      console.log(`before: ${uptime()}`);
      await fn(daemon);
      console.log(`after: ${uptime()}`);
    } finally {
      await daemon.dispose();
    }
  } finally {
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a benchmark's main, exit 1 when it throws. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
