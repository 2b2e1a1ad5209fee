import { expect } from "chai";
import { join } from "node:path";
import { buildMeta } from "../../atserver/store/buildMeta.js";
import { ServerStore } from "../../atserver/store/ServerStore.js";
import { isActive, metaToJson, metaToStrings } from "../../atserver/store/StoredMeta.js";
import { tempDir } from "./support/demo.js";

describe("dev-server store: commit log and metadata (§3.2, §4.1)", function () {
  let dir: ReturnType<typeof tempDir>;
  let store: ServerStore | undefined;
  const path = (): string => join(dir.path, "s.sqlite");
  beforeEach(function () {
    dir = tempDir("store");
    store = new ServerStore(path());
  });
  afterEach(function () {
    store?.close();
    dir.remove();
  });

  it("numbers commits from 0, keeps one entry per key, and never reuses an id after a restart", function () {
    const s = store as ServerStore;
    const m = buildMeta("@a", undefined, {}, 1000);
    expect(s.put("x.app@a", "1", m, "*")).to.equal(0);
    expect(s.put("y.app@a", "1", m, "*")).to.equal(1);
    expect(s.put("x.app@a", "2", m, "*")).to.equal(2);
    expect(s.put("private:p@a", "1", m, "*")).to.equal(-1);
    expect(s.commitLog().map((e) => [e.id, e.key])).to.deep.equal([[1, "y.app@a"], [2, "x.app@a"]]);
    expect(s.remove("x.app@a")).to.equal(3);
    s.close();
    store = new ServerStore(path());
    expect(store.lastCommitId()).to.equal(3);
    expect(store.put("z.app@a", "1", m, "*")).to.equal(4);
    const page = store.entriesAfter(2, 25);
    expect(page.map(([id]) => id)).to.deep.equal([3, 4]);
    expect(JSON.parse(page[0]?.[2] ?? "null")).to.deep.equal({ atKey: "x.app@a", value: null, metadata: null, commitId: 3, operation: "-" });
    store.wipe();
    expect(store.lastCommitId()).to.equal(null);
    expect(store.put("z.app@a", "1", m, "*")).to.equal(0);
  });

  it("derives dates from ttl/ttb/ttr, merges with the old metadata, and unsets string fields with null", function () {
    const first = buildMeta("@a", undefined, { ttl: "5000", ttb: "1000", ttr: "10", encoding: "base64" }, 1_000_000);
    expect(first).to.deep.include({
      createdBy: "@a", createdAt: 1_000_000, version: 0, ttl: 5000, ttb: 1000, ttr: 10, ccd: false,
      expiresAt: 1_006_000, availableAt: 1_001_000, refreshAt: 1_010_000, isBinary: false, isEncrypted: false, encoding: "base64",
    });
    const second = buildMeta("@a", first, { encoding: "null", isEncrypted: "true" }, 2_000_000);
    expect(second).to.deep.include({ createdAt: 1_000_000, updatedAt: 2_000_000, version: 1, ttl: 5000, expiresAt: 2_006_000, isEncrypted: true });
    expect(second).to.not.have.property("encoding");
    expect(isActive(second, 2_000_500)).to.equal(false);
    expect(isActive(second, 2_001_000)).to.equal(true);
    expect(isActive(second, 2_006_001)).to.equal(false);
  });

  it("writes llookup metadata with native types and sync metadata as strings, both with Dart dates", function () {
    const m = buildMeta("@a", undefined, { ttl: "1000" }, Date.UTC(2026, 10, 22, 10, 47, 49, 209));
    expect(metaToJson(m)).to.deep.equal({
      createdBy: "@a", updatedBy: "@a", createdAt: "2026-11-22 10:47:49.209Z", updatedAt: "2026-11-22 10:47:49.209Z",
      expiresAt: "2026-11-22 10:47:50.209Z", status: "active", version: 0, ttl: 1000, isBinary: false, isEncrypted: false,
    });
    expect(metaToStrings(m)).to.deep.include({ version: "0", ttl: "1000", isBinary: "false", expiresAt: "2026-11-22 10:47:50.209Z" });
  });
});
