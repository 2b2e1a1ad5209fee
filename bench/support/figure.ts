// One measured figure, as a benchmark reports it to `npm run bench` (bench/run.ts), which gathers
// them into BENCHMARKS.md. A benchmark prints its human lines as it likes and, for each figure,
// one line `BENCH-FIGURE {json}` on stdout (figure() writes it).
//
// Every figure carries the baseline measured in the same run (the thing it is compared with: the
// SDK's pull for a sync rate, an in-process SQLite read for an RPC get, a bare Node thread for a
// worker's memory), so the ratio survives a noisy machine; and the target it is held to.

export interface Figure {
  /** What was measured, for a row of the table: "initial sync, loopback, 100,000 keys". */
  name: string;
  value: number;
  /** "keys/s", "ms", "MB", "µs", "ops/s", "s", "%". */
  unit: string;
  /** Which way is better: the ratio and the target read with it. */
  better: "higher" | "lower";
  /** Measured in the same run, in the same unit; null only where nothing comparable can be run. */
  baseline: { name: string; value: number } | null;
  /** The figure the guide or the issue sets; null when none is set. */
  target: number | null;
  /** Where a target is missed: the reason and the next step; or what the figure depends on. */
  note?: string;
}

export const FIGURE_PREFIX = "BENCH-FIGURE ";

export function figure(f: Figure): void {
  process.stdout.write(`${FIGURE_PREFIX}${JSON.stringify(f)}\n`);
}

/** Reads the figures out of a benchmark's stdout; other lines are its own and are left alone. */
export function parseFigures(stdout: string): Figure[] {
  const out: Figure[] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith(FIGURE_PREFIX)) out.push(JSON.parse(line.slice(FIGURE_PREFIX.length)) as Figure);
  }
  return out;
}
