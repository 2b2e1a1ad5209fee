import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  LAUNCHD_PLIST_FILE,
  SYSTEM_UNIT_TEMPLATE,
  USER_UNIT_FILE,
  findTemplatesRoot,
  renderLaunchdPlist,
  renderSystemUnit,
  renderUserUnit,
  setUnitKey,
  systemdWord,
} from "../../daemon/service/renderUnits.js";
import { installService, type ServiceOptions } from "../../daemon/service/installService.js";
import { ServiceError } from "../../daemon/service/ServiceError.js";
import { projectRoot } from "../support/fixtures.js";
import { parsePlist, type PlistValue } from "./plist.js";

const root = findTemplatesRoot();
const userTemplate = readFileSync(join(root, "systemd", USER_UNIT_FILE), "utf8");
const systemTemplate = readFileSync(join(root, "systemd", SYSTEM_UNIT_TEMPLATE), "utf8");
const plistTemplate = readFileSync(join(root, "launchd", LAUNCHD_PLIST_FILE), "utf8");
const binPath = join(projectRoot, "bin", "atsyncd");

/** A dry run of install-service for this node and this checkout's bin/atsyncd (which may live under /tmp here: no sandbox check). */
function planOptions(dir: string): Omit<ServiceOptions, "platform"> {
  const home = join(dir, "home");
  return {
    home, execPath: process.execPath, binPath, dataDir: join(home, ".local", "share", "atsyncd"), configFile: join(home, ".config", "my atsyncd", "config.json"),
    uid: 501, dryRun: true, sandboxCheck: false,
    run: async () => ({ code: 0, stdout: "", stderr: "" }),
  };
}

function haveSystemdAnalyze(): boolean {
  return spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" }).status === 0;
}

