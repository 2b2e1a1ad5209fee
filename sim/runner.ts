// Runs one seed (generating its steps from the PRNG, or replaying a recorded list), then heals
// the world and asks the oracle. Each run gets fresh store files in a temp dir (on tmpfs where
// there is one), removed afterwards.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkWorld, probeWork, type Violation } from "./oracle.js";
import { Prng } from "./prng.js";
import { makeSetup, nextStep, type Setup, type Step } from "./trace.js";
import { World } from "./world.js";

export interface RunOptions {
  devices?: number;
  steps?: number;
  /** Keys the seed writes (default drawn, 2-6). */
  keys?: number;
  /** Replays these steps instead of drawing them. */
  trace?: readonly Step[];
}

export interface SeedResult {
  seed: number;
  setup: Setup;
  trace: Step[];
  violations: Violation[];
  faults: Record<string, number>;
  healRounds: number | null;
  /** The largest share of its bound a sync run used. */
  worstRun: { requests: number; bound: number };
  ms: number;
}

function tempRoot(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

/** The step stream is apart from the setup's, so --devices/--steps do not shift it. */
const STEP_STREAM = 0x5bd1e995;

export async function runSeed(seed: number, opts: RunOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const setup = makeSetup(seed, opts);
  const dir = mkdtempSync(join(tempRoot(), "atsyncd-sim-"));
  const world = new World(setup, dir);
  const rng = new Prng((seed ^ STEP_STREAM) >>> 0);
  const trace: Step[] = [];
  const violations: Violation[] = [];
  let healRounds: number | null;
  try {
    const n = opts.trace ? opts.trace.length : setup.steps;
    for (let i = 0; i < n; i++) {
      const step = opts.trace ? opts.trace[i]! : nextStep(rng, setup, world, i);
      trace.push(step);
      await world.exec(step, i);
    }
    healRounds = await world.heal();
    violations.push(...checkWorld(world, healRounds));
    if (healRounds !== null && !violations.some((v) => v.invariant === "diverged")) violations.push(...(await probeWork(world)));
  } finally {
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { seed, setup, trace, violations, faults: world.faultCounts(), healRounds, worstRun: world.work.worst, ms: performance.now() - started };
}

/** The command that replays a seed exactly. */
export function replayCommand(r: Pick<SeedResult, "seed" | "setup">): string {
  return `npm run sim -- --seed ${r.seed} --devices ${r.setup.devices} --steps ${r.setup.steps} --keys ${r.setup.keys.length}`;
}
