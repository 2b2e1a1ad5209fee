// `npm run sim -- [--seeds N] [--seed S [--trace JSON]] [--from F] [--devices D] [--steps K] [--keys N] [--no-shrink]`:
// runs the deterministic simulation (sim/README.md). Exit code 1 when any seed violates an invariant.
import { formatReport, formatShrunk, runMany } from "./runMany.js";
import { replayCommand, runSeed } from "./runner.js";
import { shrink } from "./shrink.js";
import type { Step } from "./trace.js";

function parse(argv: readonly string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument: ${a}`);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      out[a.slice(2)] = next;
      i++;
    } else out[a.slice(2)] = true;
  }
  return out;
}

function int(v: string | true | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isInteger(n)) throw new Error(`--${name} needs a whole number`);
  return n;
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const devices = int(args["devices"], "devices");
  if (devices !== undefined && (devices < 1 || devices > 3)) throw new Error("--devices is 1 to 3");
  const steps = int(args["steps"], "steps");
  const keys = int(args["keys"], "keys");
  if (keys !== undefined && (keys < 1 || keys > 10_000)) throw new Error("--keys is 1 to 10000");
  const seed = int(args["seed"], "seed");
  const given = args["trace"];
  if (given === true) throw new Error("--trace needs the JSON list of steps a report printed");
  const trace = given === undefined ? undefined : (JSON.parse(given) as Step[]);
  if (seed !== undefined) {
    const r = await runSeed(seed, { devices, steps, keys, trace });
    if (r.violations.length === 0) {
      process.stdout.write(`seed ${seed}: no violation (${r.trace.length} steps, healed in ${r.healRounds} round(s), ${r.ms.toFixed(0)} ms)\n`);
      return 0;
    }
    process.stdout.write(`seed ${seed}: ${r.violations.length} violation(s)\n${r.violations.map((v) => `  - [${v.invariant}] ${v.message}`).join("\n")}\n`);
    process.stdout.write(`replay: ${replayCommand(r)}\nshrinking...\n`);
    if (args["no-shrink"] === undefined) process.stdout.write(`${formatShrunk(r, await shrink(r, { devices, steps, keys }, 120_000))}\n`);
    return 1;
  }
  const count = int(args["seeds"], "seeds") ?? 2000;
  const from = int(args["from"], "from") ?? 1;
  let done = 0;
  const m = await runMany({
    from, count, devices, steps, keys, shrink: args["no-shrink"] === undefined,
    onResult: () => {
      done++;
      if (process.stderr.isTTY && done % 50 === 0) process.stderr.write(`\r${done}/${count} seeds`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write("\r");
  process.stdout.write(`${formatReport(m)}\n`);
  return m.failing.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`sim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
