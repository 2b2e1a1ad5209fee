// The core's checks on replies that cannot be true: batch replies that do not match their
// commands, and sync:from pages out of commit order or below the id asked for.
import { expect } from "chai";
import { interpretBatchReply } from "../../daemon/core/batchReply.js";
import { checkPageOrder, parseSyncPage, PullReplyError } from "../../daemon/core/pull.js";
import type { PushCommand } from "../../daemon/core/pushPlan.js";
import type { OutboxId } from "../../daemon/core/types.js";

const A = "@alice🛠";
let nextId = 1;
const cmd = (atKey: string): PushCommand => ({ atKey, command: `delete:${atKey}`, changeIds: [nextId++ as OutboxId], retried: false });
const kinds = (batch: PushCommand[], reply: unknown): string[] => interpretBatchReply(batch, JSON.stringify(reply)).map((o) => o.kind);

describe("core: replies that lie", () => {
  it("a batch reply with an id outside 1..n, a repeated id, or a non-object item is not trusted for any item", () => {
    const batch = [cmd("a"), cmd("b")];
    const ok = { response: { data: "5" } };
    expect(kinds(batch, [{ id: 0, ...ok }, { id: 1, response: { data: "6" } }])).to.deep.equal(["retry", "retry"]);
    expect(kinds(batch, [{ id: 1, ...ok }, { id: 3, response: { data: "6" } }])).to.deep.equal(["retry", "retry"]);
    expect(kinds(batch, [{ id: 1, ...ok }, { id: 1, response: { data: "6" } }])).to.deep.equal(["retry", "retry"]);
    expect(kinds(batch, [{ id: 1, ...ok }, "x"])).to.deep.equal(["retry", "retry"]);
    expect(kinds(batch, [{ id: "1", ...ok }, { id: 2, response: { data: "6" } }])).to.deep.equal(["committed", "committed"]);
  });

  it("commit ids that do not rise with the item ids are not trusted; -1 items do not count", () => {
    const batch = [cmd("a"), cmd("b"), cmd("c")];
    expect(kinds(batch, [1, 2, 3].map((id, i) => ({ id, response: { data: String([9, 8, 10][i]) } })))).to.deep.equal(["retry", "retry", "retry"]);
    expect(kinds(batch, [1, 2, 3].map((id, i) => ({ id, response: { data: String([9, -1, 10][i]) } })))).to.deep.equal(["committed", "committed", "committed"]);
  });

  it("an item with null, empty or non-numeric data is no acknowledgement", () => {
    const batch = [cmd("a"), cmd("b"), cmd("c")];
    const out = interpretBatchReply(batch, JSON.stringify([null, "", "x1"].map((data, i) => ({ id: i + 1, response: { data } }))));
    expect(out.map((o) => [o.kind, o.kind === "committed" ? null : o.code])).to.deep.equal([
      ["retry", "ATSYNC_BAD_REPLY"], ["retry", "ATSYNC_BAD_REPLY"], ["retry", "ATSYNC_BAD_REPLY"],
    ]);
  });

  it("a sync:from page must rise in commit order from above the id asked for", () => {
    const page = (ids: number[]): ReturnType<typeof parseSyncPage> =>
      parseSyncPage(JSON.stringify(ids.map((commitId) => ({ atKey: `k${commitId}.wavi${A}`, value: "v", metadata: {}, commitId, operation: "*" }))));
    expect(() => checkPageOrder(page([11, 12, 20]), 10)).not.to.throw();
    expect(() => checkPageOrder(page([]), 10)).not.to.throw();
    expect(() => checkPageOrder(page([12, 11]), 10)).to.throw(PullReplyError, /out of commit order/u);
    expect(() => checkPageOrder(page([12, 12]), 10)).to.throw(PullReplyError, /out of commit order/u);
    expect(() => checkPageOrder(page([10, 12]), 10)).to.throw(PullReplyError, /not after the id asked for/u);
  });
});
