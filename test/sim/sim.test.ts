// THE DETERMINISTIC SIMULATION (issue 8 item 3), as CI runs it: 2,000 seeds of the real engine
// (SyncDriver + SqliteStore files) against the simulated atServer, with faults, then the oracle
// of sim/README.md. It fails listing every failing seed with the command that replays it, and a
// shrunk trace for the first seed of each invariant. Against the engine of today it is expected
// to fail (RELIABILITY.md lists what it finds): until the run is clean it is pending in `npm test`,
// and SIM_ENFORCE=1 runs it. SIM_SEEDS overrides the count (e.g. SIM_SEEDS=100000 for the soak).
import { expect } from "chai";
import { formatReport, runMany } from "../../sim/runMany.js";

const SEEDS = Number(process.env["SIM_SEEDS"] ?? 2000);

describe("deterministic simulation (sim/, issue 8): 2,000 seeds", function () {
  this.timeout(30 * 60_000);

  it(`every seed of 1..${SEEDS} keeps every invariant`, async function () {
    // Pending, not passing: the engine still violates invariants in about 30% of seeds (RELIABILITY.md, issue 8 open).
    if (process.env["SIM_ENFORCE"] !== "1") this.skip();
    const m = await runMany({ from: 1, count: SEEDS, shrinkBudgetMs: 20_000 });
    const report = formatReport(m, m.failing.length);
    if (m.failing.length > 0) process.stdout.write(`${report}\n`);
    expect(m.failing.map((r) => r.seed), `failing seeds (the report above has each replay command):\n${report.split("\n")[1]}`).to.deep.equal([]);
  });
});
