import { expect } from "chai";
import { join } from "node:path";
import { storePath } from "../../daemon/worker/storePath.js";
import { ATSIGN_PATTERN } from "../../shared/atKey.js";

describe("worker: an atSign's store file", () => {
  it("lives in atsigns/ under its lowercased name, emoji included", () => {
    expect(storePath("/d", "@Alice🛠")).to.equal(join("/d", "atsigns", "@alice🛠.db"));
  });

  it("scenario: an atSign with a path separator could name a file outside atsigns/: the RPC edge and the store path both refuse it", () => {
    for (const bad of ["@/../../etc/x", "@a/b", "@a\\b", "@..", "@."]) {
      expect(() => storePath("/d", bad), bad).to.throw(RangeError);
    }
    for (const bad of ["@/../../etc/x", "@a/b", "@a\\b"]) expect(ATSIGN_PATTERN.test(bad), bad).to.equal(false);
    expect(ATSIGN_PATTERN.test("@alice🛠")).to.equal(true);
  });
});
