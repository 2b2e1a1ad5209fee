// Many seeds in a row, with a report: the failing seeds with the command that replays each, and
// for the first seed failing each invariant, a shrunk trace.
import { INVARIANT_TITLES, type Invariant } from "./oracle.js";
import { replayCommand, runSeed, type SeedResult } from "./runner.js";
import { shrink, type Shrunk } from "./shrink.js";
import { formatStep } from "./trace.js";

export interface ManyOptions {
  from: number;
  count: number;
  devices?: number;
  steps?: number;
  keys?: number;
  /** Shrink the first failing seed of each invariant (default true). */
  shrink?: boolean;
  shrinkBudgetMs?: number;
  onResult?: (r: SeedResult) => void;
}

export interface ManyResult {
  seeds: number;
  failing: SeedResult[];
  shrunk: Array<{ result: SeedResult; shrunk: Shrunk }>;
  faults: Record<string, number>;
  ms: number;
}

export async function runMany(o: ManyOptions): Promise<ManyResult> {
  const started = performance.now();
  const failing: SeedResult[] = [];
  const faults: Record<string, number> = {};
  const firstOf = new Map<Invariant, SeedResult>();
  for (let seed = o.from; seed < o.from + o.count; seed++) {
    const r = await runSeed(seed, { devices: o.devices, steps: o.steps, keys: o.keys });
    for (const [k, n] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + n;
    if (r.violations.length > 0) {
      failing.push(r);
      for (const v of r.violations) if (!firstOf.has(v.invariant)) firstOf.set(v.invariant, r);
    }
    o.onResult?.(r);
  }
  const shrunk: ManyResult["shrunk"] = [];
  if (o.shrink !== false) {
    for (const [invariant, r] of firstOf) {
      // Shrink toward this invariant: put its violation first.
      const focused = { ...r, violations: [...r.violations.filter((v) => v.invariant === invariant), ...r.violations.filter((v) => v.invariant !== invariant)] };
      shrunk.push({ result: focused, shrunk: await shrink(focused, { devices: o.devices, steps: o.steps, keys: o.keys }, o.shrinkBudgetMs) });
    }
  }
  return { seeds: o.count, failing, shrunk, faults, ms: performance.now() - started };
}

export function formatShrunk(result: SeedResult, s: Shrunk): string {
  const lines = [
    `seed ${result.seed} (${result.setup.devices} device(s), ${result.setup.policy}, ${result.setup.profile}, skews ${result.setup.skews.join("/")} ms): ${INVARIANT_TITLES[result.violations[0]!.invariant]}`,
    `  replay: ${replayCommand(result)}`,
    `  shrunk to ${s.trace.length} of ${result.trace.length} steps in ${s.replays} replays${s.minimal ? "" : " (time budget ran out)"}:`,
    ...s.trace.map((step, i) => `    ${String(i + 1).padStart(3)}. ${formatStep(step)}`),
    "    then: faults end, every device syncs until quiescent",
    `  replay the shrunk trace: ${replayCommand(result)} --trace '${JSON.stringify(s.trace)}'`,
    "  violations of the shrunk trace:",
    ...s.violations.map((v) => `    - [${v.invariant}] ${v.message}`),
  ];
  return lines.join("\n");
}

export function formatReport(m: ManyResult, listFailing = 30): string {
  const byInvariant = new Map<Invariant, number[]>();
  for (const r of m.failing) for (const inv of new Set(r.violations.map((v) => v.invariant))) byInvariant.set(inv, [...(byInvariant.get(inv) ?? []), r.seed]);
  const faults = Object.entries(m.faults).sort().map(([k, n]) => `${k} ${n}`).join(", ");
  const lines = [
    `${m.seeds} seeds in ${(m.ms / 1000).toFixed(1)} s; faults injected: ${faults || "none"}`,
    `${m.failing.length} seed(s) violate an invariant`,
  ];
  for (const [inv, seeds] of byInvariant) lines.push(`  ${INVARIANT_TITLES[inv]}: ${seeds.length} seed(s), e.g. ${seeds.slice(0, 8).join(", ")}`);
  if (m.failing.length > 0) {
    lines.push("", "failing seeds (replay each with its command):");
    for (const r of m.failing.slice(0, listFailing)) lines.push(`  ${replayCommand(r)}    # ${[...new Set(r.violations.map((v) => v.invariant))].join(", ")}`);
    if (m.failing.length > listFailing) lines.push(`  ... and ${m.failing.length - listFailing} more`);
  }
  for (const { result, shrunk } of m.shrunk) lines.push("", formatShrunk(result, shrunk));
  return lines.join("\n");
}
