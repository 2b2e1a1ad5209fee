// THE DETERMINISTIC SIMULATION (issue 8 item 3), as CI runs it: 2,000 seeds of the real engine
// (SyncDriver + SqliteStore files) against the simulated atServer, with faults, then the oracle
// of sim/README.md. It fails listing every failing seed with the command that replays it, and a
// shrunk trace for the first seed of each invariant. SIM_SEEDS overrides the count (the soak:
// SIM_SEEDS=100000, or `npm run sim -- --seeds 100000`); RELIABILITY.md has the figures.
// Every shrunk trace fixed so far also replays in test/sim/regressions.test.ts.
import { expect } from "chai";
import { formatReport, runMany } from "../../sim/runMany.js";

const SEEDS = Number(process.env["SIM_SEEDS"] ?? 2000);
/** Seeds of the multi-page run: 200 keys outgrow one sync:from page, which the default 2-6 never do (RELIABILITY.md). */
const PAGED_SEEDS = Number(process.env["SIM_PAGED_SEEDS"] ?? 100);

describe(`deterministic simulation (sim/, issue 8): ${SEEDS.toLocaleString("en-US")} seeds`, function () {
  this.timeout(30 * 60_000);

  it(`every seed of 1..${SEEDS} keeps every invariant`, async function () {
    const m = await runMany({ from: 1, count: SEEDS, shrinkBudgetMs: 20_000 });
    const report = formatReport(m, m.failing.length);
    if (m.failing.length > 0) process.stdout.write(`${report}\n`);
    expect(m.failing.map((r) => r.seed), `failing seeds (the report above has each replay command):\n${report.split("\n")[1]}`).to.deep.equal([]);
  });

  it(`every seed of 1..${PAGED_SEEDS} with 200 keys and 300 steps (pulls of several pages) keeps every invariant`, async function () {
    const m = await runMany({ from: 1, count: PAGED_SEEDS, keys: 200, steps: 300, shrinkBudgetMs: 20_000 });
    const report = formatReport(m, m.failing.length);
    if (m.failing.length > 0) process.stdout.write(`${report}\n`);
    expect(m.failing.map((r) => r.seed), `failing seeds (the report above has each replay command):\n${report.split("\n")[1]}`).to.deep.equal([]);
  });
});
