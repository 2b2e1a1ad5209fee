// Baseline: the reference SDK's pull (one `sync:from` page of 25 per round trip, atprotocol.md
// §5.5) over loopback and over a 20 ms link (a delay proxy in front of the root and the atServer).
// On a link the SDK cannot beat 25 keys per round trip: 1,250 keys/s at 20 ms.
// Run: node --import tsx bench/sdk-style-pull.ts [--loop-keys=100000] [--wan-keys=20000] [--one-way-ms=10] [--only=loopback|wan]
import { fills, LOOP_ATSIGN, parseBenchArgs, WAN_ATSIGN } from "./support/args.js";
import { startBenchServer, targetOf } from "./support/benchServer.js";
import { keysPerCpuSecond, keysPerSecond } from "./support/remotes.js";
import { sdkBaseline } from "./support/sdkStylePull.js";

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const t0 = performance.now();
  const server = await startBenchServer(fills(args), args.serverProfDir !== undefined ? { cpuProfDir: args.serverProfDir } : {});
  try {
    process.stdout.write(`dev-server filled and started in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    if (args.only !== "wan") {
      const f = await sdkBaseline(targetOf(server.targets, LOOP_ATSIGN), args.loopKeys);
      process.stdout.write(
        `SDK-style pull, loopback (rtt ${f.rttMs.toFixed(2)} ms): ${f.keys} keys in ${(f.ms / 1000).toFixed(2)} s = ${keysPerSecond(f)} keys/s (${f.pages} pages; client CPU ${(f.cpuMs / 1000).toFixed(2)} s = ${keysPerCpuSecond(f)} keys per CPU-second)\n`,
      );
    }
    if (args.only !== "loopback") {
      const link = await server.link(args.oneWayMs);
      try {
        const f = await sdkBaseline(targetOf(link.targets, WAN_ATSIGN), args.wanKeys);
        const ceiling = Math.round((25 / f.rttMs) * 1000);
        process.stdout.write(
          `SDK-style pull, ${2 * args.oneWayMs} ms link (rtt ${f.rttMs.toFixed(2)} ms): ${f.keys} keys in ${(f.ms / 1000).toFixed(2)} s = ${keysPerSecond(f)} keys/s (${f.pages} pages; 25 keys per round trip allows ${ceiling}; client CPU ${(f.cpuMs / 1000).toFixed(2)} s)\n`,
        );
      } finally {
        await link.stop();
      }
    }
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
