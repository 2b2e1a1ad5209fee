import { expect } from "chai";
import { KeyFilter } from "../../daemon/core/filter.js";
import { decideFilter, finishRepair } from "../../daemon/core/syncState.js";
import type { LocalKey } from "../../daemon/core/types.js";

const A = "@alice🛠";

function unseen(atKey: string, over: Partial<LocalKey> = {}): LocalKey {
  return { atKey, value: "v", metadata: {}, deleted: false, commitId: 10, serverTimeMs: 1000, seen: false, ...over };
}

describe("core: repairs and the selective-sync filter", () => {
  it("a repair under a filter leaves keys outside it unseen, with their commit ids; lost keys inside it are queued again at their version's time", () => {
    const filter = new KeyFilter({ namespaces: ["wavi"] });
    const { ops, requeued } = finishRepair([unseen(`x.other${A}`), unseen(`lost.wavi${A}`), unseen(`gone.wavi${A}`, { deleted: true, value: null })], new Set(), filter, 5000);
    expect(requeued).to.deep.equal([`lost.wavi${A}`, `gone.wavi${A}`]);
    expect(ops.filter((o) => "atKey" in o && o.atKey === `x.other${A}`)).to.deep.equal([]);
    expect(ops).to.deep.include({ op: "requeue", atKey: `lost.wavi${A}`, change: "*", atMs: 5000, versionTimeMs: 1000 });
    expect(ops).to.deep.include({ op: "requeue", atKey: `gone.wavi${A}`, change: "-", atMs: 5000, versionTimeMs: 1000 });
    expect(ops[ops.length - 1]).to.deep.equal({ op: "setSyncState", patch: { repairInProgress: false } });
  });

  it("a changed filter restarts the pull from -1, as a repair when a repair left keys unseen; the first filter and the same filter do neither", () => {
    expect(decideFilter(null, "\\.wavi@")).to.deep.equal({ ops: [{ op: "setSyncState", patch: { filterRegex: "\\.wavi@" } }], restarted: false });
    expect(decideFilter("\\.wavi@", "\\.wavi@", true)).to.deep.equal({ ops: [], restarted: false });
    expect(decideFilter("\\.wavi@", undefined).ops).to.deep.equal([{ op: "setSyncState", patch: { filterRegex: "", lastReceivedCommitId: -1, serverCommitId: null, probes: [] } }]);
    expect(decideFilter("\\.wavi@", undefined, true).ops).to.deep.equal([
      { op: "setSyncState", patch: { filterRegex: "", lastReceivedCommitId: -1, serverCommitId: null, probes: [], repairInProgress: true } },
    ]);
  });
});
