// The real `bin/atsyncd` as a child process against a real daemon (test/support/daemon.ts)
// and a dev-server serving the demo atSigns of ../shared/fixtures.
import { expect } from "chai";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { atsyncdBin, requireBuild, startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { projectRoot } from "../support/fixtures.js";
import { runCli, watchCli, type WatchProcess } from "./support/cli.js";
import { ALICE, BOB, demoAtKeys, useDemoServer } from "./support/demoServer.js";

describe("atsyncd CLI against a daemon (e2e)", function () {
  this.timeout(60_000);
  const server = useDemoServer(this);
  let d: TestDaemon;
  let socket: string;
  const watchers: WatchProcess[] = [];
  const cli = (args: string[], stdin?: string) => runCli([...args, "--socket", socket], stdin !== undefined ? { stdin } : {});
  const keyFile = (): Record<string, unknown> =>
    (JSON.parse(readFileSync(join(d.dataDir, "keys.json"), "utf8")) as { atSigns: Record<string, unknown> }).atSigns;

  before(async function () {
    requireBuild();
    d = await startTestDaemon({ devServer: server().dev });
    socket = d.socketPath;
  });
  after(async function () {
    for (const w of watchers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await d?.dispose();
  });

  it("status with nothing onboarded: exit 4 in both forms", async function () {
    const human = await cli(["status"]);
    expect(human.code).to.equal(4);
    expect(human.stdout).to.match(/^atsyncd \d+\.\d+\.\d+, pid \d+, up \S+, socket \S+\nNo atSign is onboarded: onboard one with `atsyncd onboard @atSign --atkeys FILE`\.\n$/u);
    const json = await cli(["status", "--json"]);
    expect(json.code).to.equal(4);
    expect(JSON.parse(json.stdout)).to.deep.equal([]);
  });

  it("onboards the demo @alice🛠 from its .atKeys file and says, loudly, that the keys are in a file", async function () {
    const r = await cli(["onboard", ALICE, "--atkeys", demoAtKeys("alice")]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`Onboarded ${ALICE}: its atServer accepted the keys. It is syncing now (\`atsyncd status\`).\n`);
    expect(r.stderr).to.match(new RegExp(`^WARNING: the keys of ${ALICE} are NOT in an OS keychain: `, "u"));
    expect(Object.keys(keyFile())).to.deep.equal([ALICE]);
    expect(statSync(join(d.dataDir, "keys.json")).mode & 0o777).to.equal(0o600);
    await waitFor("alice online", async () => (await d.client.status(ALICE))[0]?.state.kind === "online");
  });

  it("refuses a second onboarding, keys the atServer rejects, and an unknown atSign, storing nothing", async function () {
    const again = await cli(["onboard", ALICE, "--atkeys", demoAtKeys("alice")]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.equal(`atsyncd onboard: ${ALICE} is already onboarded; to replace its keys run \`atsyncd offboard ${ALICE}\` first\n`);

    const rejected = await cli(["onboard", BOB, "--atkeys", server().aliceKeysAs(BOB)]);
    expect(rejected.code).to.equal(1);
    expect(rejected.stderr).to.match(new RegExp(`^atsyncd onboard: the atServer of ${BOB} refused these keys \\(PKAM login failed, AT0401\\): .*export its current \\.atKeys file and onboard again\\n$`, "u"));
    const unknown = await cli(["onboard", "@carol🛠", "--atkeys", server().aliceKeysAs("@carol🛠")]);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/knows no atServer for @carol🛠: check the spelling of the atSign and that it is activated\n$/u);

    const corrupt = join(d.dir, "corrupt.atKeys");
    const fields = JSON.parse(readFileSync(demoAtKeys("bob"), "utf8")) as Record<string, string>;
    writeFileSync(corrupt, JSON.stringify({ ...fields, aesEncryptPrivateKey: (fields.aesEncryptPrivateKey ?? "").slice(0, 40) }));
    const bad = await cli(["onboard", BOB, "--atkeys", corrupt]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.equal(`atsyncd onboard: ${corrupt} is not a usable .atKeys file (aesEncryptPrivateKey does not decrypt to an RSA private key (wrong selfEncryptionKey or corrupt file)): use the file exported when ${BOB} was activated, unchanged\n`);

    expect(Object.keys(keyFile())).to.deep.equal([ALICE]);
    const bobStatus = await cli(["status", BOB]);
    expect(bobStatus.code).to.equal(4);
    expect(bobStatus.stderr).to.equal(`atsyncd status: ${BOB} is not onboarded: onboard it with \`atsyncd onboard ${BOB} --atkeys FILE\`\n`);
    const get = await cli(["get", "@carol🛠", "phone.wavi"]);
    expect(get.code).to.equal(4);
  });

  it("put, get, ls and rm through the CLI, with the value from an argument or stdin", async function () {
    const put = await cli(["put", ALICE, "phone.wavi", "+1 555 0100 ☎"]);
    expect(put.code, put.stderr).to.equal(0);
    expect(put.stdout).to.equal(`Stored phone.wavi${ALICE}; it syncs to the atServer in the background.\n`);
    expect((await d.client.get(ALICE, `phone.wavi${ALICE}`)).value).to.equal("+1 555 0100 ☎");

    const fromStdin = await cli(["put", ALICE, "note.wavi", "-", "--ttr=-1"], "line one\nline two\n");
    expect(fromStdin.code, fromStdin.stderr).to.equal(0);
    const get = await cli(["get", ALICE, "note.wavi"]);
    expect(get).to.include({ code: 0, stdout: "line one\nline two\n" });
    const json = await cli(["get", ALICE, `note.wavi${ALICE}`, "--json"]);
    const parsed = JSON.parse(json.stdout) as { key: string; value: string; metadata: { ttr?: number } };
    expect(parsed.key).to.equal(`note.wavi${ALICE}`);
    expect(parsed.value).to.equal("line one\nline two");
    expect(parsed.metadata.ttr).to.equal(-1);

    const pub = await cli(["put", ALICE, "public:location.wavi", "Lisbon"]);
    expect(pub.code).to.equal(0);
    const ls = await cli(["ls", ALICE, "\\.wavi@"]);
    expect(ls.code).to.equal(0);
    expect(ls.stdout.trim().split("\n").sort()).to.deep.equal([`note.wavi${ALICE}`, `phone.wavi${ALICE}`, `public:location.wavi${ALICE}`]);
    const lsJson = await cli(["ls", ALICE, "^phone", "--json"]);
    expect(JSON.parse(lsJson.stdout)).to.deep.equal([`phone.wavi${ALICE}`]);

    const rm = await cli(["rm", ALICE, "public:location.wavi"]);
    expect(rm).to.include({ code: 0, stdout: `Deleted public:location.wavi${ALICE}.\n` });
    const gone = await cli(["get", ALICE, "public:location.wavi"]);
    expect(gone.code).to.equal(1);
    expect(gone.stderr).to.match(new RegExp(`; \`atsyncd ls ${ALICE}\` lists its keys\\n$`, "u"));
    const badKey = await cli(["put", ALICE, "phone.wavi@someone", "x"]);
    expect(badKey.code).to.equal(2);
    expect(badKey.stderr).to.include(`belongs to @someone, not ${ALICE}`);
  });

  it("scenario: a key named with terminal escapes (as another atSign's shared key may be) is listed by ls with them spelled out; --json gives it exactly", async function () {
    const hostile = `x\u001b]0;pwned\u0007\u001b[2j.esc${ALICE}`;
    await d.client.put(ALICE, hostile, "v");
    const ls = await cli(["ls", ALICE, "\\.esc@"]);
    expect(ls.code, ls.stderr).to.equal(0);
    expect(ls.stdout).to.not.match(/\p{Cc}(?<!\n)/u);
    expect(ls.stdout).to.equal(`x\\u{1b}]0;pwned\\u{7}\\u{1b}[2j.esc${ALICE}\n`);
    const json = await cli(["ls", ALICE, "\\.esc@", "--json"]);
    expect(JSON.parse(json.stdout)).to.deep.equal([hostile]);
    await d.client.delete(ALICE, hostile);
  });

  it("sync --wait returns in sync; status prints one line and --json exactly the daemon's array", async function () {
    const sync = await cli(["sync", ALICE, "--wait"]);
    expect(sync.code, sync.stderr).to.equal(0);
    expect(sync.stderr).to.match(new RegExp(`^${ALICE}: sync completed in `, "u"));
    // The statuses, without the key-file warning (status gives that).
    expect(sync.stdout).to.match(new RegExp(`^${ALICE}  in sync {10}synced (just now|\\ds ago)  0 pending  0 conflicts  commit (\\d+)/\\2\\n$`, "u"));

    const status = await cli(["status"]);
    expect(status.code).to.equal(0);
    const [head, line, warning, end] = status.stdout.split("\n");
    expect(head).to.match(new RegExp(`^atsyncd \\d+\\.\\d+\\.\\d+, pid ${d.proc.pid}, up \\S+, socket ${socket.replace(/[.]/gu, "\\.")}$`, "u"));
    expect(line).to.match(new RegExp(`^${ALICE}  in sync {10}synced `, "u"));
    expect(warning).to.equal(`warning: the keys of ${ALICE} are in a file, not in the OS keychain; \`atsyncd doctor\` says why and what to do`);
    expect(end).to.equal("");

    const before = await d.client.status();
    const json = await cli(["status", "--json"]);
    const after = await d.client.status();
    expect(json.code).to.equal(0);
    expect([before, after]).to.deep.include(JSON.parse(json.stdout));
    const one = await cli(["status", ALICE, "--json"]);
    expect((JSON.parse(one.stdout) as Array<{ atSign: string }>).map((s) => s.atSign)).to.deep.equal([ALICE]);
  });

  it("sync --wait on a terminal redraws a progress line in place, then prints the status", async function () {
    if (!existsSync("/usr/bin/script")) {
      process.stdout.write("      (skipped: util-linux `script` is needed to give the CLI a terminal)\n");
      this.skip();
    }
    const command = [process.execPath, atsyncdBin, "sync", ALICE, "--wait", "--socket", socket].map((w) => `'${w}'`).join(" ");
    const r = await runCli([], { wrap: ["/usr/bin/script", "-qfec", command, "/dev/null"], bare: true });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.stdout).to.include(`\r${ALICE} syncing…\x1b[K`);
    // The progress line is erased before the status is printed.
    expect(r.stdout).to.match(new RegExp(`\\r\\x1b\\[K${ALICE}  in sync +synced `, "u"));
  });

  it("watch streams a snapshot, then the key.changed of a put, and exits 0 on Ctrl-C", async function () {
    const w = watchCli(["watch", ALICE, "--json", "--socket", socket]);
    watchers.push(w);
    const snapshot = JSON.parse(await w.line((l) => l.includes("\"snapshot\""))) as { kind: string; statuses: Array<{ atSign: string }> };
    expect(snapshot.statuses.map((s) => s.atSign)).to.deep.equal([ALICE]);
    expect((await cli(["put", ALICE, "watched.wavi", "seen"])).code).to.equal(0);
    const changed = JSON.parse(await w.line((l) => l.includes("\"key.changed\""))) as Record<string, unknown>;
    expect(changed).to.include({ kind: "key.changed", atSign: ALICE, key: `watched.wavi${ALICE}`, origin: "local", op: "update" });
    w.child.kill("SIGINT");
    const exit = await w.exited;
    expect(exit.code, exit.stderr).to.equal(0);

    const human = watchCli(["watch", "--kind", "key.changed", "--socket", socket]);
    watchers.push(human);
    await human.line((l) => l.includes(" now: "));
    expect((await cli(["rm", ALICE, "watched.wavi"])).code).to.equal(0);
    // Local time with its offset (this machine's zone, whatever it is).
    expect(await human.line((l) => l.includes(" delete "))).to.match(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d ${ALICE} delete watched\\.wavi${ALICE} \\(local\\)$`, "u"));
    human.child.kill("SIGINT");
    expect((await human.exited).code).to.equal(0);
  });

  it("conflicts: none listed (exit 0), an unknown id is a clear error", async function () {
    const list = await cli(["conflicts"]);
    expect(list).to.include({ code: 0, stdout: "No conflicts.\n" });
    expect(JSON.parse((await cli(["conflicts", ALICE, "--json"])).stdout)).to.deep.equal([]);
    const resolve = await cli(["conflicts", "resolve", ALICE, "999", "--keep", "local"]);
    expect(resolve.code).to.equal(1);
    expect(resolve.stderr).to.match(new RegExp(`\`atsyncd conflicts ${ALICE}\` lists the open ones\\n$`, "u"));
  });

  it("config reads the daemon's own config file", async function () {
    const r = await runCli(["config", "get", "rootServer", "--data-dir", d.dataDir]);
    expect(r).to.include({ code: 0, stdout: `${server().dev.info.root}\n` });
  });

  it("doctor with the daemon running: key store, daemon, atServer and clock", async function () {
    const r = await runCli(["doctor", "--json", "--socket", socket, "--data-dir", d.dataDir, "--key-store", "file"]);
    const { checks } = JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; message: string }> };
    const by = (name: string) => checks.find((c) => c.name === name);
    expect(by("key store")?.status).to.equal("ok");
    expect(by("key store")?.message).to.include(`holds ${ALICE}`);
    expect(by("daemon")).to.deep.include({ status: "ok", message: `atsyncd ${d.client.daemonVersion} answers on ${socket}` });
    expect(by(`${ALICE} atServer`)?.status).to.equal("ok");
    expect(by(`${ALICE} atServer`)?.message).to.match(new RegExp(`^root ${server().dev.info.root} → 127\\.0\\.0\\.1:\\d+, TLS ok \\(\\d+ ms\\)$`, "u"));
    expect(by("clock")?.status).to.equal("ok");
    expect(r.code, r.stdout).to.equal(0);
    const human = await runCli(["doctor", "--socket", socket, "--data-dir", d.dataDir, "--key-store", "file"]);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.match(/^ok {4}key store/u);
    expect(human.stdout.trimEnd().split("\n").pop()).to.equal("Everything looks fine.");
  });

  it("doctor without a daemon says how to start it, exit 5", async function () {
    const r = await runCli(["doctor", "--socket", join(d.dir, "none.sock"), "--data-dir", d.dataDir, "--key-store", "file"]);
    expect(r.code).to.equal(5);
    expect(r.stdout).to.include(`FAIL  daemon`);
    expect(r.stdout).to.include("→ start it with `atsyncd run`");
    // Without the daemon the key store names the atSigns, so their atServers are still checked.
    expect(r.stdout).to.match(new RegExp(`ok +${ALICE} atServer +root `, "u"));
  });

  it("a socket the user may not open: one sentence, exit 1", async function () {
    if (process.getuid?.() !== 0 || !existsSync("/usr/bin/setpriv")) {
      process.stdout.write("      (skipped: needs root and setpriv to run the CLI as another user; root itself bypasses socket permissions)\n");
      this.skip();
    }
    const asNobody = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];
    // The CLI runs from this clone: a clone nobody may enter (under /root) cannot be tested so.
    if (spawnSync(asNobody[0]!, [...asNobody.slice(1), "/usr/bin/test", "-r", join(projectRoot, "dist", "daemon", "cli", "main.js")]).status !== 0) {
      // Not a copy elsewhere: the CLI needs the clone's node_modules too (~200 MB), for one check.
      process.stdout.write(`      (skipped: the user nobody cannot read ${projectRoot}: the clone is under a directory other users cannot enter, such as /root or a 0700 home, so the CLI cannot run as nobody from it; clone under /tmp or /srv to run this test)\n`);
      this.skip();
    }
    const r = await runCli(["status", "--socket", socket], { wrap: asNobody });
    expect(r.code, r.stderr).to.equal(1);
    // The client looks before it connects: the socket's directory is root's, so it refuses to send.
    expect(r.stderr).to.equal(`atsyncd status: the atsyncd socket ${socket} is in ${dirname(socket)}, which belongs to uid 0, not you: refusing to send\n`);
  });

  it("offboard removes the keys; then the atSign is not onboarded", async function () {
    const r = await cli(["offboard", ALICE]);
    expect(r).to.include({ code: 0, stdout: `Offboarded ${ALICE}: it no longer syncs and its keys are gone from the key store.\n` });
    expect(keyFile()).to.deep.equal({});
    expect((await cli(["get", ALICE, "phone.wavi"])).code).to.equal(4);
    expect((await cli(["offboard", ALICE])).code).to.equal(4);
  });
});
