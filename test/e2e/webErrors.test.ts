// What a user meets when the web side goes wrong: the port `run --web` wants is taken (the daemon
// refuses to start, naming the port and the fix), or apps.json cannot be read (the daemon starts
// and syncs; every apps.* answer names the file until it is fixed; a fix needs no restart).
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { AppsList } from "../../shared/methods.js";
import { runCli } from "../cli/support/cli.js";
import { requireBuild, runOnce, startTestDaemon, waitFor, writeDaemonConfig, type TestDaemon } from "../support/daemon.js";
import { freePort } from "../support/freePort.js";
import { ALICE, useDevServer } from "./devServer.js";

describe("e2e: web listener errors", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  let dir: string;
  let d: TestDaemon | undefined;
  let squatter: Server | undefined;

  before(function () {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), "atsyncd-weberr-"));
  });

  after(async function () {
    await d?.dispose();
    await new Promise((r) => (squatter ? squatter.close(r) : r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  it("run --web on a port another program holds: exit 1, one sentence naming the port and the fix, and nothing left behind", async function () {
    squatter = createServer();
    const port = await new Promise<number>((resolve) => squatter!.listen(0, "127.0.0.1", () => resolve((squatter!.address() as { port: number }).port)));
    const home = join(dir, "taken");
    writeDaemonConfig(join(home, "data"), server().dev);
    const args = ["--data-dir", join(home, "data"), "--socket", join(home, "s.sock"), "--key-store", "file", "--web", String(port)];
    const r = await runOnce(args);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr.trim().split("\n").filter((l) => l.startsWith("atsyncd: "))).to.deep.equal([
      `atsyncd: port ${port} on 127.0.0.1 is in use by another program (perhaps another atsyncd): stop it, or give atsyncd another port (atsyncd run --web PORT, or "web": PORT in the config)`,
    ]);
    // The lock and the socket were given back: the same daemon starts on a free port.
    const again = await startTestDaemon({ devServer: server().dev, dir: home, config: { web: await freePort() } });
    await again.dispose();
  });

  it("apps.json not valid JSON: the daemon starts and syncs, apps.* name the file, and removing it is enough", async function () {
    const home = join(dir, "corrupt");
    mkdirSync(join(home, "data"), { recursive: true, mode: 0o700 });
    const file = join(home, "data", "apps.json");
    writeFileSync(file, "{\"version\": 1, \"apps\": [", { mode: 0o600 });
    d = await startTestDaemon({ devServer: server().dev, dir: home, atSigns: [ALICE], config: { web: await freePort() } });
    await d.client.put(ALICE, `ok.wavi${ALICE}`, "still syncing");
    await d.client.syncNow({ atSign: ALICE, wait: true });
    expect(d.output()).to.include("apps.json cannot be read");

    const listed = await runCli(["apps", "list", "--socket", d.socketPath]);
    expect(listed.code).to.equal(1);
    expect(listed.stderr).to.match(new RegExp(`^atsyncd apps: ${file.replaceAll("/", "\\/")} \\(the browser apps allowed always\\) cannot be read \\(not valid JSON: .+\\): fix it, or move it away to forget those apps; atsyncd reads it again at its next use\\n$`, "u"));
    const err = await d.client.call(AppsList, {}).then(() => undefined, (e: unknown) => e);
    expect(AtsyncError.is(err, ErrorCode.AppsFileUnreadable)).to.equal(true);

    rmSync(file);
    const fixed = await waitFor("apps list to work", async () => {
      const r = await runCli(["apps", "list", "--socket", d!.socketPath]);
      return r.code === 0 ? r : undefined;
    });
    expect(fixed.stdout).to.equal("No app is waiting.\nNo app is allowed.\n");
  });

  it("atsyncd web with the web listener off says how to turn it on", async function () {
    const plain = await startTestDaemon({ devServer: server().dev, dir: join(dir, "plain") });
    try {
      const r = await runCli(["web", "--socket", plain.socketPath]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal("atsyncd web: the web listener is off: start atsyncd with `atsyncd run --web` (or set \"web\": true in the config)\n");
    } finally {
      await plain.dispose();
    }
  });
});
