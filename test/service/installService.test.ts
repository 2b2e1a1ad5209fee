import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { commandLine, installService, uninstallService, type ServiceOptions } from "../../daemon/service/installService.js";
import type { CommandResult, CommandRunner } from "../../daemon/service/runCommand.js";
import { resolvedPath, unreadableByOthers } from "../../daemon/service/sandboxCheck.js";
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

/** Whether every directory above the temporary directory lets others in (then a 0755 path below it is reachable). */
function tmpdirOpen(): boolean {
  for (let d = realpathSync(tmpdir()); ; d = join(d, "..")) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === "/") return true;
  }
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
      // The checkout and node may live under /tmp here (a CI clone, another Node's test run): "packaged paths" below checks that.
      sandboxCheck: false,
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
      expect(calls.map((c) => c.line)).to.deep.equal([
        "systemctl --user show-environment", // is a user manager there, before anything is written
        "systemctl --user daemon-reload",
        "systemctl --user enable --now atsyncd.service",
      ]);
      expect(calls.map((c) => c.unitExisted)).to.deep.equal([false, true, true]);
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

    it("a dry run writes nothing and runs only the read-only check, but returns the plan", async function () {
      const { run, calls } = recorder(() => unitOf(home));
      const plan = await installService({ ...base, platform: "linux", run, dryRun: true });
      expect(calls.map((c) => c.line)).to.deep.equal(["systemctl --user show-environment"]);
      expect(plan.problems).to.deep.equal([]);
      expect(existsSync(unitOf(home))).to.equal(false);
      expect(existsSync(base.dataDir)).to.equal(false);
      const write = plan.steps.find((s) => s.kind === "write");
      expect(write?.kind === "write" && write.content).to.contain("ExecStart=");
      const runs = plan.steps.flatMap((s) => (s.kind === "run" ? [commandLine(s)] : []));
      expect(runs).to.deep.equal(["systemctl --user daemon-reload", "systemctl --user enable --now atsyncd.service"]);
    });

    it("without a systemd user manager: one sentence with the ways out, and nothing written", async function () {
      const bus = { code: 1, stdout: "", stderr: "Failed to connect to bus: No medium found" };
      const { run, calls } = recorder(() => unitOf(home), { "systemctl --user show-environment": bus });
      const err = await failure(installService({ ...base, platform: "linux", run }));
      expect(err.code).to.equal(ServiceErrorCode.Unsupported);
      expect(err.message).to.match(/^No systemd user manager runs for you \(`systemctl --user show-environment`: Failed to connect to bus: No medium found\), so a user service cannot start: .*loginctl enable-linger.*--system`\.$/u);
      expect(calls.map((c) => c.line)).to.deep.equal(["systemctl --user show-environment"]);
      expect(existsSync(unitOf(home))).to.equal(false);
      expect(existsSync(base.dataDir)).to.equal(false);
      // A dry run says the same, as the reason the install would fail.
      const dry = await installService({ ...base, platform: "linux", run, dryRun: true });
      expect(dry.problems).to.deep.equal([err.message]);
    });

    it("uninstall without a user manager removes the file and succeeds: the service is gone", async function () {
      await installService({ ...base, platform: "linux", run: recorder(() => unitOf(home)).run });
      const bus = { code: 1, stdout: "", stderr: "Failed to connect to bus: No medium found" };
      const { run } = recorder(() => unitOf(home), {
        "systemctl --user disable --now atsyncd.service": bus,
        "systemctl --user daemon-reload": bus,
      });
      await uninstallService({ ...base, platform: "linux", run });
      expect(existsSync(unitOf(home))).to.equal(false);
      // And once more, with nothing left to remove.
      await uninstallService({ ...base, platform: "linux", run });
    });

  });
  describe("ExecStart= names paths the unit's sandbox can see", function () {
    const hiddenTmp = (): string => mkdtempSync("/tmp/atsyncd-checkout-"); // PrivateTmp hides /tmp itself, whatever TMPDIR says
    let checkout: string;
    beforeEach(function () {
      checkout = hiddenTmp();
      mkdirSync(join(checkout, "bin"));
      writeFileSync(join(checkout, "bin", "atsyncd"), "#!/usr/bin/env node\n", { mode: 0o755 });
    });
    afterEach(function () {
      rmSync(checkout, { recursive: true, force: true });
    });

    it("refuses an atsyncd under /tmp (PrivateTmp=yes), saying how to install one it can see (the README's command, --allow-scripts included, and a prefix outside /tmp), before writing anything", async function () {
      const bin = join(checkout, "bin", "atsyncd");
      const { run, calls } = recorder(() => join(home, ".config", "systemd", "user", "atsyncd.service"));
      const seen = { dataDir: "/var/lib/atsyncd-test/atsyncd" }; // the data dir where the service sees it: only atsyncd is hidden
      const err = await failure(installService({ ...base, ...seen, execPath: "/usr/bin/node", binPath: bin, sandboxCheck: true, platform: "linux", run }));
      expect(err.code).to.equal(ServiceErrorCode.BadPath);
      expect(err.message).to.equal(
        `The service cannot start atsyncd ${realpathSync(bin)}: the unit's PrivateTmp=yes hides /tmp from it; install atsyncd where it can (\`npm install -g --allow-scripts=better-sqlite3 atsyncd\`, or from a clone \`npm install -g --allow-scripts=better-sqlite3 "$(npm pack --silent)"\`, with npm's prefix outside the hidden directories: \`npm config get prefix\`) and run that atsyncd's install-service.`,
      );
      expect(calls).to.deep.equal([{ line: "systemctl --user show-environment", unitExisted: false }]);
      expect(existsSync(join(home, ".config", "systemd"))).to.equal(false);
      const dry = await installService({ ...base, ...seen, execPath: "/usr/bin/node", binPath: bin, sandboxCheck: true, platform: "linux", run, dryRun: true });
      expect(dry.problems).to.deep.equal([err.message]);
    });

    it("refuses a user service whose data dir is under /tmp (PrivateTmp=yes: an empty one at each start, thrown away at each stop), also through a symlink, before writing anything", async function () {
      const unitPath = join(home, ".config", "systemd", "user", "atsyncd.service");
      const visible = { execPath: "/usr/bin/node", binPath: "/usr/lib/node_modules/atsyncd/bin/atsyncd", sandboxCheck: true, platform: "linux" as const };
      const dataDir = join(checkout, "data"); // under /tmp, as with --data-dir /tmp/… or a HOME there
      const { run, calls } = recorder(() => unitPath);
      const err = await failure(installService({ ...base, ...visible, dataDir, run }));
      expect(err.code).to.equal(ServiceErrorCode.BadPath);
      expect(err.message).to.equal(
        `The service would not see the data dir ${join(realpathSync(checkout), "data")}: the unit's PrivateTmp=yes gives it a /tmp of its own, empty at each start and removed at each stop, so it would run without what is there and lose what it writes; give install-service a data dir outside /tmp and /var/tmp (\`--data-dir DIR\`; the default is ~/.local/share/atsyncd, or under $XDG_DATA_HOME).`,
      );
      expect(calls.map((c) => c.line)).to.deep.equal(["systemctl --user show-environment"]);
      expect(existsSync(unitPath)).to.equal(false);
      expect(existsSync(dataDir)).to.equal(false);
      // A path that does not exist yet is checked where its existing parent leads (~/.local/share a link into /tmp).
      const link = join(home, "share-link");
      symlinkSync(checkout, link);
      expect(resolvedPath(join(link, "atsyncd", "db"))).to.equal(join(realpathSync(checkout), "atsyncd", "db"));
      // A config file there is refused too; a data dir and config file where the service sees them are not.
      const config = await installService({ ...base, ...visible, dataDir: "/var/lib/x/atsyncd", configFile: join(checkout, "config.json"), run, dryRun: true });
      expect(config.problems).to.deep.equal([
        `The service would not see the config file ${join(realpathSync(checkout), "config.json")}: the unit's PrivateTmp=yes gives it a /tmp of its own, empty at each start and removed at each stop, so it would run without what is there and lose what it writes; keep the config file outside /tmp and /var/tmp (the default is ~/.config/atsyncd/config.json, or under $XDG_CONFIG_HOME).`,
      ]);
      const fine = await installService({ ...base, ...visible, dataDir: "/var/lib/x/atsyncd", configFile: "/var/lib/x/config.json", run, dryRun: true });
      expect(fine.problems).to.deep.equal([]);
    });

    it("ExecStart= names the file a symlink leads to, and that file is the one checked", async function () {
      const link = join(home, "atsyncd-link");
      symlinkSync(join(checkout, "bin", "atsyncd"), link);
      const plan = await installService({ ...base, binPath: link, platform: "linux", run: recorder(() => "").run, dryRun: true });
      const write = plan.steps.find((s) => s.kind === "write");
      expect(write?.kind === "write" && write.content).to.contain(` ${realpathSync(join(checkout, "bin", "atsyncd"))} run `);
      const checked = await installService({ ...base, binPath: link, sandboxCheck: true, platform: "linux", run: recorder(() => "").run, dryRun: true });
      expect(checked.problems.join("\n")).to.contain("PrivateTmp=yes hides /tmp");
    });

    it("the system unit also refuses /home and /root (ProtectHome=yes), and a node there", async function () {
      const etc = join(home, "etc");
      const opts = { ...base, platform: "linux" as const, system: true, systemUnitDir: join(etc, "systemd", "system"), sysusersDir: join(etc, "sysusers.d"), sandboxCheck: true };
      const plan = await installService({ ...opts, execPath: "/root/.nvm/versions/node/v22.0.0/bin/node", binPath: "/home/ann/atsyncd/bin/atsyncd", run: recorder(() => "").run, dryRun: true });
      expect(plan.problems).to.have.length(2);
      expect(plan.problems[0]).to.match(/^The service cannot start node \/root\/\.nvm\S+: the unit's ProtectHome=yes hides \/root from it; use a node installed where every service can see it/u);
      expect(plan.problems[1]).to.match(/^The service cannot start atsyncd \/home\/ann\S+: the unit's ProtectHome=yes hides \/home from it; install atsyncd/u);
      // Where nothing is hidden, nothing is said.
      const fine = await installService({ ...opts, execPath: "/usr/bin/node", binPath: "/usr/lib/node_modules/atsyncd/bin/atsyncd", run: recorder(() => "").run, dryRun: true });
      expect(fine.problems).to.deep.equal([]);
    });

    it("the system unit's user atsyncd must be able to enter every directory on the way", function () {
      // mkdtemp makes the directory 0700: another user cannot enter it.
      const inner = mkdtempSync(join(home, "private-"));
      writeFileSync(join(inner, "atsyncd"), "", { mode: 0o755 });
      expect(unreadableByOthers("atsyncd", join(inner, "atsyncd"))).to.equal(`The service runs as the user atsyncd, who cannot enter ${inner} (mode 700) to reach atsyncd ${join(inner, "atsyncd")}`);
      chmodSync(inner, 0o755);
      chmodSync(home, 0o755);
      // Reachable now, unless a directory above the temporary one is closed (then that one is named).
      if (tmpdirOpen()) expect(unreadableByOthers("atsyncd", join(inner, "atsyncd"))).to.equal(undefined);
      else expect(unreadableByOthers("atsyncd", join(inner, "atsyncd"))).to.match(/who cannot enter \//u);
      chmodSync(join(inner, "atsyncd"), 0o700);
      expect(unreadableByOthers("atsyncd", join(inner, "atsyncd"))).to.match(/cannot run atsyncd .* \(mode 700\)$/u);
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
        "systemctl show-environment",
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
