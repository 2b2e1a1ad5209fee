// `atsyncd --version`, `help <command>`, "did you mean", and the exit-code table: the parts of the
// command line around the commands, run in-process (a real RPC server on a Unix socket stands in
// for a daemon of another version).
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { didYouMean, editDistance } from "../../daemon/cli/didYouMean.js";
import { ExitCode } from "../../daemon/cli/Command.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { DaemonDescribe } from "../../shared/methods.js";
import { ATSYNCD_VERSION } from "../../shared/version.js";
import { projectRoot } from "../support/fixtures.js";
import { tempDir } from "../rpc/helpers.js";
import { runMain } from "./support/runMain.js";

describe("atsyncd --version, help and did-you-mean", function () {
  it("the version constant is package.json's, and the client package's (they ship together)", function () {
    for (const file of ["package.json", join("client", "package.json")]) {
      const pkg = JSON.parse(readFileSync(join(projectRoot, file), "utf8")) as { version: string };
      expect(ATSYNCD_VERSION, file).to.equal(pkg.version);
    }
  });

  it("--version with no daemon prints the CLI's version and says none runs, exit 0", async function () {
    const t = tempDir();
    try {
      const r = await runMain(["--version", "--socket", join(t.dir, "none.sock")]);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.equal(`atsyncd ${ATSYNCD_VERSION} (this CLI)\nno daemon is running (nothing answers on ${join(t.dir, "none.sock")})\n`);
      expect((await runMain(["--version", "--bogus"])).code).to.equal(ExitCode.Usage);
    } finally {
      t.remove();
    }
  });

  it("--version warns when the daemon runs another version", async function () {
    const t = tempDir();
    const socketPath = join(t.dir, "old.sock");
    const rpc = await RpcServer.listen({ socketPath, daemonVersion: "0.0.9", clock: new SystemClock(), logger: nullLogger });
    rpc.handle(DaemonDescribe, () => ({
      version: "0.0.9", pid: 4242, startedAt: Date.now() - 65_000, socketPath, dataDir: t.dir, configFile: join(t.dir, "config.json"), keyStore: "file", dev: false,
    }));
    try {
      const r = await runMain(["--version", "--socket", socketPath]);
      expect(r.code).to.equal(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(lines[0]).to.equal(`atsyncd ${ATSYNCD_VERSION} (this CLI)`);
      expect(lines[1]).to.match(new RegExp(`^atsyncd 0\\.0\\.9 \\(the daemon: pid 4242, up 1m \\d+s, socket ${socketPath.replace(/[.]/gu, "\\.")}\\)$`, "u"));
      expect(lines[2]).to.equal(`warning: the CLI is ${ATSYNCD_VERSION} but the daemon is 0.0.9: restart the daemon (\`systemctl --user restart atsyncd\`, or stop and start \`atsyncd run\`) so both run the same code`);
    } finally {
      await rpc.close();
      t.remove();
    }
  });

  it("help <command> prints that command's usage; help of an unknown one is exit 2 with a guess", async function () {
    const r = await runMain(["help", "status"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^Usage: atsyncd status \[@atSign\]/u);
    expect((await runMain(["status", "--help"])).stdout).to.equal(r.stdout);
    const bad = await runMain(["help", "stauts"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal("atsyncd: unknown command 'stauts'. Did you mean `atsyncd status`? Run `atsyncd --help` for the list.\n");
  });

  it("help help and help --version are help, not unknown commands; `atsyncd version` points at --version", async function () {
    const top = await runMain(["help"]);
    const hh = await runMain(["help", "help"]);
    expect(hh.code).to.equal(0);
    expect(hh.stdout).to.equal(top.stdout);
    const hv = await runMain(["help", "--version"]);
    expect(hv.code).to.equal(0);
    expect(hv.stdout).to.match(/^Usage: atsyncd --version \[--socket PATH\]/u);
    const v = await runMain(["version"]);
    expect(v.code).to.equal(2);
    expect(v.stderr).to.include("Did you mean `atsyncd --version`?");
  });

  it("a mistyped command gets one guess, a word like none gets none", async function () {
    expect((await runMain(["stauts"])).stderr).to.include("Did you mean `atsyncd status`?");
    expect((await runMain(["conflcts"])).stderr).to.include("Did you mean `atsyncd conflicts`?");
    expect((await runMain(["docter"])).stderr).to.include("Did you mean `atsyncd doctor`?");
    const none = await runMain(["frobnicate"]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.equal("atsyncd: unknown command 'frobnicate'. Run `atsyncd --help` for the list.\n");
  });

  it("editDistance counts a swap of neighbours as one edit; didYouMean wants a close, unique match", function () {
    expect(editDistance("stauts", "status")).to.equal(1);
    expect(editDistance("", "abc")).to.equal(3);
    expect(editDistance("kitten", "sitting")).to.equal(3);
    const names = ["config", "conflicts", "get", "ls", "put", "rm", "status", "sync", "watch"];
    expect(didYouMean("snyc", names)).to.equal("sync");
    expect(didYouMean("gte", names)).to.equal("get");
    expect(didYouMean("x", names)).to.equal(undefined);
    expect(didYouMean("con", names)).to.equal(undefined); // the start of two names
    expect(didYouMean("stat", names)).to.equal("status");
  });

  it("the README's exit-code table lists every code the CLI can return", function () {
    const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("### Exit codes"), readme.indexOf("### Daemon and status"));
    const listed = [...table.matchAll(/^\| (\d+) \|/gmu)].map((m) => Number(m[1]));
    expect(listed).to.deep.equal([...new Set(Object.values(ExitCode))].sort((a, b) => a - b));
  });
});
