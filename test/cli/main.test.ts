// The CLI's dispatch, usage errors, the not-running path, config and install-service,
// run in-process through main() (no daemon needed).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMain } from "./support/runMain.js";
import { fixturesDir, projectRoot } from "../support/fixtures.js";

const DAEMON_COMMANDS: string[][] = [
  ["status"], ["status", "@alice", "--json"], ["get", "@alice", "phone.wavi"], ["put", "@alice", "phone.wavi", "1"],
  ["rm", "@alice", "phone.wavi"], ["ls", "@alice"], ["sync", "--wait"], ["watch"], ["conflicts"],
  ["conflicts", "resolve", "@alice", "1", "--keep", "local"], ["offboard", "@alice"],
];

describe("atsyncd CLI (in-process)", function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), "atsyncd-cli-"));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it("--help lists one line per command file; no command is a usage error", async function () {
    const files = readdirSync(join(projectRoot, "daemon", "cli", "commands")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));
    const help = await runMain(["--help"]);
    expect(help.code).to.equal(0);
    for (const name of files) expect(help.stdout).to.match(new RegExp(`^  ${name} +\\S`, "mu"));
    const none = await runMain([]);
    expect(none.code).to.equal(2);
    expect(none.stdout).to.include("Usage: atsyncd <command>");
    const unknown = await runMain(["frobnicate"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.equal("atsyncd: unknown command 'frobnicate'. Run `atsyncd --help` for the list.\n");
  });

  it("every command answers --help with its usage", async function () {
    const files = readdirSync(join(projectRoot, "daemon", "cli", "commands")).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));
    for (const name of files) {
      const r = await runMain([name, "--help"]);
      expect(r.code, name).to.equal(0);
      expect(r.stdout, name).to.match(new RegExp(`^Usage:\\s+atsyncd ${name}`, "u"));
    }
  });

  it("an unknown option or a missing operand is exit 2 with the usage", async function () {
    const r = await runMain(["status", "--bogus"]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^atsyncd status: Unknown option '--bogus'\n\nUsage: atsyncd status/u);
    const g = await runMain(["get", "@alice"]);
    expect(g.code).to.equal(2);
    expect(g.stderr).to.match(/^atsyncd get: too few arguments\n\nUsage: atsyncd get/u);
    const p = await runMain(["put", "@alice", "k", "v", "--ttl", "soon"]);
    expect(p.code).to.equal(2);
    expect(p.stderr).to.match(/--ttl must be a whole number/u);
    const dash = await runMain(["put", "@alice", "k", "-5", "--socket", "/nonexistent/s.sock"]);
    expect(dash.code).to.equal(2);
    expect(dash.stderr).to.match(/^atsyncd put: Unknown option '-5'/u);
    // After "--" it is the value, and the command goes on to look for the daemon.
    expect((await runMain(["put", "@alice", "k", "--socket", "/nonexistent/s.sock", "--", "-5"])).code).to.equal(3);
    const k = await runMain(["conflicts", "resolve", "@alice", "1", "--keep", "both"]);
    expect(k.code).to.equal(2);
  });

  it("every command that needs the daemon says it is not running, exit 3", async function () {
    const socket = join(dir, "nobody.sock");
    for (const argv of DAEMON_COMMANDS) {
      const r = await runMain([...argv, "--socket", socket]);
      expect(r.code, argv.join(" ")).to.equal(3);
      expect(r.stderr, argv.join(" ")).to.equal(
        `atsyncd ${argv[0]}: atsyncd is not running: start it with \`atsyncd run\` (or \`systemctl --user start atsyncd\`); nothing answers on ${socket}\n`);
      expect(r.stdout, argv.join(" ")).to.equal("");
    }
    // $ATSYNCD_SOCKET is used when --socket is not given.
    const viaEnv = await runMain(["status"], { ATSYNCD_SOCKET: socket });
    expect(viaEnv.code).to.equal(3);
    expect(viaEnv.stderr).to.include(socket);
  });

  it("onboard checks the .atKeys file before it talks to the daemon", async function () {
    const socket = join(dir, "nobody.sock");
    const missing = await runMain(["onboard", "@alice", "--atkeys", join(dir, "none.atKeys"), "--socket", socket]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/cannot read .*none\.atKeys \(ENOENT\): give the path of the atSign's \.atKeys file/u);
    const corrupt = join(dir, "corrupt.atKeys");
    writeFileSync(corrupt, "{\"selfEncryptionKey\": \"short\", \"@alice\": \"short\"}");
    const bad = await runMain(["onboard", "@alice", "--atkeys", corrupt, "--socket", socket]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include("is not a usable .atKeys file (selfEncryptionKey is not a 32-byte base64 AES key)");
    expect(bad.stderr).to.not.include("short");
    writeFileSync(corrupt, "not json at all");
    expect((await runMain(["onboard", "@alice", "--atkeys", corrupt, "--socket", socket])).stderr).to.include("(the .atKeys file is not valid JSON)");
    const noFile = await runMain(["onboard", "@alice", "--socket", socket]);
    expect(noFile.code).to.equal(2);
    if (existsSync(join(fixturesDir, "atkeys"))) {
      const other = await runMain(["onboard", "@bob", "--atkeys", join(fixturesDir, "atkeys", "alice_demo.atKeys"), "--socket", socket]);
      expect(other.code).to.equal(1);
      expect(other.stderr).to.include("holds the keys of @alice🛠, not @bob");
      // A good file gets as far as the daemon.
      const good = await runMain(["onboard", "@alice🛠", "--atkeys", join(fixturesDir, "atkeys", "alice_demo.atKeys"), "--socket", socket]);
      expect(good.code).to.equal(3);
    }
  });

  it("config path, set, get and unset edit the file with the daemon's validation", async function () {
    const dataDir = join(dir, "data");
    const file = join(dataDir, "config.json");
    const path = await runMain(["config", "path", "--data-dir", dataDir]);
    expect(path).to.deep.equal({ code: 0, stdout: `${file}\n`, stderr: "" });
    const defaults = await runMain(["config", "get", "--data-dir", dataDir]);
    expect(defaults.code).to.equal(0);
    expect(JSON.parse(defaults.stdout)).to.deep.include({ logLevel: "info", syncSchedule: "*/5 * * * *", rootServer: "root.atsign.org:64", conflictPolicy: "local-wins" });
    expect(existsSync(file)).to.equal(false);

    const set = await runMain(["config", "set", "syncSchedule", "*/10 * * * *", "--data-dir", dataDir]);
    expect(set.code).to.equal(0);
    expect(set.stdout).to.equal(`syncSchedule is now "*/10 * * * *" in ${file}; restart atsyncd for it to take effect.\n`);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(await runMain(["config", "set", "atSigns.@alice🛠.namespaces", "[\"wavi\"]", "--data-dir", dataDir])).to.have.property("code", 0);
    expect(JSON.parse(readFileSync(file, "utf8"))).to.deep.equal({ syncSchedule: "*/10 * * * *", atSigns: { "@alice🛠": { namespaces: ["wavi"] } } });

    expect((await runMain(["config", "get", "syncSchedule", "--data-dir", dataDir])).stdout).to.equal("*/10 * * * *\n");
    expect((await runMain(["config", "get", "syncSchedule", "--json", "--data-dir", dataDir])).stdout).to.equal("\"*/10 * * * *\"\n");
    expect((await runMain(["config", "get", "atSigns.@alice🛠.namespaces", "--data-dir", dataDir])).stdout).to.equal("[\n  \"wavi\"\n]\n");
    // An atSign without overrides gets the defaults.
    expect((await runMain(["config", "get", "atSigns.@bob.syncSchedule", "--data-dir", dataDir])).stdout).to.equal("*/10 * * * *\n");

    const before = readFileSync(file, "utf8");
    const bad = await runMain(["config", "set", "syncSchedule", "every minute", "--data-dir", dataDir]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal("atsyncd config: config field \"syncSchedule\" is not a valid cron expression: \"every minute\"\n");
    expect((await runMain(["config", "set", "conflictPolicy", "coin-toss", "--data-dir", dataDir])).code).to.equal(2);
    expect((await runMain(["config", "set", "colour", "blue", "--data-dir", dataDir])).stderr).to.match(/"colour" is not a config field/u);
    expect(readFileSync(file, "utf8")).to.equal(before);

    expect((await runMain(["config", "unset", "atSigns.@alice🛠.namespaces", "--data-dir", dataDir])).code).to.equal(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).to.deep.equal({ syncSchedule: "*/10 * * * *" });
    expect((await runMain(["config", "set", "syncSchedule", "off", "--data-dir", dataDir])).stdout).to.match(/^syncSchedule is now "off"/u);
    expect((await runMain(["config", "frob", "--data-dir", dataDir])).code).to.equal(2);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{");
    const unreadable = await runMain(["config", "get", "--config", broken]);
    expect(unreadable.code).to.equal(1);
    expect(unreadable.stderr).to.include("is not valid JSON");
  });

  it("install-service --dry-run prints the plan for a fake HOME and changes nothing", async function () {
    if (process.platform !== "linux" && process.platform !== "darwin") this.skip();
    const home = join(dir, "home");
    const r = await runMain(["install-service", "--dry-run", "--json"], { HOME: home, XDG_DATA_HOME: join(home, "data") });
    const plan = JSON.parse(r.stdout) as {
      dryRun: boolean; manager: string; unitPath: string; problems: string[]; steps: Array<{ kind: string; path?: string; content?: string; cmd?: string; args?: string[] }>;
    };
    // A dry run exits as the install would: 1 when it found why it would fail (here: maybe no user manager, a checkout under /tmp).
    expect(r.code, r.stderr).to.equal(plan.problems.length > 0 ? 1 : 0);
    expect(plan.dryRun).to.equal(true);
    if (process.platform === "linux") {
      expect(plan.manager).to.equal("systemd-user");
      expect(plan.unitPath).to.equal(join(home, ".config", "systemd", "user", "atsyncd.service"));
      const unit = plan.steps.find((s) => s.kind === "write")?.content ?? "";
      expect(unit).to.include(`ExecStart=${realpathSync(process.execPath)} ${realpathSync(join(projectRoot, "bin", "atsyncd"))} run --data-dir ${join(home, "data", "atsyncd")}`);
      const manager = spawnSync("systemctl", ["--user", "show-environment"]).status === 0;
      expect(plan.problems.some((p) => p.startsWith("No systemd user manager runs for you")), plan.problems.join("\n")).to.equal(!manager);
      expect(plan.steps.filter((s) => s.kind === "run").map((s) => [s.cmd, ...(s.args ?? [])].join(" ")))
        .to.deep.equal(["systemctl --user daemon-reload", "systemctl --user enable --now atsyncd.service"]);
    }
    expect(existsSync(home)).to.equal(false);
    const text = await runMain(["install-service", "--dry-run"], { HOME: home });
    expect(text.stdout).to.match(/^Would install the (systemd user service|launchd LaunchAgent) \(/u);
    const un = await runMain(["uninstall-service", "--dry-run"], { HOME: home });
    expect(un.code).to.equal(0);
    expect(un.stdout).to.match(/^Would uninstall /u);
    expect(existsSync(home)).to.equal(false);
  });

  it("the installed user service reads the config file `atsyncd config` edits and `atsyncd run` reads, not a config.json in its data dir", async function () {
    if (process.platform !== "linux") this.skip();
    const home = join(dir, "home-config");
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, "cfg"), XDG_DATA_HOME: join(home, "data") };
    // With no daemon running, `config` edits the default file: the one a plain `atsyncd run` reads.
    const path = await runMain(["config", "path", "--socket", join(dir, "none.sock")], env);
    expect(path.stdout).to.equal(`${join(home, "cfg", "atsyncd", "config.json")}\n`);
    const r = await runMain(["install-service", "--dry-run", "--json"], env);
    const plan = JSON.parse(r.stdout) as { steps: Array<{ kind: string; content?: string }> };
    const unit = plan.steps.find((s) => s.kind === "write")?.content ?? "";
    // `run --data-dir D` alone would read D/config.json instead, and ignore every setting made.
    expect(unit).to.match(new RegExp(` run --data-dir ${join(home, "data", "atsyncd")} --config ${join(home, "cfg", "atsyncd", "config.json")}$`, "mu"));
    // --system has a data dir of its own: a --data-dir would be ignored, so it is refused.
    const system = await runMain(["install-service", "--system", "--dry-run", "--data-dir", join(home, "d")], env);
    expect(system.code).to.equal(2);
    expect(system.stderr).to.contain("--system keeps its data in /var/lib/atsyncd");
  });
});
