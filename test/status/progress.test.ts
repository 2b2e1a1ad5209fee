// SyncProgressTracker: figures that add up. Each total is done + what is left now, so it grows as
// work arrives; upload and download are separate phases; our own commits pulled back are no
// download; the rate and time left appear once a phase has run a second.
import { expect } from "chai";
import { OwnCommitIds, SyncProgressTracker } from "../../daemon/sync/SyncProgressTracker.js";

function tracker(): { t: SyncProgressTracker; advance(ms: number): void } {
  let now = 1_000_000;
  return { t: new SyncProgressTracker(() => now), advance: (ms) => void (now += ms) };
}

describe("sync progress: figures that add up", function () {
  it("an upload's total follows the outbox: writes arriving meanwhile raise it, done never passes it", function () {
    const { t } = tracker();
    t.reset();
    t.pushing();
    expect(t.snapshot(279)?.upload).to.deep.include({ done: 0, total: 279 });
    t.answered(200);
    // 17,057 more writes arrived while 200 were answered: 279 - 200 + 17,057 pending now.
    expect(t.snapshot(17_136)?.upload).to.deep.include({ done: 200, total: 17_336 });
    t.answered(17_136);
    expect(t.snapshot(0)?.upload).to.deep.include({ done: 17_336, total: 17_336 });
  });

  it("a download counts commit ids received; the echo of our own pushes is left out, and an echo-only pull is no download", function () {
    const { t } = tracker();
    t.reset();
    t.pushing();
    for (let id = 101; id <= 120; id++) t.committed(id);
    t.answered(20);
    // The pull after the push brings back exactly our 20 commits.
    t.pulling(100, 120);
    t.covered(100, 120);
    const p = t.snapshot(0);
    expect(p?.direction).to.equal("upload");
    expect(p?.download).to.equal(null);
    // Another device wrote 121..130, and our 131 is among them.
    t.committed(131);
    t.pulling(120, 131);
    expect(t.snapshot(0)).to.deep.include({ direction: "download" });
    expect(t.snapshot(0)?.download).to.deep.include({ done: 0, total: 10 });
    t.covered(120, 125);
    expect(t.snapshot(0)?.download).to.deep.include({ done: 5, total: 10 });
    t.covered(125, 131);
    expect(t.snapshot(0)?.download).to.deep.include({ done: 10, total: 10 });
    // Both phases keep their own counts.
    expect(t.snapshot(0)?.upload).to.deep.include({ done: 20, total: 20 });
  });

  it("pulls back to back add up in one sync; reset starts a new one", function () {
    const { t } = tracker();
    t.reset();
    t.pulling(-1, 999);
    t.covered(-1, 999);
    t.pulling(999, 1499);
    expect(t.snapshot(0)?.download).to.deep.include({ done: 1000, total: 1500 });
    t.idle();
    expect(t.snapshot(0)).to.equal(null);
    t.reset();
    t.pulling(1499, 1509);
    expect(t.snapshot(0)?.download).to.deep.include({ done: 0, total: 10 });
  });

  it("shows a rate and the time left once a phase has run a second, over the last 10 s", function () {
    const { t, advance } = tracker();
    t.reset();
    t.pulling(-1, 19_999);
    advance(500);
    t.covered(-1, 999);
    expect(t.snapshot(0)?.download).to.deep.include({ perSecond: null, etaMs: null });
    advance(500);
    t.covered(999, 1999);
    // 2,000 in 1 s; 18,000 left: 9 s.
    expect(t.snapshot(0)?.download).to.deep.include({ done: 2000, total: 20_000, perSecond: 2000, etaMs: 9000 });
    // Twenty seconds later, only the last ten count: 1,000 in 10 s.
    advance(10_000);
    t.covered(1999, 2999);
    advance(10_000);
    t.covered(2999, 3999);
    const d = t.snapshot(0)?.download;
    expect(d?.perSecond).to.equal(100);
    expect(d?.etaMs).to.equal(160_000);
  });

  it("a stalled phase (nothing arrived for 10 s) shows no rate and no time left, not a rate that decays", function () {
    const { t, advance } = tracker();
    t.reset();
    t.pulling(-1, 19_999);
    advance(1000);
    t.covered(-1, 1999);
    expect(t.snapshot(0)?.download?.perSecond).to.equal(2000);
    // The atServer stops sending (slow, not gone): 15 s without a page.
    advance(15_000);
    expect(t.snapshot(0)?.download).to.deep.include({ done: 2000, total: 20_000, perSecond: null, etaMs: null });
    // Moving again: the rate is what moved within the window, not an average since the stall began.
    advance(1000);
    t.covered(1999, 2999);
    const d = t.snapshot(0)?.download;
    expect(d?.perSecond).to.be.a("number").and.at.most(1000);
    expect(d?.etaMs).to.be.a("number").and.at.least(17_000);
  });

  it("a slow upload (one change every 4 s) has a rate below one per second, not 0/s with a time left", function () {
    const { t, advance } = tracker();
    t.reset();
    t.pushing();
    for (let i = 0; i < 3; i++) {
      advance(4000);
      t.answered(1);
    }
    const u = t.snapshot(7)?.upload;
    expect(u?.perSecond).to.be.a("number").and.above(0).and.below(1);
    expect(u?.etaMs).to.be.a("number").and.above(7 * 1000);
  });

  it("OwnCommitIds counts what of a range is someone else's", function () {
    const own = new OwnCommitIds();
    for (const id of [5, 3, 9, 7, 7]) own.add(id);
    expect(own.foreignIn(0, 10)).to.equal(6);
    expect(own.foreignIn(3, 5)).to.equal(1); // 4
    expect(own.foreignIn(5, 5)).to.equal(0);
    own.dropUpTo(5);
    expect(own.foreignIn(0, 10)).to.equal(8);
  });
});
