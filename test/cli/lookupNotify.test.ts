// `atsyncd lookup` and `atsyncd notify` (issue 11) as a user runs them: the real bin/atsyncd as a
// child process against a real daemon and a dev-server over TLS (fresh @alice🛠 and @bob🛠).
import { expect } from "chai";
import { ALICE, BOB, useDevServer } from "../e2e/devServer.js";
import { requireBuild, startTestDaemon, type TestDaemon } from "../support/daemon.js";
import { runCli } from "./support/cli.js";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

describe("atsyncd lookup and notify against a daemon (e2e)", function () {
  this.timeout(60_000);
  const server = useDevServer(this, [ALICE, BOB]);
  let d: TestDaemon;
  const cli = (args: string[]) => runCli([...args, "--socket", d.socketPath]);

  before(async function () {
    requireBuild();
    d = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE, BOB] });
    await d.client.put(BOB, `public:name.wavi${BOB}`, "Bob 🛠", { ttr: -1 });
    await d.client.put(BOB, `public:brief.wavi${BOB}`, "soon stale", { ttr: 1 });
    await d.client.put(BOB, `${ALICE}:note.wavi${BOB}`, "see you at 6");
    await d.client.syncNow({ atSign: BOB, wait: true });
  });
  after(async function () {
    await d?.dispose();
  });

  it("lookup prints the value; --json prints exactly {key, value, metadata, source, ageMs, stale}", async function () {
    const r = await cli(["lookup", ALICE, `public:name.wavi${BOB}`]);
    expect(r).to.include({ code: 0, stdout: "Bob 🛠\n", stderr: "" });
    const shared = await cli(["lookup", ALICE, `note.wavi${BOB}`]);
    expect(shared).to.include({ code: 0, stdout: "see you at 6\n", stderr: "" });
    const json = await cli(["lookup", ALICE, `public:name.wavi${BOB}`, "--json"]);
    expect(json.code, json.stderr).to.equal(0);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed)).to.deep.equal(["key", "value", "metadata", "source", "ageMs", "stale"]);
    expect(parsed).to.include({ key: `public:name.wavi${BOB}`, value: "Bob 🛠", source: "cache", stale: false });
    expect(parsed["ageMs"]).to.be.a("number");
    expect(parsed["metadata"]).to.include({ ttr: -1, isEncrypted: false });
  });

  it("lookup of a key shared with another atSign exits 2 (the daemon refuses it as invalid); a missing key exits 1 without the ls hint", async function () {
    const other = await cli(["lookup", ALICE, `@carol:note.wavi${BOB}`]);
    expect(other.code).to.equal(2);
    expect(other.stdout).to.equal("");
    expect(other.stderr).to.equal(`atsyncd lookup: @carol:note.wavi${BOB} is shared with @carol, not with ${ALICE}: only its recipient can look it up\n`);
    const missing = await cli(["lookup", ALICE, `public:nothing.wavi${BOB}`]);
    expect(missing).to.include({ code: 1, stdout: "", stderr: `atsyncd lookup: ${BOB} has no key public:nothing.wavi${BOB}\n` });
  });

  it("notify prints the id and its status, --wait once delivered, --json exactly {notificationId, status}", async function () {
    const waited = await cli(["notify", ALICE, BOB, "loc.wavi", "Paris", "--wait"]);
    expect(waited.code, waited.stderr).to.equal(0);
    expect(waited.stdout).to.match(new RegExp(`^${UUID} delivered\\n$`, "u"));
    const text = await cli(["notify", ALICE, BOB, "--text", "hello bob"]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(new RegExp(`^${UUID} (sent|delivered)\\n$`, "u"));
    const json = await cli(["notify", ALICE, BOB, "loc.wavi", "--delete", "--json"]);
    expect(json.code, json.stderr).to.equal(0);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed)).to.deep.equal(["notificationId", "status"]);
    expect(parsed["notificationId"]).to.match(new RegExp(`^${UUID}$`, "u"));
    expect(parsed["status"]).to.be.oneOf(["sent", "delivered"]);
  });

  it("notify --wait exits 1 when the notification is not delivered, and an unknown recipient exits 1", async function () {
    // No value to encrypt: it goes out, and the atServer cannot deliver it to @nobody.
    const undelivered = await cli(["notify", ALICE, "@nobody", "x.wavi", "--delete", "--wait"]);
    expect(undelivered.code).to.equal(1);
    expect(undelivered.stdout).to.equal("");
    expect(undelivered.stderr).to.match(new RegExp(`^atsyncd notify: the notification ${UUID} was not delivered \\(errored\\)\\n$`, "u"));
    const unknown = await cli(["notify", ALICE, "@nobody", "x.wavi", "v"]);
    expect(unknown).to.include({ code: 1, stdout: "", stderr: "atsyncd notify: @nobody is not an atSign the root directory knows\n" });
  });

  it("offline: lookup prints a stale copy with a line on stderr giving its age, a fresh copy without one, and notify says queued", async function () {
    expect((await cli(["lookup", ALICE, `public:brief.wavi${BOB}`])).stdout).to.equal("soon stale\n");
    await new Promise((r) => setTimeout(r, 1200));
    await server().dev.stop();
    const stale = await cli(["lookup", ALICE, `public:brief.wavi${BOB}`]);
    expect(stale).to.include({ code: 0, stdout: "soon stale\n" });
    expect(stale.stderr).to.match(/^atsyncd: the atServer cannot be reached; this copy is \d+ s old and past its time to refresh\n$/u);
    const json = JSON.parse((await cli(["lookup", ALICE, `public:brief.wavi${BOB}`, "--json"])).stdout) as Record<string, unknown>;
    expect(json).to.include({ source: "cache", stale: true });
    expect(json["ageMs"]).to.be.greaterThan(1000);
    const fresh = await cli(["lookup", ALICE, `public:name.wavi${BOB}`]);
    expect(fresh).to.include({ code: 0, stdout: "Bob 🛠\n", stderr: "" });
    const queued = await cli(["notify", ALICE, BOB, "--text", "sent while offline"]);
    expect(queued.code, queued.stderr).to.equal(0);
    expect(queued.stdout).to.match(new RegExp(`^${UUID} queued\\n$`, "u"));
  });
});
