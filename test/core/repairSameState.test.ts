import { expect } from "chai";
import { decidePage, type PageInput } from "../../daemon/core/decidePage.js";
import type { KeyFacts, RemoteEntry } from "../../daemon/core/types.js";

// A repair meets the state we hold, nothing pending: the very version we held (the backup kept
// it), or an older write of the same state (the version we held, a rewrite of it, was lost).
describe("core: a repair meeting an older write of the state we hold", () => {
  const key = "k.wavi@alice";
  const T = Date.parse("2026-11-22T12:00:00.000Z");
  const stamp = (ms: number): string => new Date(ms).toISOString().replace("T", " ");

  function requeued(held: { commitId: number; timeMs: number }, entry: { commitId: number; timeMs: number }): number {
    const facts = new Map<string, KeyFacts>([[key, {
      key: { atKey: key, value: "v1", metadata: {}, deleted: false, commitId: held.commitId, serverTimeMs: held.timeMs, seen: false },
      pending: [],
    }]]);
    const e: RemoteEntry = { atKey: key, value: "v1", metadata: { updatedAt: stamp(entry.timeMs) }, commitId: entry.commitId, operation: "*" };
    const input: PageInput = {
      entries: [e], facts, policy: "remote-wins", nowMs: T + 60_000, clockOffsetMs: 0, repair: true,
      watermarkMs: null, lastReceivedCommitId: -1, provenUpTo: entry.commitId, probes: [],
    };
    const d = decidePage(input);
    expect(d.conflicts).to.deep.equal([]);
    return d.requeued;
  }

  it("scenario: the restored log holds the state we pulled, stamped before our version: ours goes out again (soak seed 32786)", () => {
    expect(requeued({ commitId: 3, timeMs: T + 5_000 }, { commitId: 1, timeMs: T })).to.equal(1);
  });

  it("scenario: the same state at the same time, at a lower commit id than our version had: another write, so ours goes out again (soak seed 32786, shrunk)", () => {
    expect(requeued({ commitId: 3, timeMs: T }, { commitId: 1, timeMs: T })).to.equal(1);
  });

  it("the very version we held (same time, same commit id), or a later write of the same state, is not pushed again", () => {
    expect(requeued({ commitId: 3, timeMs: T }, { commitId: 3, timeMs: T })).to.equal(0);
    expect(requeued({ commitId: 3, timeMs: T }, { commitId: 1, timeMs: T + 1 })).to.equal(0);
  });
});
