import { expect } from "chai";
import { decidePage, type PageInput } from "../../daemon/core/decidePage.js";
import { HeadMarks } from "../../daemon/core/headMarks.js";
import type { KeyFacts, OutboxId } from "../../daemon/core/types.js";

describe("core: when the server's log reached each commit id (statsNotification marks)", () => {
  it("an entry was written by the first mark whose head reached it", () => {
    const m = new HeadMarks();
    m.record(3, 1_000);
    m.record(7, 2_000);
    expect(m.writtenBy(2)).to.equal(1_000);
    expect(m.writtenBy(3)).to.equal(1_000);
    expect(m.writtenBy(5)).to.equal(2_000);
    expect(m.writtenBy(8)).to.equal(null);
  });

  it("a later, lower head (the log went back) clears the marks of the old log", () => {
    const m = new HeadMarks();
    m.record(9, 1_000);
    m.record(2, 5_000);
    expect(m.writtenBy(5)).to.equal(null);
    expect(m.writtenBy(2)).to.equal(5_000);
  });

  it("a repeated notification of the same head keeps its first time", () => {
    const m = new HeadMarks();
    m.record(4, 1_000);
    m.record(4, 16_000);
    expect(m.writtenBy(4)).to.equal(1_000);
  });

  const key = "k.wavi@alice";
  function input(writtenBy?: (id: number) => number | null): PageInput {
    const facts = new Map<string, KeyFacts>([[key, {
      key: { atKey: key, value: "mine", metadata: {}, deleted: false, commitId: null, serverTimeMs: null, seen: true },
      pending: [{ id: 1 as OutboxId, atKey: key, op: "*", createdAtMs: 60_000, state: "pending", commitId: null, attempts: 0, nextRetryAtMs: 0, lastError: null, sent: null }],
    }]]);
    return {
      entries: [{ atKey: key, value: null, metadata: null, commitId: 1, operation: "-" }],
      facts, policy: "last-writer-wins", nowMs: 120_000, clockOffsetMs: 0, repair: false,
      watermarkMs: null, lastReceivedCommitId: -1, provenUpTo: 1, probes: [], ...(writtenBy ? { writtenBy } : {}),
    };
  }

  it("scenario: under last-writer-wins a remote delete dated by the notification of its commit loses to a later local write", () => {
    const d = decidePage(input((id) => (id <= 1 ? 10 : null)));
    expect(d.conflicts.map((c) => [c.winner, c.remote.timeMs])).to.deep.equal([["local", 10]]);
  });

  it("a remote delete no notification dates wins over a local write (a delete is never undone by a guess)", () => {
    const d = decidePage(input());
    expect(d.conflicts.map((c) => c.winner)).to.deep.equal(["remote"]);
  });
});
