// `atsyncd run --dev` writes the embedded dev-server's root and CA into the data dir's config
// file, so every other process (doctor, config, the next daemon) sees the same settings.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { AtsyncClient } from "../../client/index.js";
import { loadConfig } from "../../daemon/config/loadConfig.js";
import { atsyncdBin, requireBuild, waitFor } from "../support/daemon.js";

describe("e2e: atsyncd run --dev", function () {
  this.timeout(90_000);
  let dir: string;
  let proc: ChildProcess | undefined;
  let client: AtsyncClient | undefined;

  before(function () {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), "atsyncd-e2e-devrun-"));
  });

  after(async function () {
    await client?.close().catch(() => undefined);
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc!.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("puts the dev root and CA in the config file, keeping what else it held", async function () {
    const dataDir = join(dir, "data");
    const socketPath = join(dir, "s.sock");
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, "config.json"), JSON.stringify({ logLevel: "warn", rootServer: "root.atsign.org:64" }));
    proc = spawn(process.execPath, [atsyncdBin, "run", "--dev", "--data-dir", dataDir, "--socket", socketPath], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    proc.stderr?.on("data", (b: Buffer) => (err += b.toString()));
    proc.stdout?.resume();
    const root = await waitFor("the banner", () => /^\s+root\s+(\S+)\s+\(CA (.+)\)$/mu.exec(err) ?? undefined, 60_000);
    expect(existsSync(socketPath)).to.equal(true);

    const cfg = loadConfig(join(dataDir, "config.json"));
    expect(`${cfg.defaults.rootServer.host}:${cfg.defaults.rootServer.port}`).to.equal(root[1]);
    expect(cfg.defaults.ca).to.equal(root[2]);
    expect(readFileSync(cfg.defaults.ca!, "utf8")).to.include("BEGIN CERTIFICATE");
    expect(cfg.logLevel).to.equal("warn");

    client = await AtsyncClient.connect({ socketPath, clientName: "devrun" });
    const statuses = await waitFor("both demo atSigns online", async () => {
      const st = await client!.status();
      return st.length === 2 && st.every((s) => s.state.kind === "online") ? st : undefined;
    }, 60_000);
    expect(statuses.map((s) => s.atSign).sort()).to.deep.equal(["@alice", "@bob"]);
  });
});
