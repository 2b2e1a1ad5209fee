// Store contract: local writes (putLocal, putMetaLocal, deleteLocal, putManyLocal) and the reads
// of keys (get, listKeys, facts).
import { expect } from "chai";
import { StoreError } from "../../../daemon/store/StoreError.js";
import { A, key, putKey, type StoreCase } from "./context.js";

export function localWriteCases(t: StoreCase): void {
  it("putLocal normalizes the key, returns the new record, and queues one pending `*` row at the clock's time", () => {
    const now = t.clock.now();
    const res = t.store.putLocal(`  Phone.Wavi${A} `, "cipher", { ttr: 5, isEncrypted: true });
    const atKey = key("phone");
    const record = { atKey, value: "cipher", metadata: { ttr: 5, isEncrypted: true }, commitId: null, updatedAtMs: now };
    expect(res).to.deep.equal({ atKey, outboxId: res.outboxId, record, previous: null });
    expect(res.outboxId).to.be.a("number");
    expect(t.store.get(atKey)).to.deep.equal(record);
    expect(t.store.get(`PHONE.wavi${A}`)).to.deep.equal(record);
    expect(t.store.pendingChanges()).to.deep.equal([
      { id: res.outboxId, atKey, op: "*", createdAtMs: now, state: "pending", commitId: null, attempts: 0, nextRetryAtMs: 0, lastError: null, sent: null },
    ]);
  });

  it("a put over a key returns it as previous and keeps the server commit id; each write is its own row (the store does not coalesce)", () => {
    t.store.apply([putKey(key("k"), 5, "server")]);
    t.clock.advance(10);
    const first = t.store.putLocal(key("k"), "v1");
    expect(first.previous).to.deep.equal({ atKey: key("k"), value: "server", metadata: { isEncrypted: true }, commitId: 5, updatedAtMs: 1_000 });
    expect(first.record).to.deep.include({ value: "v1", metadata: {}, commitId: 5, updatedAtMs: t.clock.now() });
    const second = t.store.putLocal(key("k"), "v2");
    expect(second.previous).to.deep.equal(first.record);
    expect(second.outboxId).to.be.greaterThan(first.outboxId!);
    expect(t.store.pendingChanges().map((c) => [c.id, c.op])).to.deep.equal([[first.outboxId, "*"], [second.outboxId, "*"]]);
    expect(t.store.pendingKeys()).to.deep.equal([key("k")]);
  });

  it("putMetaLocal merges into the metadata, keeps the value, and queues `#`; a missing or deleted key is STORE_KEY_NOT_FOUND", () => {
    t.store.putLocal(key("m"), "v", { ttl: 1000, isEncrypted: true });
    const meta = t.store.putMetaLocal(key("M"), { ttr: 50, ttl: 2000 });
    expect(meta.record).to.deep.include({ value: "v", metadata: { ttl: 2000, isEncrypted: true, ttr: 50 } });
    expect(meta.previous?.metadata).to.deep.equal({ ttl: 1000, isEncrypted: true });
    expect(t.store.get(key("m"))?.metadata).to.deep.equal({ ttl: 2000, isEncrypted: true, ttr: 50 });
    expect(t.store.pendingChanges().map((c) => c.op)).to.deep.equal(["*", "#"]);
    t.store.deleteLocal(key("m"));
    for (const k of [key("m"), key("never")]) {
      expect(() => t.store.putMetaLocal(k, { ttl: 1 })).to.throw(StoreError).with.property("code", "STORE_KEY_NOT_FOUND");
    }
    expect(t.store.pendingChanges()).to.have.length(3);
  });

  it("deleteLocal leaves a tombstone that keeps the key's commit id and server time, and queues `-`", () => {
    t.store.apply([putKey(key("d"), 7, "v", { serverTimeMs: 900 })]);
    const del = t.store.deleteLocal(key("d"));
    expect(del).to.deep.include({ atKey: key("d"), record: null });
    expect(del.previous?.value).to.equal("v");
    expect(t.store.get(key("d"))).to.equal(undefined);
    expect(t.store.listKeys()).to.deep.equal([]);
    const f = t.store.facts([key("d")]).get(key("d"));
    expect(f?.key).to.deep.equal({ atKey: key("d"), value: null, metadata: null, deleted: true, commitId: 7, serverTimeMs: 900, seen: true });
    expect(f?.pending.map((c) => [c.id, c.op])).to.deep.equal([[del.outboxId, "-"]]);
  });

  it("a delete of a key never held queues `-` and writes a tombstone (a repair can push the delete again)", () => {
    const del = t.store.deleteLocal(key("ghost"));
    expect(del).to.deep.equal({ atKey: key("ghost"), outboxId: del.outboxId, record: null, previous: null });
    expect(del.outboxId).to.be.a("number");
    expect(t.store.facts([key("ghost")]).get(key("ghost"))?.key).to.deep.include({ atKey: key("ghost"), deleted: true, commitId: null });
    expect(t.store.get(key("ghost"))).to.equal(undefined);
    expect(t.store.listKeys()).to.deep.equal([]);
    expect(t.store.unseenKeys()).to.deep.equal([]);
    t.store.apply([{ op: "markAllUnseen" }]);
    expect(t.store.unseenKeys().map((k) => [k.atKey, k.deleted])).to.deep.equal([[key("ghost"), true]]);
  });

  it("keys the server never commits stay local (no outbox row); of a cached: key only the delete is queued", () => {
    for (const k of [`local:draft.wavi${A}`, `private:p.wavi${A}`, `privatekey:pk${A}`, `public:_hidden${A}`]) {
      expect(t.store.putLocal(k, "x").outboxId, k).to.equal(null);
      expect(t.store.get(k)?.value, k).to.equal("x");
      expect(t.store.deleteLocal(k).outboxId, k).to.equal(null);
    }
    const cached = `cached:@bob🛠:phone.wavi${A}`;
    expect(t.store.putLocal(cached, "copy").outboxId).to.equal(null);
    expect(t.store.putMetaLocal(cached, { ttr: 1 }).outboxId).to.equal(null);
    expect(t.store.deleteLocal(cached).outboxId).to.be.a("number");
    expect(t.store.pendingChanges().map((c) => [c.atKey, c.op])).to.deep.equal([[cached, "-"]]);
    expect(t.store.putLocal(`public:__shown${A}`, "x").outboxId).to.be.a("number");
  });

  it("refuses an empty key or one with white space (STORE_BAD_KEY), writing nothing", () => {
    for (const bad of ["", "   ", "a b.wavi@alice", "a\tb@alice"]) {
      expect(() => t.store.putLocal(bad, "v"), JSON.stringify(bad)).to.throw(StoreError).with.property("code", "STORE_BAD_KEY");
      expect(() => t.store.deleteLocal(bad)).to.throw(StoreError).with.property("code", "STORE_BAD_KEY");
    }
    expect(t.store.listKeys()).to.deep.equal([]);
    expect(t.store.pendingChanges()).to.deep.equal([]);
  });

  it("a lone surrogate (text UTF-8 cannot hold): in a value it is stored as U+FFFD, as the write returns it, get reads it and the wire carries it; in a key it is STORE_BAD_KEY", () => {
    // An app's JSON can carry one ("\ud83d", an emoji cut in half). SQLite stores its bytes as no
    // UTF-8 and reads back three U+FFFD; a plain Map would keep it; UTF-8 on the wire keeps one U+FFFD.
    const cut = "cut \ud83d|\udc00 end 🛠";
    const kept = Buffer.from(cut, "utf8").toString("utf8");
    expect(kept).to.equal("cut \ufffd|\ufffd end 🛠");
    const put = t.store.putLocal(key("p"), cut);
    expect([put.record?.value, t.store.get(key("p"))?.value]).to.deep.equal([kept, kept]);
    const [many] = t.store.putManyLocal([{ atKey: key("q"), value: cut }]);
    expect([many?.record?.value, t.store.get(key("q"))?.value]).to.deep.equal([kept, kept]);
    expect(t.store.putMetaLocal(key("q"), { ttr: 1 }).record?.value).to.equal(kept);
    for (const bad of [`half\ud83d.wavi${A}`, `x\udc00${A}`]) {
      expect(() => t.store.putLocal(bad, "v"), JSON.stringify(bad)).to.throw(StoreError).with.property("code", "STORE_BAD_KEY");
      expect(() => t.store.deleteLocal(bad)).to.throw(StoreError).with.property("code", "STORE_BAD_KEY");
      expect(() => t.store.putManyLocal([{ atKey: bad, value: "v" }])).to.throw(StoreError).with.property("code", "STORE_BAD_KEY");
    }
    expect(t.store.listKeys()).to.deep.equal([key("p"), key("q")]);
    expect(t.store.pendingChanges()).to.have.length(3);
  });

  it("putManyLocal writes in order in one transaction: a bad item leaves nothing behind and uses no outbox id", () => {
    const before = t.store.putLocal(key("before"), "0").outboxId!;
    expect(() => t.store.putManyLocal([{ atKey: key("a"), value: "1" }, { atKey: "bad key", value: "2" }])).to.throw(StoreError);
    expect(t.store.listKeys()).to.deep.equal([key("before")]);
    expect(t.store.pendingChanges().map((c) => c.id)).to.deep.equal([before]);
    const res = t.store.putManyLocal([{ atKey: key("a"), value: "1" }, { atKey: key("b"), value: "2", metadata: { ttr: 3 } }, { atKey: key("a"), delete: true }]);
    expect(res.map((r) => r.outboxId)).to.deep.equal([before + 1, before + 2, before + 3]);
    expect(res[2]?.previous?.value).to.equal("1");
    expect(t.store.listKeys()).to.deep.equal([key("b"), key("before")]);
    expect(t.store.get(key("b"))?.metadata).to.deep.equal({ ttr: 3 });
  });

  it("keeps a key whose ttl or ttb says it is not live: liveness is the worker's (keyLifetime.ts), not the store's", () => {
    t.store.putLocal(key("expired"), "v", { ttl: 1, expiresAt: "2000-01-01 00:00:00.000Z" });
    t.store.apply([putKey(key("later"), 3, "v", { metadata: { ttb: 60_000, availableAt: "2999-01-01 00:00:00.000Z" } })]);
    t.clock.advance(60_000);
    expect(t.store.get(key("expired"))?.value).to.equal("v");
    expect(t.store.get(key("later"))?.value).to.equal("v");
    expect(t.store.listKeys()).to.deep.equal([key("expired"), key("later")]);
  });

  it("a record read is a copy: changing it changes nothing stored", () => {
    t.store.putLocal(key("c"), "v", { ttr: 1 });
    const r = t.store.get(key("c"))!;
    r.metadata.ttr = 99;
    r.value = "changed";
    expect(t.store.get(key("c"))).to.deep.include({ value: "v", metadata: { ttr: 1 } });
  });

  it("lists live keys in SQLite's byte order of their UTF-8, by regex (JS syntax) and by namespace (any case)", () => {
    t.store.putManyLocal([
      { atKey: `b\u{ff5e}.wavi${A}`, value: "1" },
      { atKey: `b🛠.wavi${A}`, value: "2" },
      { atKey: `@bob🛠:phone.wavi${A}`, value: "3" },
      { atKey: `x.buzz${A}`, value: "4" },
      { atKey: `gone.wavi${A}`, value: "5" },
      { atKey: `gone.wavi${A}`, delete: true },
    ]);
    expect(t.store.listKeys()).to.deep.equal([`@bob🛠:phone.wavi${A}`, `b\u{ff5e}.wavi${A}`, `b🛠.wavi${A}`, `x.buzz${A}`]);
    expect(t.store.listKeys({ namespace: "WAVI" })).to.deep.equal([`@bob🛠:phone.wavi${A}`, `b\u{ff5e}.wavi${A}`, `b🛠.wavi${A}`]);
    expect(t.store.listKeys({ namespace: "wav" })).to.deep.equal([]);
    expect(t.store.listKeys({ regex: "^@bob" })).to.deep.equal([`@bob🛠:phone.wavi${A}`]);
    expect(t.store.listKeys({ regex: "^b.\\.", namespace: "wavi" })).to.deep.equal([`b\u{ff5e}.wavi${A}`, `b🛠.wavi${A}`]);
  });

  it("facts: the rows of the keys asked for (any case) and their pending rows in outbox order; unknown keys are absent", () => {
    expect(t.store.facts([])).to.deep.equal(new Map());
    t.store.apply([putKey(key("server"), 2, "s", { serverTimeMs: 500 })]);
    const p1 = t.store.putLocal(key("mine"), "m1").outboxId!;
    const p2 = t.store.putMetaLocal(key("mine"), { ttr: 2 }).outboxId!;
    const g = t.store.deleteLocal(key("ghost")).outboxId!;
    t.store.putLocal(key("other"), "o");
    const f = t.store.facts([key("SERVER"), key("mine"), key("ghost"), key("unknown")]);
    expect([...f.keys()].sort()).to.deep.equal([key("ghost"), key("mine"), key("server")]);
    expect(f.get(key("server"))).to.deep.equal({
      key: { atKey: key("server"), value: "s", metadata: { isEncrypted: true }, deleted: false, commitId: 2, serverTimeMs: 500, seen: true },
      pending: [],
    });
    expect(f.get(key("mine"))?.key).to.deep.include({ value: "m1", metadata: { ttr: 2 }, commitId: null, serverTimeMs: null });
    expect(f.get(key("mine"))?.pending.map((c) => [c.id, c.op])).to.deep.equal([[p1, "*"], [p2, "#"]]);
    expect(f.get(key("ghost"))?.key).to.deep.include({ deleted: true, value: null, commitId: null });
    expect(f.get(key("ghost"))?.pending).to.deep.equal(t.store.pendingChanges().filter((c) => c.id === g));
  });
}
