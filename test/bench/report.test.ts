// BENCHMARKS.md's formatter and the merge of a partial `npm run bench` (bench/support/report.ts).
import { expect } from "chai";
import { FIGURE_PREFIX, parseFigures, type Figure } from "../../bench/support/figure.js";
import { emptyResults, figureLine, formatReport, mergeResults, num, parseResults, ratio, verdict, type BenchRecord } from "../../bench/support/report.js";

const machine = { cores: 2, cpu: "AMD EPYC", ramGiB: 23.5, node: "v20.19.5", os: "Debian GNU/Linux 12, Linux 6.1 x64" };

const p50: Figure = {
  name: "keys.get p50, 1 client", value: 120, unit: "µs", better: "lower",
  baseline: { name: "in-process better-sqlite3 read", value: 4 }, target: 80, note: "the worker's hop: next, answer from the main thread",
};
const rate: Figure = { name: "keys.get, 8 clients", value: 160_000, unit: "ops/s", better: "higher", baseline: null, target: 150_000 };
const rss: Figure = { name: "RSS | after", value: 12.345, unit: "MB", better: "lower", baseline: { name: "before", value: 10 }, target: null };

function rec(bench: string, figures: Figure[], more: Partial<BenchRecord> = {}): BenchRecord {
  return {
    bench, command: `npm run bench -- ${bench.replace(".ts", "")}`, startedAt: "2026-12-02T13:40:12.345Z", seconds: 42.4,
    loadBefore: [2.15, 1.64, 0.76], loadAfter: [3.5, 2, 1], exit: 0, machine, figures, ...more,
  };
}

describe("bench: the BENCHMARKS.md report", function () {
  it("reads the figure lines out of a benchmark's output and leaves its own lines alone", function () {
    const out = `p50 120 µs\n${FIGURE_PREFIX}${JSON.stringify(p50)}\nload average 2\n${FIGURE_PREFIX}${JSON.stringify(rate)}\n`;
    expect(parseFigures(out)).to.deep.equal([p50, rate]);
  });

  it("judges a figure against its target in the direction that is better, and divides it by its baseline", function () {
    expect([p50, rate, rss].map(verdict)).to.deep.equal(["not met", "met", "no target"]);
    expect(verdict({ ...rate, value: 150_000 })).to.equal("met");
    expect(verdict({ ...p50, value: 80 })).to.equal("met");
    // JSON turns NaN into null: a figure that was not measured says so.
    expect(verdict({ ...p50, value: null as unknown as number })).to.equal("not measured");
    expect([ratio(p50), ratio(rate), ratio({ ...rss, baseline: { name: "zero", value: 0 } })]).to.deep.equal([30, null, null]);
    expect([0, 4, 0.0123, 1.234, 12.34, 123.4, 1_234_567].map(num)).to.deep.equal(["0", "4", "0.012", "1.23", "12.3", "123", "1,234,567"]);
    expect(figureLine(p50)).to.equal("  → keys.get p50, 1 client: 120 µs; baseline 4 µs (in-process better-sqlite3 read), 30×; target ≤ 80 µs: not met");
  });

  it("writes the machine, each benchmark's command, date and load, and a row per figure with its baseline, ratio, target and note", function () {
    const md = formatReport(mergeResults(emptyResults(), [rec("daemon-get.ts", [p50, rate]), rec("list.ts", [rss])], ["list.ts", "daemon-get.ts", "idle.ts"]), ["list.ts", "daemon-get.ts", "idle.ts"]);
    expect(md).to.contain("2 cores (AMD EPYC), 23.5 GiB RAM, Node v20.19.5, Debian GNU/Linux 12, Linux 6.1 x64");
    expect(md).to.contain("`npm run bench -- daemon-get`, 2026-12-02 13:40 UTC, 42 s; load average 2.15 / 1.64 / 0.76 before, 3.50 / 2.00 / 1.00 after (1 / 5 / 15 min, 2 cores).");
    expect(md).to.contain("| keys.get p50, 1 client | 120 µs | 4 µs (in-process better-sqlite3 read) | 30× | ≤ 80 µs | **not met** | the worker's hop: next, answer from the main thread |");
    expect(md).to.contain("| keys.get, 8 clients | 160,000 ops/s | — | — | ≥ 150,000 ops/s | met |  |");
    expect(md).to.contain("| RSS \\| after | 12.3 MB | 10 MB (before) | 1.23× | — | no target |  |");
    expect(md).to.contain("1 of 2 met.");
    // The guide's order (reads before idle before listing), and a benchmark that never ran says so.
    const sections = [...md.matchAll(/^## (\S+\.ts)$/gmu)].map((m) => m[1]);
    expect(sections).to.deep.equal(["daemon-get.ts", "idle.ts", "list.ts"]);
    expect(md).to.match(/## idle\.ts\n\nNot run yet\./u);
  });

  it("a partial run replaces only its own benchmarks' rows, and a failed run with no figures keeps the last good ones, marked", function () {
    const first = mergeResults(emptyResults(), [rec("daemon-get.ts", [p50]), rec("list.ts", [rss])], ["daemon-get.ts", "list.ts"]);
    const again = mergeResults(parseResults(JSON.stringify(first)), [rec("daemon-get.ts", [rate], { startedAt: "2026-12-03T08:00:00.000Z" })], ["daemon-get.ts", "list.ts"]);
    expect(again.records.map((r) => [r.bench, r.figures.map((f) => f.name), r.startedAt])).to.deep.equal([
      ["daemon-get.ts", ["keys.get, 8 clients"], "2026-12-03T08:00:00.000Z"],
      ["list.ts", ["RSS | after"], "2026-12-02T13:40:12.345Z"],
    ]);
    const failed = mergeResults(again, [rec("list.ts", [], { exit: 1, startedAt: "2026-12-04T09:00:00.000Z" })], ["daemon-get.ts", "list.ts"]);
    const list = failed.records.find((r) => r.bench === "list.ts");
    expect(list?.figures).to.deep.equal([rss]);
    expect(list?.lastFailure).to.deep.equal({ startedAt: "2026-12-04T09:00:00.000Z", command: "npm run bench -- list", exit: 1 });
    expect(formatReport(failed, ["daemon-get.ts", "list.ts"])).to.contain("**The last run failed** (`npm run bench -- list`, 2026-12-04 09:00 UTC, exit 1)");
    // A benchmark removed from bench/ leaves the report; one that prints no figures yet says so.
    const gone = mergeResults(failed, [rec("idle.ts", [])], ["idle.ts", "list.ts"]);
    expect(gone.records.map((r) => r.bench)).to.deep.equal(["idle.ts", "list.ts"]);
    expect(formatReport(gone, ["idle.ts", "list.ts"])).to.contain("It printed no figures");
    expect(() => parseResults("{\"records\": 3}")).to.throw(/not a version 1 results file/u);
  });
});
