// Our engine's initial pull against the targets: ≥ 30,000 keys/s for 100,000 keys over loopback,
// and several times the SDK's one-page-per-round-trip on a 20 ms link (20,000 keys there, so the
// baseline ends in ~16-20 s). Both legs measure the SDK-style baseline first, on the same server and
// link, then SyncDriver with 1, 4 and 8 pull connections, each into a fresh store.
// Run: node --import tsx bench/initial-sync-wan.ts [--loop-keys=100000] [--wan-keys=20000] [--one-way-ms=10]
//        [--lanes=1,4,8] [--only=loopback|wan] [--baseline=off] [--server-prof=<dir>]
// Profiling: node --cpu-prof --cpu-prof-dir=<dir> --import tsx bench/initial-sync-wan.ts --server-prof=<dir2> ...
import type { BenchArgs } from "./support/args.js";
import { fills, LOOP_ATSIGN, parseBenchArgs, WAN_ATSIGN } from "./support/args.js";
import { startBenchServer, targetOf, type Target } from "./support/benchServer.js";
import { enginePull } from "./support/enginePull.js";
import { closeRemotes, keysPerCpuSecond, keysPerSecond, openRemotes, roundTripMs, type PullFigures } from "./support/remotes.js";
import { sdkBaseline } from "./support/sdkStylePull.js";

const LOOPBACK_TARGET_KEYS_PER_S = 30_000;
/** "Several times" the SDK on the link. */
const WAN_TARGET_RATIO = 3;

function cpu(f: PullFigures): string {
  return `; client CPU ${(f.cpuMs / 1000).toFixed(2)} s = ${keysPerCpuSecond(f)} keys per CPU-second`;
}

async function leg(name: string, target: Target, keys: number, args: BenchArgs): Promise<{ best: number; baseline: number }> {
  const [probe] = await openRemotes(target, 1);
  const rtt = probe ? await roundTripMs(probe, 20) : NaN;
  if (probe) await closeRemotes([probe]);
  process.stdout.write(`${name} (noop round trip ${rtt.toFixed(2)} ms), ${keys} keys\n`);
  let baseline = NaN;
  if (args.baseline) {
    const base = await sdkBaseline(target, keys);
    baseline = keysPerSecond(base);
    process.stdout.write(`  SDK-style baseline: ${(base.ms / 1000).toFixed(2)} s = ${baseline} keys/s (${base.pages ?? 0} pages)${cpu(base)}\n`);
  }
  let best = 0;
  for (const lanes of args.lanes) {
    const f = await enginePull(target, lanes, keys);
    const rate = keysPerSecond(f);
    best = Math.max(best, rate);
    const vs = Number.isFinite(baseline) ? ` (${(rate / baseline).toFixed(2)}x the baseline)` : "";
    process.stdout.write(`  SyncDriver, ${lanes} connection(s): ${(f.ms / 1000).toFixed(2)} s = ${rate} keys/s${vs}${cpu(f)}\n`);
  }
  return { best, baseline };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const t0 = performance.now();
  const server = await startBenchServer(fills(args), args.serverProfDir !== undefined ? { cpuProfDir: args.serverProfDir } : {});
  const verdicts: string[] = [];
  try {
    process.stdout.write(`dev-server filled and started in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    if (args.only !== "wan") {
      const r = await leg("loopback", targetOf(server.targets, LOOP_ATSIGN), args.loopKeys, args);
      const met = r.best >= LOOPBACK_TARGET_KEYS_PER_S;
      verdicts.push(`loopback: best ${r.best} keys/s, target ${LOOPBACK_TARGET_KEYS_PER_S}: ${met ? "met" : "NOT met"}`);
    }
    if (args.only !== "loopback") {
      const link = await server.link(args.oneWayMs);
      try {
        const r = await leg(`${2 * args.oneWayMs} ms link`, targetOf(link.targets, WAN_ATSIGN), args.wanKeys, args);
        const ratio = r.best / r.baseline;
        verdicts.push(
          Number.isFinite(ratio)
            ? `link: best ${r.best} keys/s = ${ratio.toFixed(2)}x the SDK, target ${WAN_TARGET_RATIO}x: ${ratio >= WAN_TARGET_RATIO ? "met" : "NOT met"}`
            : `link: best ${r.best} keys/s (no baseline measured)`,
        );
      } finally {
        await link.stop();
      }
    }
  } finally {
    await server.stop();
  }
  for (const v of verdicts) process.stdout.write(`${v}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
