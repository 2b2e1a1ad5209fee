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

/** Runs `node bin/atsyncd ARGS` to its exit. */
function runCli(args: string[], cwd?: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [atsyncdBin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

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

  it("a second `run --dev` on the same data dir says the first is running (pid, socket), exit 6", async function () {
    const dataDir = join(dir, "data");
    const socketPath = join(dir, "s.sock");
    const second = await runCli(["run", "--dev", "--data-dir", dataDir, "--socket", socketPath]);
    expect(second.code).to.equal(6);
    expect(second.stderr).to.equal(`atsyncd: atsyncd is already running for ${dataDir} (pid ${proc!.pid}, socket ${socketPath}); use it, or stop it first (Ctrl-C where it runs, or \`kill ${proc!.pid}\`)\n`);
    // Relative to the working directory, as `npm start` names it.
    const fromParent = await runCli(["run", "--dev", "--data-dir", "data", "--socket", socketPath], dir);
    expect(fromParent.stderr).to.include("already running for ./data (pid");
  });

  it("config and doctor without --data-dir ask the running daemon for its data dir and config file", async function () {
    const socketPath = join(dir, "s.sock");
    const env = { ATSYNCD_SOCKET: socketPath, XDG_CONFIG_HOME: join(dir, "elsewhere"), XDG_DATA_HOME: join(dir, "elsewhere") };
    const path = await runCli(["config", "path"], undefined, env);
    expect(path.stdout).to.equal(`${join(dir, "data", "config.json")}\n`);
    const doctor = await runCli(["doctor", "--json"], undefined, env);
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; status: string; message: string }[] }).checks;
    expect(checks.find((c) => c.name === "config")?.message).to.include(`${join(dir, "data", "config.json")} (the running daemon's)`);
    // The dev root in that config is what the atServer checks used: they pass.
    expect(checks.filter((c) => c.name.endsWith("atServer")).map((c) => c.status)).to.deep.equal(["ok", "ok"]);
    // With no daemon there, the defaults (here under XDG_CONFIG_HOME).
    const none = await runCli(["config", "path"], undefined, { ...env, ATSYNCD_SOCKET: join(dir, "nobody.sock") });
    expect(none.stdout).to.equal(`${join(dir, "elsewhere", "atsyncd", "config.json")}\n`);
  });

  it("--version names the CLI's and the daemon's versions, pid and socket", async function () {
    const socketPath = join(dir, "s.sock");
    const v = await runCli(["--version", "--socket", socketPath]);
    expect(v.code).to.equal(0);
    expect(v.stdout).to.match(new RegExp(`^atsyncd \\d+\\.\\d+\\.\\d+ \\(this CLI\\)\\natsyncd \\d+\\.\\d+\\.\\d+ \\(the daemon: pid ${proc!.pid}, up \\S+, socket ${socketPath.replace(/[.]/gu, "\\.")}\\)\\n$`, "u"));
  });
});
