// BENCHMARKS.md, written by `npm run bench` (bench/run.ts) from bench/results.json: pure
// functions, no I/O. A record is one benchmark's last run: the command, the machine, its load
// before and after, and the figures it printed (bench/support/figure.ts). A partial run
// (`npm run bench -- <filter>`) replaces only the records of the benchmarks it ran.
import type { Figure } from "./figure.js";

export interface Machine {
  cores: number;
  cpu: string;
  ramGiB: number;
  node: string;
  os: string;
}

/** The three load averages (1, 5 and 15 min) of the machine. */
export type Load = [number, number, number];

export interface BenchRecord {
  /** The file in bench/: "daemon-get.ts". */
  bench: string;
  /** What was typed: "npm run bench -- daemon-get". */
  command: string;
  /** ISO time the benchmark started. */
  startedAt: string;
  seconds: number;
  loadBefore: Load;
  loadAfter: Load;
  /** 0, or the child's exit code or signal. */
  exit: number | string;
  machine: Machine;
  figures: Figure[];
  /** A later run that failed before printing any figure: these figures are the last good run's. */
  lastFailure?: { startedAt: string; command: string; exit: number | string };
}

export interface Results {
  version: 1;
  records: BenchRecord[];
}

export const emptyResults = (): Results => ({ version: 1, records: [] });

/** Reads results.json's text; anything else (a missing or foreign file) starts afresh. */
export function parseResults(text: string | undefined): Results {
  if (text === undefined) return emptyResults();
  const r = JSON.parse(text) as Partial<Results>;
  if (r.version !== 1 || !Array.isArray(r.records)) throw new Error("bench/results.json is not a version 1 results file");
  return { version: 1, records: r.records };
}

/**
 * The old records with the fresh ones laid over them, one per benchmark, in `benches` order
 * (records of benchmarks no longer in bench/ are dropped). A fresh run that failed and printed
 * nothing keeps the last good figures, marked with the failure.
 */
export function mergeResults(old: Results, fresh: readonly BenchRecord[], benches: readonly string[]): Results {
  const byBench = new Map(old.records.map((r) => [r.bench, r]));
  for (const f of fresh) {
    const prev = byBench.get(f.bench);
    if (f.exit !== 0 && f.figures.length === 0 && prev !== undefined && prev.figures.length > 0) {
      byBench.set(f.bench, { ...prev, lastFailure: { startedAt: f.startedAt, command: f.command, exit: f.exit } });
    } else {
      byBench.set(f.bench, f);
    }
  }
  return { version: 1, records: orderBenches(benches).flatMap((b) => byBench.get(b) ?? []) };
}

/** The order of BENCHMARKS.md: the guide's figures first (sync, latency, reads, memory, idle, start-up, listing), then the rest by name. */
const ORDER = ["initial-sync", "initial-sync-wan", "sdk-style-pull", "sync-from", "e2e-latency", "daemon-get", "rpc-get", "web", "memory", "scale", "idle", "startup", "list", "bad-frames"];

export function orderBenches(benches: readonly string[]): string[] {
  const rank = (b: string): number => {
    const i = ORDER.indexOf(b.replace(/\.ts$/u, ""));
    return i < 0 ? ORDER.length : i;
  };
  return [...benches].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

// ---- numbers ----

/** A figure's number as a row shows it: whole numbers and those from 100 up rounded, thousands grouped; two or three significant digits below. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString("en");
  if (a >= 10) return v.toFixed(1);
  if (a >= 0.1) return v.toFixed(2);
  return v.toPrecision(2);
}

export const withUnit = (v: number, unit: string): string => (unit === "%" ? `${num(v)}%` : `${num(v)} ${unit}`);

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The figure over its baseline (null where there is none, or it is zero). */
export function ratio(f: Figure): number | null {
  const b = f.baseline?.value;
  return finite(f.value) && finite(b) && b !== 0 ? f.value / b : null;
}

export function ratioText(r: number | null): string {
  if (r === null) return "—";
  return `${r >= 10 ? Math.round(r).toLocaleString("en") : r.toFixed(2)}×`;
}

export type Verdict = "met" | "not met" | "no target" | "not measured";

export function verdict(f: Figure): Verdict {
  if (!finite(f.value)) return "not measured";
  if (f.target === null || !finite(f.target)) return "no target";
  return (f.better === "higher" ? f.value >= f.target : f.value <= f.target) ? "met" : "not met";
}

export function targetText(f: Figure): string {
  if (f.target === null || !finite(f.target)) return "—";
  return `${f.better === "higher" ? "≥" : "≤"} ${withUnit(f.target, f.unit)}`;
}

/** One line for the terminal as run.ts passes a benchmark's output through. */
export function figureLine(f: Figure): string {
  const base = f.baseline ? `; baseline ${withUnit(f.baseline.value, f.unit)} (${f.baseline.name}), ${ratioText(ratio(f))}` : "";
  const target = f.target === null ? "" : `; target ${targetText(f)}: ${verdict(f)}`;
  return `  → ${f.name}: ${finite(f.value) ? withUnit(f.value, f.unit) : "not measured"}${base}${target}`;
}

// ---- the page ----

const cell = (s: string): string => s.replace(/\|/gu, "\\|").replace(/\s*\n\s*/gu, " ");
const loadText = (l: Load): string => l.map((x) => x.toFixed(2)).join(" / ");
export const machineText = (m: Machine): string => `${m.cores} cores (${m.cpu}), ${num(m.ramGiB)} GiB RAM, Node ${m.node}, ${m.os}`;
const day = (iso: string): string => iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/u, " UTC");
const exitText = (e: number | string): string => (typeof e === "number" ? `exit ${e}` : `killed by ${e}`);

