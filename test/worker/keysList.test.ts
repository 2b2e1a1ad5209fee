// keys.list as the worker answers it, over a real store file: pages and their cursors, hidden
// and expired keys left out of a page without ending the listing, and the params it refuses
// (InvalidParams, naming the field).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { keysList } from "../../daemon/worker/handlers/keys.js";
import type { WorkerContext } from "../../daemon/worker/WorkerContext.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { KeysListParams } from "../../shared/types.js";
import { ManualClock } from "../sync/support/ManualClock.js";

const A = "@alice🛠";

function thrown(fn: () => unknown): AtsyncError {
  try {
    fn();
  } catch (err) {
    if (AtsyncError.is(err)) return err;
    throw err;
  }
  throw new Error("expected an AtsyncError");
}

describe("worker: keys.list", () => {
  let dir: string;
  let store: SqliteStore;
  let clock: ManualClock;
  let ctx: WorkerContext;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-keyslist-"));
    clock = new ManualClock();
    store = SqliteStore.open({ path: join(dir, "a.db"), clock });
    // keys.list reads the store and the clock, nothing else of the worker.
    ctx = { atSign: A, store, clock } as unknown as WorkerContext;
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function all(params: Omit<KeysListParams, "atSign" | "cursor">): { keys: string[]; pages: number[] } {
    const keys: string[] = [];
    const pages: number[] = [];
    let cursor: string | undefined;
    do {
      const r = keysList(ctx, { atSign: A, ...params, ...(cursor !== undefined ? { cursor } : {}) });
      keys.push(...r.keys);
      pages.push(r.keys.length);
      cursor = r.nextCursor ?? undefined;
    } while (cursor !== undefined && pages.length < 1_000);
    return { keys, pages };
  }

  it("pages of 1000 by default, `limit` when given, each with the cursor of the next; the last says null", () => {
    store.putManyLocal(Array.from({ length: 2_500 }, (_, i) => ({ atKey: `k${String(i).padStart(4, "0")}.wavi${A}`, value: "v" })));
    const first = keysList(ctx, { atSign: A });
    expect(first.keys).to.have.length(1000);
    expect(first.nextCursor).to.be.a("string");
    expect(all({}).pages).to.deep.equal([1000, 1000, 500]);
    const small = all({ limit: 700 });
    expect(small.pages).to.deep.equal([700, 700, 700, 400]);
    expect(small.keys).to.deep.equal(store.listKeys());
    expect(all({ limit: 10_000 }).pages).to.deep.equal([2_500]);
  });

  it("hidden and expired keys are left out of their page, and the listing goes on past them", () => {
    store.putManyLocal([
      { atKey: `_hidden.wavi${A}`, value: "h" }, { atKey: `public:_hidden.wavi${A}`, value: "h" },
      { atKey: `a.wavi${A}`, value: "1" }, { atKey: `b.wavi${A}`, value: "2" },
      { atKey: `c.wavi${A}`, value: "3", metadata: { ttl: 1000, expiresAt: "2000-01-01 00:00:00.000Z" } },
      { atKey: `d.wavi${A}`, value: "4" },
    ]);
    const shown = all({ limit: 2 });
    expect(shown.keys).to.deep.equal([`a.wavi${A}`, `b.wavi${A}`, `d.wavi${A}`]);
    expect(shown.pages).to.deep.equal([1, 1, 1, 0]);
    expect(all({ limit: 2, showHidden: true }).keys).to.deep.equal([`_hidden.wavi${A}`, `a.wavi${A}`, `b.wavi${A}`, `d.wavi${A}`, `public:_hidden.wavi${A}`]);
  });

  it("refuses a limit outside 1..10000 and a cursor it did not make, or made for another query, with InvalidParams", () => {
    store.putManyLocal(Array.from({ length: 5 }, (_, i) => ({ atKey: `k${i}.wavi${A}`, value: "v" })));
    for (const limit of [0, -1, 10_001, 1.5, "10", null]) {
      const err = thrown(() => keysList(ctx, { atSign: A, limit }));
      expect(err.code, String(limit)).to.equal(ErrorCode.InvalidParams);
      expect(err.data, String(limit)).to.deep.equal({ path: "limit" });
    }
    const cursor = keysList(ctx, { atSign: A, namespace: "wavi", limit: 2 }).nextCursor ?? "";
    const forged = Buffer.from(JSON.stringify({ v: 1, a: "k1", q: "x" })).toString("base64url");
    for (const bad of ["garbage", Buffer.from("{}").toString("base64url"), Buffer.from("[1]").toString("base64url"), forged]) {
      const err = thrown(() => keysList(ctx, { atSign: A, namespace: "wavi", cursor: bad }));
      expect(err.code, bad).to.equal(ErrorCode.InvalidParams);
      expect(err.message, bad).to.match(/^invalid params: 'cursor' (is not a cursor keys\.list returned|belongs to a listing with another)/u);
      expect(err.data, bad).to.deep.equal({ path: "cursor" });
    }
    for (const other of [{}, { namespace: "buzz" }, { namespace: "wavi", regex: "k" }, { namespace: "wavi", showHidden: true }]) {
      const err = thrown(() => keysList(ctx, { atSign: A, ...other, cursor }));
      expect(err.message, JSON.stringify(other)).to.match(/'cursor' belongs to a listing with another regex, namespace or showHidden/u);
    }
    expect(thrown(() => keysList(ctx, { atSign: A, cursor: "" })).code).to.equal(ErrorCode.InvalidParams);
    // The namespace's case is the same namespace; the cursor goes on from where it was.
    expect(keysList(ctx, { atSign: A, namespace: "WAVI", cursor }).keys).to.deep.equal([`k2.wavi${A}`, `k3.wavi${A}`, `k4.wavi${A}`]);
  });

  it("a cursor whose key is now the last, or past every key, gives an empty last page", () => {
    store.putManyLocal([{ atKey: `a.wavi${A}`, value: "1" }, { atKey: `b.wavi${A}`, value: "2" }]);
    const page = keysList(ctx, { atSign: A, limit: 2 });
    expect(page.keys).to.have.length(2);
    const cursor = page.nextCursor ?? "";
    expect(keysList(ctx, { atSign: A, cursor })).to.deep.equal({ keys: [], nextCursor: null });
    store.deleteLocal(`b.wavi${A}`);
    expect(keysList(ctx, { atSign: A, cursor })).to.deep.equal({ keys: [], nextCursor: null });
    store.putLocal(`c.wavi${A}`, "3");
    expect(keysList(ctx, { atSign: A, cursor })).to.deep.equal({ keys: [`c.wavi${A}`], nextCursor: null });
  });
});
