// Delta debugging (Zeller's ddmin) over a failing run's steps: drop chunks, replaying each
// candidate, and keep any that still violates the same invariant, down to single steps.
import type { Invariant, Violation } from "./oracle.js";
import { runSeed, type RunOptions, type SeedResult } from "./runner.js";
import type { Step } from "./trace.js";

export interface Shrunk {
  trace: Step[];
  violations: Violation[];
  replays: number;
  /** False when the time budget ran out before a minimal trace was reached. */
  minimal: boolean;
}

export async function shrink(failing: SeedResult, opts: RunOptions, budgetMs = 60_000): Promise<Shrunk> {
  const target: Invariant = failing.violations[0]!.invariant;
  const deadline = performance.now() + budgetMs;
  let current = failing.trace;
  let violations = failing.violations;
  let replays = 0;
  const stillFails = async (candidate: Step[]): Promise<boolean> => {
    replays++;
    const r = await runSeed(failing.seed, { ...opts, devices: failing.setup.devices, steps: failing.setup.steps, keys: failing.setup.keys.length, trace: candidate });
    if (!r.violations.some((v) => v.invariant === target)) return false;
    violations = r.violations;
    return true;
  };
  let parts = 2;
  while (current.length > 1) {
    const size = Math.ceil(current.length / parts);
    let reduced = false;
    for (let start = 0; start < current.length; start += size) {
      if (performance.now() > deadline) return { trace: current, violations, replays, minimal: false };
      const candidate = [...current.slice(0, start), ...current.slice(start + size)];
      if (await stillFails(candidate)) {
        current = candidate;
        parts = Math.max(parts - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (parts >= current.length) break;
    parts = Math.min(current.length, parts * 2);
  }
  if (current.length === 1 && performance.now() <= deadline && (await stillFails([]))) current = [];
  return { trace: current, violations, replays, minimal: true };
}
