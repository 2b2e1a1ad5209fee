// The worker's cache of decrypted values (keys.get): used only for the exact ciphertext and
// metadata it was decrypted from, bounded in bytes, and never printed.
import { inspect } from "node:util";
import { expect } from "chai";
import { cipherTag, PlaintextCache } from "../../daemon/worker/PlaintextCache.js";

describe("worker: PlaintextCache", function () {
  const tag = cipherTag({ ivNonce: "iv1", isEncrypted: true });

  it("answers only for the ciphertext and metadata it holds", function () {
    const c = new PlaintextCache();
    c.set("a@alice🛠", "CIPHER1", tag, "secret 📞");
    expect(c.get("a@alice🛠", "CIPHER1", tag)).to.equal("secret 📞");
    expect(c.get("a@alice🛠", "CIPHER1", cipherTag({ ivNonce: "iv2", isEncrypted: true }))).to.equal(undefined);
    // A miss on a changed value drops the stale entry.
    expect(c.size).to.equal(0);
    c.set("a@alice🛠", "CIPHER1", tag, "secret 📞");
    expect(c.get("a@alice🛠", "CIPHER2", tag)).to.equal(undefined);
    expect(c.get("b@alice🛠", "CIPHER1", tag)).to.equal(undefined);
  });

  it("stays within its byte bound, least recently used out first", function () {
    const c = new PlaintextCache(16_384);
    const v = "x".repeat(500);
    for (let i = 0; i < 100; i++) {
      c.set(`k${i}`, `c${i}`, tag, v);
      c.get("k0", "c0", tag); // k0 stays the most recently used
    }
    expect(c.size).to.be.within(2, 16);
    expect(c.get("k0", "c0", tag)).to.equal(v);
    expect(c.get("k1", "c1", tag)).to.equal(undefined);
    expect(c.get("k99", "c99", tag)).to.equal(v);
    // A value too big for a fair share of the bound is not cached at all.
    c.set("big", "cbig", tag, "y".repeat(8_000));
    expect(c.get("big", "cbig", tag)).to.equal(undefined);
  });

  it("prints counts, never values", function () {
    const c = new PlaintextCache();
    c.set("a@alice🛠", "CIPHER1", tag, "the plaintext");
    expect(inspect(c)).to.not.include("the plaintext");
    expect(JSON.stringify({ c })).to.not.include("the plaintext");
  });
});
