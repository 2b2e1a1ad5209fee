// Baseline: the reference SDK's pull (one `sync:from` page of 25 per round trip, atprotocol.md
// §5.5) over loopback and over a 20 ms link (a delay proxy in front of the root and the atServer).
// On a link the SDK cannot beat 25 keys per round trip: 1,250 keys/s at 20 ms.
// Its figures' baseline is the limit of that way of pulling, measured in the same run: 25 keys per
// noop round trip on the same connection's link.
// Run: node --import tsx bench/sdk-style-pull.ts [--loop-keys=100000] [--sdk-keys=20000] [--one-way-ms=10] [--only=loopback|wan]
import { fills, LOOP_ATSIGN, parseBenchArgs, SDK_WAN_ATSIGN } from "./support/args.js";
import { startBenchServer, targetOf } from "./support/benchServer.js";
import { figure } from "./support/figure.js";
import { keysPerCpuSecond, keysPerSecond } from "./support/remotes.js";
import { sdkBaseline } from "./support/sdkStylePull.js";
import { uptime } from "./support/stats.js";

/** What one page per round trip allows: 25 keys per round trip. */
const perRoundTrip = (rttMs: number): number => Math.round((25 / rttMs) * 1000);

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const t0 = performance.now();
  // Only the SDK-style pulls: the engine's link atSign is not filled.
  const server = await startBenchServer(fills({ ...args, wanKeys: 0 }), args.serverProfDir !== undefined ? { cpuProfDir: args.serverProfDir } : {});
  try {
    process.stdout.write(`dev-server filled and started in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    if (args.only !== "wan") {
      const f = await sdkBaseline(targetOf(server.targets, LOOP_ATSIGN), args.loopKeys);
      process.stdout.write(
        `SDK-style pull, loopback (rtt ${f.rttMs.toFixed(2)} ms): ${f.keys} keys in ${(f.ms / 1000).toFixed(2)} s = ${keysPerSecond(f)} keys/s (${f.pages} pages; client CPU ${(f.cpuMs / 1000).toFixed(2)} s = ${keysPerCpuSecond(f)} keys per CPU-second); ${uptime()}\n`,
      );
      figure({
        name: `reference SDK pull (one page per round trip), loopback, ${f.keys.toLocaleString("en-US")} keys`,
        value: keysPerSecond(f), unit: "keys/s", better: "higher",
        baseline: { name: `25 keys per noop round trip (${f.rttMs.toFixed(2)} ms)`, value: perRoundTrip(f.rttMs) }, target: null,
        note: `the baseline of the engine's figures; ${uptime()}`,
      });
    }
    if (args.only !== "loopback") {
      const link = await server.link(args.oneWayMs);
      try {
        const f = await sdkBaseline(targetOf(link.targets, SDK_WAN_ATSIGN), args.sdkKeys);
        const ceiling = perRoundTrip(f.rttMs);
        process.stdout.write(
          `SDK-style pull, ${2 * args.oneWayMs} ms link (rtt ${f.rttMs.toFixed(2)} ms): ${f.keys} keys in ${(f.ms / 1000).toFixed(2)} s = ${keysPerSecond(f)} keys/s (${f.pages} pages; 25 keys per round trip allows ${ceiling}; client CPU ${(f.cpuMs / 1000).toFixed(2)} s); ${uptime()}\n`,
        );
        figure({
          name: `reference SDK pull (one page per round trip), ${2 * args.oneWayMs} ms RTT, ${f.keys.toLocaleString("en-US")} keys`,
          value: keysPerSecond(f), unit: "keys/s", better: "higher",
          baseline: { name: `25 keys per noop round trip (${f.rttMs.toFixed(1)} ms)`, value: ceiling }, target: null,
          note: `1,000,000 keys this way would take ${Math.round(1_000_000 / keysPerSecond(f))} s; ${uptime()}`,
        });
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
