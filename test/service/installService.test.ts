import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { commandLine, installService, uninstallService, type ServiceOptions } from "../../daemon/service/installService.js";
import type { CommandResult, CommandRunner } from "../../daemon/service/runCommand.js";
import { ServiceError, ServiceErrorCode } from "../../daemon/service/ServiceError.js";
import { projectRoot } from "../support/fixtures.js";
import { parsePlist, type PlistValue } from "./plist.js";

interface Call {
  line: string;
  /** Whether the unit file existed when the command ran (order matters for disable). */
  unitExisted: boolean;
}

function recorder(unitPath: () => string, fail: Record<string, CommandResult> = {}): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner = async (cmd, args) => {
    const line = [cmd, ...args].join(" ");
    calls.push({ line, unitExisted: existsSync(unitPath()) });
    return fail[line] ?? { code: 0, stdout: "", stderr: "" };
  };
  return { run, calls };
}

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(ServiceError);
    return e as ServiceError;
  }
  throw new Error("expected a rejection");
}

describe("installService / uninstallService", function () {
  let home: string;
  let base: Omit<ServiceOptions, "platform">;
  beforeEach(function () {
    home = mkdtempSync(join(tmpdir(), "atsyncd-home-"));
    base = {
      home,
      execPath: process.execPath,
      binPath: join(projectRoot, "bin", "atsyncd"),
      dataDir: join(home, ".local", "share", "atsyncd"),
      uid: 501,
    };
  });
  afterEach(function () {
    rmSync(home, { recursive: true, force: true });
  });

  describe("systemd user unit", function () {
    const unitOf = (h: string): string => join(h, ".config", "systemd", "user", "atsyncd.service");

    it("writes the unit, creates the data dir, reloads and enables it", async function () {
      const { run, calls } = recorder(() => unitOf(home));
      const plan = await installService({ ...base, platform: "linux", run });
      expect(plan.unitPath).to.equal(unitOf(home));
      const unit = readFileSync(unitOf(home), "utf8");
      expect(unit).to.contain(`ExecStart=${process.execPath} ${base.binPath} run --data-dir ${base.dataDir}`);
      expect(statSync(unitOf(home)).mode & 0o777).to.equal(0o644);
      expect(statSync(base.dataDir).mode & 0o777).to.equal(0o700);
      expect(calls.map((c) => c.line)).to.deep.equal(["systemctl --user daemon-reload", "systemctl --user enable --now atsyncd.service"]);
      expect(calls.every((c) => c.unitExisted)).to.equal(true);
      expect(plan.notes.join(" ")).to.contain("enable-linger");
    });

    it("uninstall disables while the unit exists, then removes it and reloads", async function () {
      await installService({ ...base, platform: "linux", run: recorder(() => unitOf(home)).run });
      const { run, calls } = recorder(() => unitOf(home));
      await uninstallService({ ...base, platform: "linux", run });
      expect(existsSync(unitOf(home))).to.equal(false);
      expect(calls).to.deep.equal([
        { line: "systemctl --user disable --now atsyncd.service", unitExisted: true },
        { line: "systemctl --user daemon-reload", unitExisted: false },
      ]);
      // The data dir (databases, maybe the key file) is the user's, not the service's.
      expect(existsSync(base.dataDir)).to.equal(true);
    });

    it("uninstall goes on when the service was not enabled", async function () {
      const { run, calls } = recorder(() => unitOf(home), {
        "systemctl --user disable --now atsyncd.service": { code: 1, stdout: "", stderr: "Unit file atsyncd.service does not exist." },
      });
      await uninstallService({ ...base, platform: "linux", run });
      expect(calls.map((c) => c.line)).to.deep.equal(["systemctl --user disable --now atsyncd.service", "systemctl --user daemon-reload"]);
    });

    it("reports a failing systemctl with its command and first stderr line", async function () {
      const { run } = recorder(() => unitOf(home), {
        "systemctl --user daemon-reload": { code: 1, stdout: "", stderr: "Failed to connect to bus: No medium found\nmore" },
      });
      const err = await failure(installService({ ...base, platform: "linux", run }));
      expect(err.code).to.equal(ServiceErrorCode.CommandFailed);
      expect(err.message).to.contain("systemctl --user daemon-reload").and.contain("No medium found").and.not.contain("more");
    });

    it("a dry run writes and runs nothing but returns the plan", async function () {
      const { run, calls } = recorder(() => unitOf(home));
      const plan = await installService({ ...base, platform: "linux", run, dryRun: true });
      expect(calls).to.deep.equal([]);
      expect(existsSync(unitOf(home))).to.equal(false);
      expect(existsSync(base.dataDir)).to.equal(false);
      const write = plan.steps.find((s) => s.kind === "write");
      expect(write?.kind === "write" && write.content).to.contain("ExecStart=");
      const runs = plan.steps.flatMap((s) => (s.kind === "run" ? [commandLine(s)] : []));
      expect(runs).to.deep.equal(["systemctl --user daemon-reload", "systemctl --user enable --now atsyncd.service"]);
    });
  });

  describe("systemd system unit", function () {
    it("writes the sysusers entry and the unit, creates the user, enables the service", async function () {
      const etc = join(home, "etc");
      const opts = { ...base, platform: "linux" as const, system: true, systemUnitDir: join(etc, "systemd", "system"), sysusersDir: join(etc, "sysusers.d") };
      const unitPath = join(etc, "systemd", "system", "atsyncd.service");
      const { run, calls } = recorder(() => unitPath);
      await installService({ ...opts, run });
      expect(readFileSync(unitPath, "utf8")).to.contain("User=atsyncd").and.contain(`ExecStart=${process.execPath} ${base.binPath} run --data-dir /var/lib/atsyncd`);
      expect(readFileSync(join(etc, "sysusers.d", "atsyncd.conf"), "utf8")).to.match(/^u atsyncd /mu);
      expect(calls.map((c) => c.line)).to.deep.equal([
        `systemd-sysusers ${join(etc, "sysusers.d", "atsyncd.conf")}`,
        "systemctl daemon-reload",
        "systemctl enable --now atsyncd.service",
      ]);
      const un = recorder(() => unitPath);
      await uninstallService({ ...opts, run: un.run });
      expect(existsSync(unitPath)).to.equal(false);
      expect(un.calls.map((c) => c.line)).to.deep.equal(["systemctl disable --now atsyncd.service", "systemctl daemon-reload"]);
    });

    it("says that --system needs root when /etc is not writable", async function () {
      if (process.getuid?.() === 0) this.skip(); // root writes anywhere
      const err = await failure(installService({ ...base, platform: "linux", system: true, run: recorder(() => "").run }));
      expect(err.code).to.equal(ServiceErrorCode.Io);
      expect(err.message).to.contain("root");
    });
  });

  describe("launchd agent", function () {
    const plistOf = (h: string): string => join(h, "Library", "LaunchAgents", "org.atsign.atsyncd.plist");

    it("writes the plist and bootstraps it into gui/<uid>, tolerating a first bootout", async function () {
      const { run, calls } = recorder(() => plistOf(home), {
        "launchctl bootout gui/501/org.atsign.atsyncd": { code: 3, stdout: "", stderr: "Boot-out failed: 3: No such process" },
      });
      const dataDir = join(home, "Library", "Application Support", "atsyncd");
      await installService({ ...base, dataDir, platform: "darwin", run });
      const v = parsePlist(readFileSync(plistOf(home), "utf8")) as Record<string, PlistValue>;
      expect(v.ProgramArguments).to.deep.equal([process.execPath, base.binPath, "run", "--data-dir", dataDir]);
      expect(v.StandardErrorPath).to.equal(join(home, "Library", "Logs", "atsyncd", "atsyncd.err.log"));
      expect(statSync(join(home, "Library", "Logs", "atsyncd")).isDirectory()).to.equal(true);
      expect(calls).to.deep.equal([
        { line: "launchctl bootout gui/501/org.atsign.atsyncd", unitExisted: false },
        { line: "launchctl enable gui/501/org.atsign.atsyncd", unitExisted: true },
        { line: `launchctl bootstrap gui/501 ${plistOf(home)}`, unitExisted: true },
      ]);
      const un = recorder(() => plistOf(home));
      await uninstallService({ ...base, dataDir, platform: "darwin", run: un.run });
      expect(existsSync(plistOf(home))).to.equal(false);
      expect(un.calls).to.deep.equal([{ line: "launchctl bootout gui/501/org.atsign.atsyncd", unitExisted: true }]);
    });
  });

  it("refuses what it cannot install, in one sentence", async function () {
    const win = await failure(installService({ ...base, platform: "win32", run: recorder(() => "").run }));
    expect(win.code).to.equal(ServiceErrorCode.Unsupported);
    expect(win.message).to.contain("win32");
    const macSystem = await failure(installService({ ...base, platform: "darwin", system: true, run: recorder(() => "").run }));
    expect(macSystem.message).to.contain("LaunchAgent");
  });
});