function verdictCell(f: Figure): string {
  const v = verdict(f);
  return v === "met" ? "met" : v === "not met" ? "**not met**" : v;
}

function figureRow(f: Figure): string {
  const value = finite(f.value) ? withUnit(f.value, f.unit) : "not measured";
  const base = f.baseline ? `${finite(f.baseline.value) ? withUnit(f.baseline.value, f.unit) : "not measured"} (${f.baseline.name})` : "—";
  return `| ${cell(f.name)} | ${value} | ${cell(base)} | ${ratioText(ratio(f))} | ${targetText(f)} | ${verdictCell(f)} | ${cell(f.note ?? "")} |`;
}

function section(r: BenchRecord | undefined, bench: string, machineNo: Map<string, number>): string[] {
  const out = [`## ${bench}`, ""];
  if (r === undefined) return [...out, "Not run yet.", ""];
  const many = machineNo.size > 1 ? ` on machine ${machineNo.get(JSON.stringify(r.machine)) ?? "?"}` : "";
  out.push(`\`${r.command}\`, ${day(r.startedAt)}, ${Math.round(r.seconds).toLocaleString("en")} s${many}; load average ${loadText(r.loadBefore)} before, `
    + `${loadText(r.loadAfter)} after (1 / 5 / 15 min, ${r.machine.cores} cores)${r.exit === 0 ? "" : `; **failed (${exitText(r.exit)})**`}.`);
  if (r.lastFailure) {
    out.push("", `**The last run failed** (\`${r.lastFailure.command}\`, ${day(r.lastFailure.startedAt)}, ${exitText(r.lastFailure.exit)}) before printing a figure: the figures below are from the run before it.`);
  }
  out.push("");
  if (r.figures.length === 0) return [...out, "It printed no figures (no `BENCH-FIGURE` line, bench/support/figure.ts).", ""];
  out.push("| figure | value | baseline (same run) | ratio | target | | reason, next step, or what it depends on |", "|---|---|---|---|---|---|---|");
  for (const f of r.figures) out.push(figureRow(f));
  return [...out, ""];
}

/** BENCHMARKS.md for these results; `benches` are the files in bench/ (one section each). */
export function formatReport(results: Results, benches: readonly string[]): string {
  const ordered = orderBenches(benches);
  const byBench = new Map(results.records.map((r) => [r.bench, r]));
  const machineNo = new Map<string, number>();
  for (const r of results.records) {
    const k = JSON.stringify(r.machine);
    if (!machineNo.has(k)) machineNo.set(k, machineNo.size + 1);
  }
  const all = ordered.flatMap((b) => (byBench.get(b)?.figures ?? []).map((f) => ({ bench: b, f })));
  const targeted = all.filter(({ f }) => verdict(f) === "met" || verdict(f) === "not met");
  const met = targeted.filter(({ f }) => verdict(f) === "met").length;

  const out = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (bench/run.ts) from bench/results.json: do not edit it by hand.",
    "`npm run bench -- <word>...` runs only the benchmarks whose file name contains a word and rewrites only their sections;",
    "each section says which command produced it, when, and the machine's load before and after.",
    "",
    "Every figure stands beside a baseline measured in the same run, on the same machine under the same load",
    "(the SDK's own pull for a sync rate, an in-process SQLite read for a `get`, ...); the ratio is the figure divided by",
    "its baseline, and moves much less with the load than the figure does. The target is the project's; where one is",
    "not met, the last column says why and what comes next.",
    "",
    "## Machine",
    "",
  ];
  if (machineNo.size === 0) out.push("No benchmark has run yet.");
  else if (machineNo.size === 1) out.push(machineText(results.records[0]!.machine));
  else for (const [k, n] of machineNo) out.push(`${n}. ${machineText(JSON.parse(k) as Machine)}`);
  out.push("", "## Targets", "");
  if (targeted.length === 0) out.push("No figure with a target yet.");
  else {
    out.push(`${met} of ${targeted.length} met.`, "", "| figure | value | target | | benchmark | measured |", "|---|---|---|---|---|---|");
    for (const { bench, f } of targeted) {
      const r = byBench.get(bench)!;
      out.push(`| ${cell(f.name)} | ${withUnit(f.value, f.unit)} | ${targetText(f)} | ${verdictCell(f)} | [${bench}](#${bench.replace(/\./gu, "")}) | ${day(r.startedAt)}, load ${r.loadBefore[0].toFixed(1)} |`);
    }
  }
  out.push("");
  for (const b of ordered) out.push(...section(byBench.get(b), b, machineNo));
  return `${out.join("\n").replace(/\n+$/u, "")}\n`;
}
