// better-sqlite3's native module as an installation may leave it: never built (npm skipped its
// install script) or built for another node. The errors are the loader's own, as it threw them
// here (a global install made with --ignore-scripts; one built under Node 20, run by Node 22).
import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { packageRootOfAddon, sqliteAddonMessage, sqliteAddonProblem } from "../../daemon/cli/sqliteAddon.js";
import { projectRoot } from "../support/fixtures.js";

const NOT_BUILT = [
  "Could not locate the bindings file. Tried:",
  " → /p/lib/node_modules/atsyncd/node_modules/better-sqlite3/build/better_sqlite3.node",
  " → /p/lib/node_modules/atsyncd/node_modules/better-sqlite3/build/Debug/better_sqlite3.node",
].join("\n");
const OTHER_NODE =
  "The module '/p/lib/node_modules/atsyncd/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\n" +
  "NODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 127. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).";

describe("atsyncd run checks that better-sqlite3's native module loads", function () {
  const root = "/p/lib/node_modules/atsyncd";

  it("in this checkout it loads, and its package root is the checkout's", async function () {
    expect(await sqliteAddonProblem()).to.equal(undefined);
    // Where node_modules really is (a worktree may link it from another checkout).
    expect(packageRootOfAddon()).to.equal(dirname(realpathSync(join(projectRoot, "node_modules"))));
  });

  it("never built (npm 12 without --allow-scripts, or --ignore-scripts): one sentence naming both fixes, not the loader's list of paths", function () {
    expect(sqliteAddonMessage(new Error(NOT_BUILT), root)).to.equal(
      "the native module of better-sqlite3 (its SQLite) was never built, because npm skipped its install script (npm 12 does unless told `--allow-scripts=better-sqlite3`; so does --ignore-scripts): " +
        "install again with `npm install -g --allow-scripts=better-sqlite3 atsyncd`, or build it with `cd /p/lib/node_modules/atsyncd && npm rebuild better-sqlite3`",
    );
  });

  it("built for another node (node upgraded under an installed atsyncd): says which, and how to rebuild", function () {
    expect(sqliteAddonMessage(new Error(OTHER_NODE), root, "v22.23.5")).to.equal(
      "the native module of better-sqlite3 (its SQLite) was built for another Node.js (NODE_MODULE_VERSION 115, not 127 as node v22.23.5 needs), as happens when node is upgraded under an installed atsyncd: " +
        "rebuild it with `cd /p/lib/node_modules/atsyncd && npm rebuild better-sqlite3`, or install atsyncd again with this node",
    );
  });

  it("any other load failure: its first line, and the rebuild; a directory with a space is quoted", async function () {
    const msg = sqliteAddonMessage(new Error("/x/better_sqlite3.node: invalid ELF header\nmore"), "/my apps/atsyncd", "v24.1.0");
    expect(msg).to.equal("the native module of better-sqlite3 (its SQLite) does not load in node v24.1.0 (/x/better_sqlite3.node: invalid ELF header): rebuild it with `cd '/my apps/atsyncd' && npm rebuild better-sqlite3`, or install atsyncd again with this node");
    expect(await sqliteAddonProblem(() => {
      throw new Error(NOT_BUILT);
    })).to.match(/^the native module of better-sqlite3 \(its SQLite\) was never built/u);
  });
});
