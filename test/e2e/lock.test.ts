// One daemon per data dir: a second one refuses clearly and exits non-zero, the first one
// is unharmed; SIGTERM stops cleanly (exit 0, socket and lock removed).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { runOnce, startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";

describe("e2e: data dir lock and clean stop", function () {
  this.timeout(60_000);
  const server = useDevServer(this);
  let d: TestDaemon | undefined;

  before(async function () {
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
  });

  after(async function () {
    await d?.dispose();
  });

  it("refuses a second daemon on the same data dir with a clear message and a non-zero exit", async function () {
    const second = await runOnce(["--data-dir", d!.dataDir, "--socket", join(d!.dir, "other.sock"), "--key-store", "file"]);
    // Exit 6 (README's table), naming the holder; its socket is not the one asked for, and it says so.
    expect(second.code).to.equal(6);
    expect(second.stderr).to.match(new RegExp(`already running for .* \\(pid ${d!.proc.pid}, it does not answer on .*other\\.sock`, "u"));
    const same = await runOnce(["--data-dir", d!.dataDir, "--socket", d!.socketPath, "--key-store", "file"]);
    expect(same.code).to.equal(6);
    expect(same.stderr).to.include(`(pid ${d!.proc.pid}, socket ${d!.socketPath})`);
    expect(existsSync(join(d!.dir, "other.sock"))).to.equal(false);
    // The first daemon still answers.
    expect((await d!.client.status(ALICE))[0]?.atSign).to.equal(ALICE);
  });

  it("refuses a second daemon on the same socket", async function () {
    const second = await runOnce(["--data-dir", join(d!.dir, "other-data"), "--socket", d!.socketPath, "--key-store", "file"]);
    expect(second.code).to.not.equal(0);
    expect(second.stderr).to.include("already running");
    expect(existsSync(join(d!.dir, "other-data", "daemon.lock"))).to.equal(false);
    expect((await d!.client.atSigns()).map((a) => a.atSign)).to.deep.equal([ALICE]);
  });

  it("stops on SIGTERM with exit 0, removing the socket and the lock", async function () {
    const exit = await d!.stop();
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(existsSync(d!.socketPath)).to.equal(false);
    expect(existsSync(join(d!.dataDir, "daemon.lock"))).to.equal(false);
    expect(d!.output()).to.include("atsyncd stopped");
  });
});
