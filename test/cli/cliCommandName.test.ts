// The command run --dev's banner tells the user to type: one that works from their shell.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { cliCommandName } from "../../daemon/cli/cliCommandName.js";

describe("cliCommandName: how the banner says to run atsyncd", function () {
  let dir: string;
  let bin: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-cmdname-"));
    mkdirSync(join(dir, "pkg", "bin"), { recursive: true });
    bin = join(dir, "pkg", "bin", "atsyncd");
    writeFileSync(bin, "#!/usr/bin/env node\n", { mode: 0o755 });
    mkdirSync(join(dir, "global"));
    mkdirSync(join(dir, "other"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("`atsyncd` when the atsyncd on PATH is this one (a global install's symlink)", function () {
    symlinkSync(bin, join(dir, "global", "atsyncd"));
    expect(cliCommandName(bin, { PATH: `/nonexistent:${join(dir, "global")}` }, dir)).to.equal("atsyncd");
  });

  it("`npx atsyncd` inside the checkout when nothing is on PATH, its full path elsewhere", function () {
    expect(cliCommandName(bin, { PATH: "/nonexistent" }, join(dir, "pkg"))).to.equal("npx atsyncd");
    expect(cliCommandName(bin, { PATH: "/nonexistent" }, join(dir, "pkg", "bin"))).to.equal("npx atsyncd");
    expect(cliCommandName(bin, { PATH: "/nonexistent" }, join(dir, "other"))).to.equal(bin);
  });

  it("its full path when another atsyncd comes first on PATH", function () {
    writeFileSync(join(dir, "other", "atsyncd"), "#!/bin/sh\n", { mode: 0o755 });
    expect(cliCommandName(bin, { PATH: join(dir, "other") }, join(dir, "pkg"))).to.equal(bin);
  });
});
