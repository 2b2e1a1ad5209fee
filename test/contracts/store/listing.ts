// Store contract: listing keys page by page (listKeyPage) and whole (listKeys): key order, the
// cursor, writes and deletes between pages, and the filters (namespace, prefix, regex and its
// bounded scan).
import { expect } from "chai";
import type { KeyPage, KeyQuery, Store } from "../../../daemon/ports.js";
import { A, key, putKey, type StoreCase } from "./context.js";

const pad = (i: number): string => String(i).padStart(5, "0");

/** Every page of a listing, following `next` until null; `between` runs after each page. */
function pages(store: Store, q: KeyQuery, limit: number, opts: { scanBudget?: number; between?: (page: KeyPage, n: number) => void } = {}): KeyPage[] {
  const out: KeyPage[] = [];
  for (let after: string | null = ""; after !== null;) {
    const page = store.listKeyPage(q, after, limit, opts.scanBudget);
    expect(page.keys.length).to.be.at.most(limit);
    out.push(page);
    opts.between?.(page, out.length);
    after = page.next;
    if (out.length > 10_000) throw new Error("the listing never ends");
  }
  return out;
}

const keysOf = (ps: KeyPage[]): string[] => ps.flatMap((p) => p.keys.map((k) => k.atKey));

export function listingCases(t: StoreCase): void {
  it("pages through many keys in key order: each page after the last, full pages until the end, then next null", () => {
    t.store.putManyLocal(Array.from({ length: 2_345 }, (_, i) => ({ atKey: key(`k${pad(i)}`), value: String(i) })));
    const ps = pages(t.store, {}, 100);
    expect(ps.map((p) => p.keys.length)).to.deep.equal([...Array<number>(23).fill(100), 45]);
    expect(ps.at(-1)?.next).to.equal(null);
    expect(ps.slice(0, -1).every((p) => p.next === p.keys.at(-1)?.atKey)).to.equal(true);
    const all = keysOf(ps);
    expect(all).to.deep.equal(t.store.listKeys());
    expect(all).to.have.length(2_345);
    expect(all[0]).to.equal(key("k00000"));
    expect(all.at(-1)).to.equal(key("k02344"));
    expect(t.store.listKeyPage({}, "", 3).keys[0]).to.deep.equal({ atKey: key("k00000"), updatedAtMs: t.clock.now(), lifetime: null });
  });

  it("a listed key carries its metadata only when a ttb or ttl above 0 may make it not live", () => {
    t.store.putManyLocal([
      { atKey: key("ttl"), value: "v", metadata: { ttl: 1000, expiresAt: "2000-01-01 00:00:00.000Z" } },
      { atKey: key("ttb"), value: "v", metadata: { ttb: 5, isEncrypted: true } },
      { atKey: key("zero"), value: "v", metadata: { ttl: 0, ttb: 0, ttr: 9 } },
      { atKey: key("none"), value: "v" },
    ]);
    t.store.apply([putKey(key("pulled"), 3, "v", { metadata: { ttl: 60_000, availableAt: "2999-01-01 00:00:00.000Z" } })]);
    const page = t.store.listKeyPage({}, "", 10);
    expect(Object.fromEntries(page.keys.map((k) => [k.atKey, k.lifetime]))).to.deep.equal({
      [key("none")]: null,
      [key("pulled")]: { ttl: 60_000, availableAt: "2999-01-01 00:00:00.000Z" },
      [key("ttb")]: { ttb: 5, isEncrypted: true },
      [key("ttl")]: { ttl: 1000, expiresAt: "2000-01-01 00:00:00.000Z" },
      [key("zero")]: null,
    });
  });

  it("a key exactly `limit` from the end: the full last page says where it stopped, the next is empty and ends", () => {
    t.store.putManyLocal(Array.from({ length: 20 }, (_, i) => ({ atKey: key(`k${pad(i)}`), value: "v" })));
    const ps = pages(t.store, {}, 10);
    expect(ps.map((p) => [p.keys.length, p.next])).to.deep.equal([[10, key("k00009")], [10, key("k00019")], [0, null]]);
  });

  it("writes and deletes between pages: nothing twice, every key present throughout once, added keys ahead of the cursor listed", () => {
    t.store.putManyLocal(Array.from({ length: 1_000 }, (_, i) => ({ atKey: key(`k${pad(i * 2)}`), value: "v" })));
    const deleted = new Set<string>();
    const added = { behind: [] as string[], ahead: [] as string[] };
    const ps = pages(t.store, {}, 50, {
      between: (page, n) => {
        const at = page.next;
        if (at === null) return;
        // Behind the cursor: an odd key below it, and a key it already listed deleted.
        const behind = key(`k${pad(n * 100 - 101)}`);
        t.store.putLocal(behind, "new");
        added.behind.push(behind);
        t.store.deleteLocal(page.keys[0]!.atKey);
        // Ahead: a new odd key, and an even key not listed yet deleted, and one written again.
        const ahead = key(`k${pad(n * 100 + 101)}`);
        t.store.putLocal(ahead, "new");
        added.ahead.push(ahead);
        const gone = key(`k${pad(n * 100 + 200)}`);
        if (t.store.get(gone) !== undefined) {
          t.store.deleteLocal(gone);
          deleted.add(gone);
        }
        t.store.putLocal(key(`k${pad(n * 100 + 202)}`), "again");
        t.store.apply([putKey(key(`k${pad(n * 100 + 204)}`), n, "from the server")]);
      },
    });
    const listed = keysOf(ps);
    expect(new Set(listed).size, "no key twice").to.equal(listed.length);
    const sorted = [...listed].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed).to.deep.equal(sorted);
    const throughout = Array.from({ length: 1_000 }, (_, i) => key(`k${pad(i * 2)}`)).filter((k) => !deleted.has(k));
    for (const k of throughout) expect(listed, k).to.include(k);
    for (const k of deleted) expect(listed, k).to.not.include(k);
    for (const k of added.ahead) expect(listed, k).to.include(k);
    for (const k of added.behind) expect(listed, k).to.not.include(k);
    expect(deleted.size).to.be.greaterThan(10);
  });

  it("a cursor at or past the last key gives an empty last page; tombstones are never listed", () => {
    t.store.putManyLocal([{ atKey: key("a"), value: "1" }, { atKey: key("b"), value: "2" }, { atKey: key("c"), value: "3" }]);
    t.store.deleteLocal(key("c"));
    expect(t.store.listKeyPage({}, key("b"), 10)).to.deep.equal({ keys: [], next: null });
    expect(t.store.listKeyPage({}, "\u{10ffff}", 10)).to.deep.equal({ keys: [], next: null });
    expect(t.store.listKeyPage({ regex: "." }, "\u{10ffff}", 10)).to.deep.equal({ keys: [], next: null });
    expect(t.store.listKeyPage({}, "", 10).keys.map((k) => k.atKey)).to.deep.equal([key("a"), key("b")]);
    expect(t.store.listKeyPage({}, key("a"), 10).keys.map((k) => k.atKey)).to.deep.equal([key("b")]);
  });

  it("a regex tests at most scanBudget keys a page: short or empty pages say where to go on, and the pages add up to the whole", () => {
    t.store.putManyLocal(Array.from({ length: 300 }, (_, i) => ({ atKey: key(`${i % 37 === 0 ? "hit" : "miss"}${pad(i)}`), value: "v" })));
    const re = { regex: "^(hit|miss)000[0-9]{2}\\.|hit" };
    const ps = pages(t.store, re, 5, { scanBudget: 20 });
    const whole = t.store.listKeys().filter((k) => new RegExp(re.regex, "u").test(k));
    expect(keysOf(ps)).to.deep.equal(whole);
    expect(whole).to.have.length(100 + 6); // keys 0-99, and the hits from 111 on
    expect(ps.some((p) => p.keys.length === 0 && p.next !== null), "an empty page that goes on").to.equal(true);
    // Only hits, sparse: each page examined 20 keys, so a page holds at most the hits among them.
    const sparse = pages(t.store, { regex: "hit" }, 100, { scanBudget: 20 });
    expect(keysOf(sparse)).to.deep.equal(whole.filter((k) => k.includes("hit")));
    // 15 pages of 20 keys, the last of them full, so a 16th, empty, finds the end.
    expect(sparse.length).to.equal(16);
    expect(sparse.at(-1)?.next).to.equal(null);
  });

  it("namespace (any case), prefix and a regex's literal start select the same keys a plain filter does", () => {
    const names = [
      `phone.wavi${A}`, `@bob🛠:phone.wavi${A}`, `public:phone.wavi${A}`, `cached:public:x.wavi@bob🛠`, `a.b.wavi${A}`,
      `wavi${A}`, `x.wavix${A}`, `x.wav${A}`, `x.buzz${A}`, `public:publickey${A}`, `shared_key.bob🛠${A}`, `x.wavi@ali.ce`,
      `private:atsyncd_notify.1${A}`, `private:atsyncd_notify.2${A}`, `private:atsyncd_notifx${A}`, `p.x${A}`, `q.x${A}`,
    ];
    t.store.putManyLocal(names.map((atKey, i) => ({ atKey, value: String(i) })));
    const all = t.store.listKeys();
    expect([...all].sort()).to.deep.equal([...names].sort());
    const endsWithNs = (ns: string) => (k: string): boolean => k.endsWith(`.${ns}@${k.split("@").pop() ?? ""}`);
    for (const ns of ["wavi", "WAVI", "wav", "buzz", "x", "bob🛠", "nothing"]) {
      const expected = all.filter(endsWithNs(ns.toLowerCase()));
      expect(t.store.listKeys({ namespace: ns }), ns).to.deep.equal(expected);
      expect(keysOf(pages(t.store, { namespace: ns }, 2)), ns).to.deep.equal(expected);
    }
    for (const prefix of ["private:atsyncd_notify.", "public:", "p", "cached:", "zzz", ""]) {
      expect(t.store.listKeys({ prefix }), prefix).to.deep.equal(all.filter((k) => k.startsWith(prefix)));
    }
    for (const regex of ["^public:", "^public:p", "^p.x@", "^p\\.x@", "^private:atsyncd_notify\\.", "^x?\\.", "^x*buzz", "^a|^p", "wavi@", "^@bob🛠:", "^x\\.wavi@ali\\.ce$", "^(p|q)\\.x"]) {
      const re = new RegExp(regex, "u");
      const expected = all.filter((k) => re.test(k));
      expect(t.store.listKeys({ regex }), regex).to.deep.equal(expected);
      expect(keysOf(pages(t.store, { regex }, 1, { scanBudget: 3 })), regex).to.deep.equal(expected);
    }
    expect(t.store.listKeys({ regex: "^public:", prefix: "public:p" })).to.deep.equal([`public:phone.wavi${A}`, `public:publickey${A}`]);
    expect(t.store.listKeys({ regex: "^public:", prefix: "private:" })).to.deep.equal([]);
    expect(t.store.listKeys({ regex: "phone", namespace: "wavi", prefix: "@" })).to.deep.equal([`@bob🛠:phone.wavi${A}`]);
  });
}
