// `atsyncd conflicts` on a real conflict: a change written on a device while its daemon was
// stopped, against a newer change from another device (made the way test/e2e/conflicts does).
import { expect } from "chai";
import type { Conflict } from "../../shared/types.js";
import { requireBuild, startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { runCli } from "./support/cli.js";
import { ALICE, demoAtKeys, useDemoServer } from "./support/demoServer.js";
import { writeWhileStopped } from "../support/offlineWrite.js";

describe("atsyncd conflicts on a real conflict (e2e)", function () {
  this.timeout(90_000);
  const server = useDemoServer(this);
  const daemons: TestDaemon[] = [];
  after(async function () {
    for (const d of daemons.reverse()) await d.dispose();
  });

  it("lists it with exit 5, status flags it, and resolve keeps the chosen side", async function () {
    requireBuild();
    const key = `shared.note${ALICE}`;
    const d1 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    daemons.push(d1);
    const d2 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    daemons.push(d2);
    const on = (d: TestDaemon, args: string[]) => runCli([...args, "--socket", d.socketPath]);

    expect((await on(d1, ["put", ALICE, "shared.note", "base"])).code).to.equal(0);
    expect((await on(d1, ["sync", ALICE, "--wait"])).code).to.equal(0);
    expect((await on(d2, ["sync", ALICE, "--wait"])).code).to.equal(0);
    expect((await on(d2, ["get", ALICE, "shared.note"])).stdout).to.equal("base\n");

    expect((await d2.stop()).code).to.equal(0);
    expect((await on(d1, ["put", ALICE, "shared.note", "from device 1"])).code).to.equal(0);
    expect((await on(d1, ["sync", ALICE, "--wait"])).code).to.equal(0);
    await writeWhileStopped(d2, ALICE, demoAtKeys("alice"), key, "from device 2, offline");

    const d2again = await startTestDaemon({ devServer: server().dev, dir: d2.dir });
    daemons.push(d2again);
    const [found] = await waitFor("the conflict", async () => {
      const list = await d2again.client.conflicts({ atSign: ALICE });
      return list.length > 0 ? list : undefined;
    });
    const c = found as Conflict;

    const list = await on(d2again, ["conflicts"]);
    expect(list.code).to.equal(5);
    const [line, blank, hint] = list.stdout.split("\n");
    expect(line).to.match(new RegExp(`^#${c.id}  ${ALICE}  ${key}  local "from device 2, offline"  remote "from device 1"  local-wins: kept local  \\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)$`, "u"));
    expect(blank).to.equal("");
    expect(hint).to.equal("Keep a side with `atsyncd conflicts resolve @atSign ID --keep local|remote`.");
    const json = await on(d2again, ["conflicts", ALICE, "--json"]);
    expect(json.code).to.equal(5);
    expect(JSON.parse(json.stdout)).to.deep.equal(await d2again.client.conflicts({ atSign: ALICE }));

    const status = await on(d2again, ["status"]);
    expect(status.code).to.equal(5);
    expect(status.stdout).to.include("  1 conflict  ");
    expect(status.stdout).to.include(`\n    1 conflict to look at: \`atsyncd conflicts ${ALICE}\`\n`);

    const resolved = await on(d2again, ["conflicts", "resolve", ALICE, `#${c.id}`, "--keep", "remote"]);
    expect(resolved).to.include({ code: 0, stdout: `Resolved conflict #${c.id} of ${ALICE} (${key}): kept the remote side.\n` });
    expect((await on(d2again, ["get", ALICE, "shared.note"])).stdout).to.equal("from device 1\n");
    expect(await on(d2again, ["conflicts"])).to.include({ code: 0, stdout: "No conflicts.\n" });
    const all = JSON.parse((await on(d2again, ["conflicts", "--all", "--json"])).stdout) as Conflict[];
    expect(all.map((x) => [x.id, x.resolved])).to.deep.equal([[c.id, true]]);
  });
});
