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

describe("core: pull frontier against a model log (random pages, answers in any order, lost requests)", () => {
  // sfc-like small PRNG, seeded: the test replays.
  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
  }

  it("200 seeds: every sent id at or below the progress was delivered once, and each pull ends at the target", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const span = 200 + Math.floor(r() * 3000);
      const density = 0.05 + r() * 0.95;
      const ids: number[] = [];
      for (let id = 0; id < span; id++) if (r() < density) ids.push(id);
      // Entries the server skips (a key that no longer exists, an invalid key), in runs.
      const skipped = new Set<number>();
      for (let i = 0; i < ids.length; i++) if (r() < 0.1) for (let j = i; j < Math.min(ids.length, i + Math.floor(r() * 40)); j++) skipped.add(ids[j]!);
      const target = ids.length > 0 ? ids[ids.length - 1]! : 0;
      const cursor = Math.floor(r() * 3) - 1;
      const f = new PullFrontier(cursor, target);
      /** A page from `from` as the atServer answers it: the first 25 entries after it, the skipped ones left out, maybe cut short. */
      const serve = (from: number): { sent: number[]; provenTo: number; full: boolean } => {
        const window = ids.filter((id) => id > from).slice(0, 25);
        let sent = window.filter((id) => !skipped.has(id));
        if (sent.length > 1 && r() < 0.2) sent = sent.slice(0, 1 + Math.floor(r() * (sent.length - 1)));
        if (sent.length > 0) return { sent, provenTo: sent[sent.length - 1]!, full: sent.length === 25 };
        // An empty page: RangePuller's cursorAfterEmptyPage over the log's ids (stats:15).
        const after = ids.filter((id) => id > from);
        return { sent, provenTo: after.length === 0 ? target : Math.min(target, after[Math.min(after.length, 25) - 1]!), full: false };
      };
      const delivered = new Map<number, number>();
      const inFlight: number[] = [];
      for (let round = 0; round < 100_000 && !f.done; round++) {
        const want = 1 + Math.floor(r() * 16);
        inFlight.push(...f.take(want));
        expect(inFlight.length, "pages in flight").to.be.greaterThan(0);
        // Answer some of them, in any order; some requests are lost.
        const n = 1 + Math.floor(r() * inFlight.length);
        for (let k = 0; k < n && inFlight.length > 0; k++) {
          const from = inFlight.splice(Math.floor(r() * inFlight.length), 1)[0]!;
          if (r() < 0.1) {
            f.release(from);
            continue;
          }
          const { sent, provenTo, full } = serve(from);
          const fresh = sent.filter((id) => id > target || !f.isProven(id));
          f.answer(from, provenTo, full);
          for (const id of fresh) delivered.set(id, (delivered.get(id) ?? 0) + 1);
          const p = f.progress;
          for (const id of ids) {
            if (id > p) break;
            if (id > cursor && !skipped.has(id)) expect(delivered.get(id), `seed ${seed}: id ${id} at progress ${p}`).to.equal(1);
          }
        }
      }
      expect(f.done, `seed ${seed}`).to.equal(true);
      expect(f.progress, `seed ${seed}`).to.equal(target);
    }
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
