// conflicts.list with includeResolved reports as `applied` the side a person kept, not the one
// the policy first chose.
import { expect } from "chai";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";
import { writeWhileStopped } from "../support/offlineWrite.js";

describe("e2e: a resolved conflict's applied side", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  const daemons: TestDaemon[] = [];

  after(async function () {
    for (const d of daemons.reverse()) await d.dispose();
  });

  it("is the side the person chose, in the list of resolved conflicts too", async function () {
    const key = `list.applied${ALICE}`;
    const d1 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    daemons.push(d1);
    const d2 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    daemons.push(d2);
    await d1.client.put(ALICE, key, "base");
    await d1.client.syncNow({ atSign: ALICE, wait: true });
    await d2.client.syncNow({ atSign: ALICE, wait: true });
    await d2.stop();
    await d1.client.put(ALICE, key, "from device 1");
    await d1.client.syncNow({ atSign: ALICE, wait: true });

    // Device 2 changes the key while stopped: written into its store as the worker would.
    await writeWhileStopped(d2, ALICE, server().dev.info.atSigns[ALICE]?.atKeys ?? "", key, "from device 2, offline");
    const again = await startTestDaemon({ devServer: server().dev, dir: d2.dir });
    daemons.push(again);
    const c = again.client;
    const [conflict] = await waitFor("the conflict", async () => {
      const list = await c.conflicts({ atSign: ALICE });
      return list.length > 0 ? list : undefined;
    });
    expect(conflict!.applied).to.equal("local"); // local-wins, the default policy

    await c.resolveConflict(ALICE, conflict!.id, "remote");
    const resolved = (await c.conflicts({ atSign: ALICE, includeResolved: true })).find((x) => x.id === conflict!.id);
    expect(resolved?.resolved).to.equal(true);
    expect(resolved?.applied).to.equal("remote");
    expect((await c.get(ALICE, key)).value).to.equal("from device 1");
  });
});
