// The pages a long pull asks for and what their answers prove (daemon/core/pullFrontier.ts), and
// the batch of sync:from pages that carries several of them in one round trip (core/pull.ts).
import { expect } from "chai";
import { AtProtocolError } from "../../protocol/errors.js";
import { parseSyncBatch, PullReplyError, syncFromBatchCommand } from "../../daemon/core/pull.js";
import { MAX_PAGES_PER_REQUEST, nextPagesPerRequest, PullFrontier, REQUEST_REPLY_BUDGET_BYTES } from "../../daemon/core/pullFrontier.js";

const A = "@alice🛠";

describe("core: pull frontier", () => {
  it("tiles (cursor, target] a stride apart and never hands out a page past the target", () => {
    const f = new PullFrontier(-1, 99);
    expect(f.take(3)).to.deep.equal([-1, 24, 49]);
    expect(f.take(3)).to.deep.equal([74]);
    expect(f.take(3)).to.deep.equal([]);
    expect(f.pending).to.equal(4);
  });

  it("moves progress only over the proven prefix; a later page's proof waits for the gap before it", () => {
    const f = new PullFrontier(-1, 99);
    f.take(4);
    expect(f.answer(24, 49, true)).to.deep.equal([[24, 49]]);
    expect(f.progress).to.equal(-1);
    expect(f.answer(-1, 24, true)).to.deep.equal([[-1, 24]]);
    expect(f.progress).to.equal(49);
    expect(f.done).to.equal(false);
    f.answer(49, 74, true);
    f.answer(74, 120, true);
    expect(f.progress).to.equal(99);
    expect(f.done).to.equal(true);
  });

  it("a page that proves less than its tile leaves a gap, asked for next (before new tiles)", () => {
    const f = new PullFrontier(-1, 199);
    f.take(2);
    // A short page: 10 entries up to id 9 (the rest skipped, or the page cut by its byte limit).
    expect(f.answer(-1, 9, false)).to.deep.equal([[-1, 9]]);
    expect(f.take(2)).to.deep.equal([9, 49]);
    expect(f.progress).to.equal(9);
  });

  it("reports each id once: a page overlapping proven spans returns only what is new", () => {
    const f = new PullFrontier(-1, 199);
    f.take(4);
    f.answer(24, 49, true);
    f.answer(74, 99, true);
    expect(f.answer(-1, 120, false)).to.deep.equal([[-1, 24], [49, 74], [99, 120]]);
    expect(f.progress).to.equal(120);
    expect(f.isProven(0)).to.equal(true);
    expect(f.isProven(120)).to.equal(true);
    expect(f.isProven(121)).to.equal(false);
    expect(f.isProven(-1)).to.equal(false);
  });

  it("a lost page's tile goes back to be asked for again", () => {
    const f = new PullFrontier(10, 100);
    expect(f.take(2)).to.deep.equal([10, 35]);
    f.release(10);
    expect(f.take(1)).to.deep.equal([10]);
  });

  it("the stride follows what full pages span (a sparse log), at least 25, the least of the recent ones", () => {
    const f = new PullFrontier(-1, 10_000);
    f.take(1);
    f.answer(-1, 399, true);
    expect(f.stride).to.equal(400);
    expect(f.take(2)).to.deep.equal([399, 799]);
    f.answer(399, 699, true);
    expect(f.stride).to.equal(300);
    // A short page's span says nothing of the density.
    f.answer(799, 805, false);
    expect(f.stride).to.equal(300);
  });

  it("pages per request double from one, up to the cap and within the reply budget", () => {
    expect(nextPagesPerRequest(1, 10_000)).to.equal(2);
    expect(nextPagesPerRequest(8, 10_000)).to.equal(MAX_PAGES_PER_REQUEST);
    expect(nextPagesPerRequest(MAX_PAGES_PER_REQUEST, 10_000)).to.equal(MAX_PAGES_PER_REQUEST);
    expect(nextPagesPerRequest(16, REQUEST_REPLY_BUDGET_BYTES / 4)).to.equal(4);
    // A page larger than the whole budget (a value of megabytes) still goes, alone.
    expect(nextPagesPerRequest(16, 10 * REQUEST_REPLY_BUDGET_BYTES)).to.equal(1);
  });
});

describe("core: a batch of sync:from pages", () => {
  const page = (ids: number[]): string => JSON.stringify(ids.map((id) => ({ atKey: `k${id}.wavi${A}`, value: "v", metadata: {}, commitId: id, operation: "*" })));

  it("asks for each page as its own sync:from item, with the filter's regex", () => {
    expect(JSON.parse(syncFromBatchCommand([4, 29], "\\.wavi@").slice("batch:".length))).to.deep.equal([
      { id: 1, command: "sync:from:4:limit:25:\\.wavi@" },
      { id: 2, command: "sync:from:29:limit:25:\\.wavi@" },
    ]);
  });

  it("reads each item's page in the order asked, whatever the order of the items", () => {
    const reply = JSON.stringify([{ id: 2, response: { data: page([30, 31]) } }, { id: 1, response: { data: page([5]) } }]);
    const pages = parseSyncBatch(reply, 2);
    expect(pages.map((p) => p.page.entries.map((e) => e.commitId))).to.deep.equal([[5], [30, 31]]);
    expect(pages[1]!.page.size).to.equal(2);
    expect(pages[0]!.chars).to.equal(page([5]).length);
  });

  it("an item's error fails the reply as that sync:from would; a missing item or page fails it too", () => {
    const err = JSON.stringify([{ id: 1, response: { data: page([5]) } }, { id: 2, response: { error_code: "AT0028", error_message: "enrollment expired" } }]);
    expect(() => parseSyncBatch(err, 2)).to.throw(AtProtocolError).with.property("code", "AT0028");
    expect(() => parseSyncBatch(JSON.stringify([{ id: 1, response: { data: page([5]) } }]), 2)).to.throw(PullReplyError, /no reply for page 2/);
    expect(() => parseSyncBatch(JSON.stringify([{ id: 1, response: {} }]), 1)).to.throw(PullReplyError, /carries no page/);
    expect(() => parseSyncBatch("{", 1)).to.throw(PullReplyError, /not JSON/);
  });
});
