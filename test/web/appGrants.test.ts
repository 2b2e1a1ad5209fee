// apps.json that cannot be read: the grants fail with AppsFileUnreadable naming the file, tokens
// open nothing, the file is never overwritten, and a fix takes effect at the next use.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "../../shared/errors.js";
import { AppGrants } from "../../daemon/web/AppGrants.js";
import { thrown } from "../support/thrown.js";

const app = { name: "Wavi", origin: "http://wavi.example", atSigns: ["@alice"], namespaces: ["wavi"], grantedAt: 1, always: true };

describe("web: AppGrants with an apps.json it cannot read", function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-grants-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("not JSON: every use fails naming the file, nothing is written, and removing the file ends it", function () {
    const file = join(dir, "apps.json");
    writeFileSync(file, "{ \"version\": 1, \"apps\": [");
    const grants = new AppGrants(dir);
    expect(grants.readError?.code).to.equal(ErrorCode.AppsFileUnreadable);
    expect(grants.readError?.message).to.include(file).and.include("not valid JSON").and.include("move it away");
    expect(thrown(() => grants.list()).code).to.equal(ErrorCode.AppsFileUnreadable);
    expect(thrown(() => grants.grant(app)).code).to.equal(ErrorCode.AppsFileUnreadable);
    expect(thrown(() => grants.revoke("app-1")).code).to.equal(ErrorCode.AppsFileUnreadable);
    expect(grants.find("x".repeat(43))).to.equal(undefined);
    expect(readFileSync(file, "utf8")).to.equal("{ \"version\": 1, \"apps\": [");

    rmSync(file);
    expect(grants.list()).to.deep.equal([]);
    const { token } = grants.grant(app);
    expect(grants.find(token)?.name).to.equal("Wavi");
    expect(grants.readError).to.equal(undefined);
  });

  it("a directory where the file should be (unreadable whoever runs it), then a fixed file read again", function () {
    const file = join(dir, "apps.json");
    mkdirSync(file);
    const grants = new AppGrants(dir);
    expect(grants.readError?.message).to.include(file).and.include("EISDIR");
    expect(thrown(() => grants.list()).code).to.equal(ErrorCode.AppsFileUnreadable);

    const other = new AppGrants(mkdtempSync(join(dir, "x-")));
    const { token } = other.grant(app);
    rmSync(file, { recursive: true });
    writeFileSync(file, readFileSync(other.file));
    expect(grants.list().map((a) => a.name)).to.deep.equal(["Wavi"]);
    expect(grants.find(token)?.origin).to.equal("http://wavi.example");
  });

  it("JSON without an apps list is refused the same way", function () {
    writeFileSync(join(dir, "apps.json"), "null");
    expect(new AppGrants(dir).readError?.message).to.include("holds no \"apps\" list");
  });
});