describe("service files", function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-units-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs systemd-analyze verify on a copy named `name`; resolves with everything it printed. */
  function verify(name: string, content: string, user: boolean): { status: number | null; output: string } {
    const sub = mkdtempSync(join(dir, "v-"));
    const runtime = join(sub, "runtime");
    mkdirSync(runtime, { mode: 0o700 });
    const path = join(sub, name);
    writeFileSync(path, content);
    const args = user ? ["--user", "verify", path] : ["verify", path];
    const r = spawnSync("systemd-analyze", args, {
      encoding: "utf8",
      env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: "0" },
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  }

  describe("systemd units pass `systemd-analyze verify` with no warning", function () {
    before(function () {
      if (!haveSystemdAnalyze()) {
        // .ci/run installs it: in CI its absence is a failure, not a reason to check nothing.
        if (process.env.CI === "true") throw new Error("systemd-analyze is not installed, though .ci/run installs it");
        process.stdout.write("      (skipped: systemd-analyze is not installed here)\n");
        this.skip();
      }
    });

    it("the check itself catches a warning", function () {
      const broken = userTemplate.replace("[Service]\n", "[Service]\nNoSuchSetting=1\n");
      const r = verify(USER_UNIT_FILE, broken, true);
      expect(r.output).to.contain("NoSuchSetting");
    });

    it("the shipped user unit and system unit", function () {
      expect(verify(USER_UNIT_FILE, userTemplate, true)).to.deep.equal({ status: 0, output: "" });
      expect(verify(USER_UNIT_FILE, systemTemplate, false)).to.deep.equal({ status: 0, output: "" });
    });

    it("the rendered user unit, also for a data dir with spaces, % and $", function () {
      for (const dataDir of [join(dir, "data"), join(dir, "my data %h $HOME \"q\"")]) {
        const unit = renderUserUnit(userTemplate, { execPath: process.execPath, binPath, dataDir });
        expect(verify(USER_UNIT_FILE, unit, true), dataDir).to.deep.equal({ status: 0, output: "" });
      }
    });

    it("the rendered system unit", function () {
      const unit = renderSystemUnit(systemTemplate, { execPath: process.execPath, binPath });
      expect(verify(USER_UNIT_FILE, unit, false)).to.deep.equal({ status: 0, output: "" });
    });

    it("every unit install-service would write, with this node and this atsyncd", async function () {
      for (const system of [false, true]) {
        const plan = await installService({ ...planOptions(dir), platform: "linux", system });
        const units = plan.steps.flatMap((s) => (s.kind === "write" && s.path.endsWith(".service") ? [s.content] : []));
        expect(units, `system: ${system}`).to.have.length(1);
        expect(units[0]).to.contain(`ExecStart=${realpathSync(process.execPath)} ${realpathSync(binPath)} run`);
        // The user unit names the config file (quoted: it has a space); the system unit has its own.
        if (!system) expect(units[0]).to.contain(` --config "${join(dir, "home", ".config", "my atsyncd", "config.json")}"\n`);
        expect(verify(USER_UNIT_FILE, units[0] ?? "", !system), `system: ${system}`).to.deep.equal({ status: 0, output: "" });
      }
    });
  });

  describe("rendering", function () {
    it("points ExecStart at node and atsyncd, and ReadWritePaths at the data dir", function () {
      const unit = renderUserUnit(userTemplate, { execPath: "/opt/node/bin/node", binPath: "/opt/atsyncd/bin/atsyncd", dataDir: "/home/a/.local/share/atsyncd" });
      expect(unit).to.match(/^ExecStart=\/opt\/node\/bin\/node \/opt\/atsyncd\/bin\/atsyncd run --data-dir \/home\/a\/\.local\/share\/atsyncd$/mu);
      expect(unit).to.match(/^ReadWritePaths=-\/home\/a\/\.local\/share\/atsyncd -%h\/\.config\/atsyncd -%t\/atsyncd$/mu);
      for (const line of ["Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=read-only"]) {
        expect(unit.split("\n"), line).to.include(line);
      }
      expect(unit).to.not.contain("/usr/bin/env atsyncd");
    });

    it("escapes specifiers, variables and quotes the way systemd reads them", function () {
      expect(systemdWord("/a/b", true)).to.equal("/a/b");
      expect(systemdWord("/a/100%", false)).to.equal("/a/100%%");
      expect(systemdWord("/a/$HOME", true)).to.equal("/a/$$HOME");
      expect(systemdWord("/a/$HOME", false)).to.equal("/a/$HOME");
      expect(systemdWord("/my dir/x", true)).to.equal('"/my dir/x"');
      expect(systemdWord('/a"b\\c', true)).to.equal('"/a\\"b\\\\c"');
    });

    it("the system unit runs with fixed data dir and socket as the atsyncd user", function () {
      const unit = renderSystemUnit(systemTemplate, { execPath: "/usr/bin/node", binPath: "/usr/lib/atsyncd/bin/atsyncd" });
      expect(unit).to.match(/^ExecStart=\/usr\/bin\/node \/usr\/lib\/atsyncd\/bin\/atsyncd run --data-dir \/var\/lib\/atsyncd --socket \/run\/atsyncd\/atsyncd\.sock$/mu);
      expect(unit.split("\n")).to.include.members(["User=atsyncd", "StateDirectory=atsyncd", "RuntimeDirectory=atsyncd", "Restart=on-failure"]);
    });

    it("refuses relative paths and line breaks, and templates without exactly one key", function () {
      expect(() => renderUserUnit(userTemplate, { execPath: "node", binPath, dataDir: "/d" })).to.throw(ServiceError, /absolute/u);
      expect(() => renderUserUnit(userTemplate, { execPath: process.execPath, binPath, dataDir: "/d\nExecStartPre=/bin/sh" })).to.throw(ServiceError, /line break/u);
      expect(() => setUnitKey("[Service]\n", "ExecStart", "/x")).to.throw(ServiceError, /0 ExecStart=/u);
    });
  });

  describe("launchd plist", function () {
    it("the plist install-service would write parses, and names this node and atsyncd", async function () {
      const plan = await installService({ ...planOptions(dir), platform: "darwin" });
      const write = plan.steps.find((s) => s.kind === "write");
      const v = parsePlist(write?.kind === "write" ? write.content : "") as Record<string, PlistValue>;
      const args = v.ProgramArguments as string[];
      expect(args.slice(0, 3)).to.deep.equal([realpathSync(process.execPath), realpathSync(binPath), "run"]);
      for (const file of args.slice(0, 2)) expect(statSync(file).mode & 0o111, file).to.not.equal(0);
      expect(v.StandardOutPath).to.equal(join(dir, "home", "Library", "Logs", "atsyncd", "atsyncd.log"));
    });

    it("the shipped template is a well-formed plist", function () {
      const v = parsePlist(plistTemplate) as Record<string, PlistValue>;
      expect(v.Label).to.equal("org.atsign.atsyncd");
    });

    it("renders to a LaunchAgent with KeepAlive, RunAtLoad and log paths", function () {
      const dataDir = "/Users/a/Library/Application Support/atsyncd";
      const plist = renderLaunchdPlist(plistTemplate, { execPath: "/opt/homebrew/bin/node", binPath: "/opt/atsyncd/bin/atsyncd", dataDir, logDir: "/Users/a/Library/Logs/atsyncd" });
      const v = parsePlist(plist) as Record<string, PlistValue>;
      expect(v.Label).to.equal("org.atsign.atsyncd");
      expect(v.ProgramArguments).to.deep.equal(["/opt/homebrew/bin/node", "/opt/atsyncd/bin/atsyncd", "run", "--data-dir", dataDir]);
      expect(v.RunAtLoad).to.equal(true);
      expect(v.KeepAlive).to.deep.equal({ SuccessfulExit: false });
      expect(v.StandardOutPath).to.equal("/Users/a/Library/Logs/atsyncd/atsyncd.log");
      expect(v.StandardErrorPath).to.equal("/Users/a/Library/Logs/atsyncd/atsyncd.err.log");
      expect(plist).to.not.match(/@[A-Z_]+@<\/string>/u);
    });

    it("escapes XML in paths so they round-trip", function () {
      const dataDir = "/Users/a&b/<data> \"x\" 'y' 🛠";
      const plist = renderLaunchdPlist(plistTemplate, { execPath: "/n", binPath: "/b", dataDir, logDir: "/l" });
      const v = parsePlist(plist) as Record<string, PlistValue>;
      expect((v.ProgramArguments as string[])[4]).to.equal(dataDir);
    });

    it("the strict parser rejects broken plists", function () {
      const good = renderLaunchdPlist(plistTemplate, { execPath: "/n", binPath: "/b", dataDir: "/d", logDir: "/l" });
      expect(() => parsePlist(good.replace("</array>", ""))).to.throw();
      expect(() => parsePlist(good.replace("<key>RunAtLoad</key>", ""))).to.throw();
      expect(() => parsePlist(good.replace("/d", "/a&b"))).to.throw(/bare &/u);
      expect(() => parsePlist(good.replace("<true/>", "<maybe/>"))).to.throw();
    });

    it("is also accepted by Python's plistlib where Python is installed", function () {
      const plist = renderLaunchdPlist(plistTemplate, { execPath: "/n", binPath: "/b", dataDir: "/d&<x>", logDir: "/l" });
      const r = spawnSync("python3", ["-c", "import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))"], { input: plist, encoding: "utf8" });
      if (r.error || r.status === null) {
        process.stdout.write("      (skipped: python3 is not installed here)\n");
        this.skip();
      }
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal(parsePlist(plist));
    });
  });
});
