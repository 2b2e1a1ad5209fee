import { expect } from "chai";
import { FRAGMENT_FIELDS, formatDartDate, metadataFragment, metadataFromWire, parseDartDate } from "../../protocol/metadata.js";
import type { AtMetadata } from "../../protocol/metadata.js";

describe("protocol/metadata", function () {
  it("FRAGMENT_FIELDS is the wire order of §3.2", function () {
    expect(FRAGMENT_FIELDS).to.deep.equal([
      "ttl", "ttb", "ttr", "ccd", "dataSignature", "sharedKeyStatus", "isBinary", "isEncrypted", "sharedKeyEnc",
      "pubKeyCS", "encoding", "encKeyName", "encAlgo", "ivNonce", "skeEncKeyName", "skeEncAlgo",
    ]);
  });

  it("metadataFragment writes defined fields in wire order whatever the object order", function () {
    const meta: Partial<AtMetadata> = { ivNonce: "AAAA+/==", isEncrypted: true, ttl: 1000, pubKeyCS: "abc", sharedKeyEnc: "S/k=", ttr: -1, createdAt: "ignored" };
    expect(metadataFragment(meta)).to.equal(":ttl:1000:ttr:-1:isEncrypted:true:sharedKeyEnc:S/k=:pubKeyCS:abc:ivNonce:AAAA+/==");
    expect(metadataFragment({})).to.equal("");
    expect(metadataFragment({ ttl: 1000, isEncrypted: true })).to.equal(":ttl:1000:isEncrypted:true");
    expect(metadataFragment({ ccd: false, isBinary: false })).to.equal(":ccd:false:isBinary:false");
  });

  it("metadataFragment refuses values the server regex would reject", function () {
    expect(() => metadataFragment({ encoding: "a b" })).to.throw().with.property("code", "AT0022");
    expect(() => metadataFragment({ encKeyName: "k@x" })).to.throw().with.property("code", "AT0022");
    expect(() => metadataFragment({ ttl: 1.5 })).to.throw().with.property("code", "AT0022");
  });

  it("metadataFragment parses back to the same fields through the wire regex", function () {
    const meta: Partial<AtMetadata> = { ttl: 60000, ttb: 5, ccd: true, dataSignature: "c2ln", isBinary: false, isEncrypted: true, encoding: "base64", skeEncAlgo: "rsa" };
    const frag = metadataFragment(meta);
    const pairs: Record<string, string> = {};
    const re = /:([A-Za-z]+):([^:@\s]+)/gu;
    for (const m of frag.matchAll(re)) pairs[m[1] ?? ""] = m[2] ?? "";
    expect(metadataFromWire(pairs)).to.deep.equal(meta);
  });

  it("metadataFromWire reads sync:from strings and llookup:meta natives alike", function () {
    const fromSync = metadataFromWire({
      ttl: "10000", ttb: "1000", ttr: "100", isBinary: "false", isEncrypted: "true", encoding: "base64", version: "0",
      createdAt: "2022-11-07 13:42:02.703Z", ivNonce: "null", sharedKeyEnc: null, unknownField: "x",
    });
    expect(fromSync).to.deep.equal({
      ttl: 10000, ttb: 1000, ttr: 100, isBinary: false, isEncrypted: true, encoding: "base64", version: 0,
      createdAt: "2022-11-07 13:42:02.703Z",
    });
    const fromMeta = metadataFromWire({ ttl: 10000, ccd: true, isEncrypted: false, createdBy: "@alice🛠", ttr: "oops" });
    expect(fromMeta).to.deep.equal({ ttl: 10000, ccd: true, isEncrypted: false, createdBy: "@alice🛠" });
  });

  it("formats and parses Dart dates", function () {
    const ms = Date.UTC(2026, 10, 22, 10, 47, 49, 209);
    expect(formatDartDate(ms)).to.equal("2026-11-22 10:47:49.209Z");
    expect(formatDartDate(Date.UTC(2022, 0, 2, 3, 4, 5, 6))).to.equal("2022-01-02 03:04:05.006Z");
    expect(parseDartDate("2026-11-22 10:47:49.209Z")).to.equal(ms);
    expect(parseDartDate("2026-11-22 10:47:49.209123Z")).to.equal(ms);
    expect(parseDartDate("2026-11-22T10:47:49Z")).to.equal(ms - 209);
    expect(parseDartDate("2026-11-22 12:47:49.209+02:00")).to.equal(ms);
    for (let i = 0; i < 50; i++) {
      const t = 1_600_000_000_000 + i * 7_777_777_777;
      expect(parseDartDate(formatDartDate(t))).to.equal(t);
    }
    expect(() => parseDartDate("yesterday")).to.throw().with.property("code", "AT0022");
  });

  it("parseDartDate reads the servers' own form without its regex, to the same ms as the general way", function () {
    // The general way, as parseDartDate read every date before its fast path.
    const general = (s: string): number => {
      const m = /^([+-]?\d{4,6})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/u.exec(s.trim());
      if (!m) throw new Error("no match");
      const [, y, mo, d, h, mi, sec, frac] = m;
      return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), frac ? Number.parseInt(frac.padEnd(3, "0").slice(0, 3), 10) : 0);
    };
    const samples = ["2026-11-22 10:47:49.209Z", "1970-01-01 00:00:00.000Z", "1969-12-31 23:59:59.999Z", "0099-03-01 01:02:03.004Z", "2024-02-29T23:59:59.999Z", "9999-12-31 23:59:59.999Z"];
    for (let i = 0; i < 200; i++) samples.push(formatDartDate(-50_000_000_000 + i * 987_654_321_987));
    for (const s of samples) expect(parseDartDate(s), s).to.equal(general(s));
    // Not quite the form: the general way decides.
    expect(parseDartDate(" 2026-11-22 10:47:49.209Z ")).to.equal(general("2026-11-22 10:47:49.209Z"));
    expect(() => parseDartDate("2026-11-22 10:47:4x.209Z")).to.throw().with.property("code", "AT0022");
    expect(() => parseDartDate("2026-11-22_10:47:49.209Z")).to.throw().with.property("code", "AT0022");
  });
});
