// A change made on a device while it was stopped, against a newer change from another device,
// is a conflict: listed decrypted, resolvable for either side, and the choice syncs.
import { expect } from "chai";
import type { Conflict } from "../../shared/types.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";
import { writeWhileStopped } from "../support/offlineWrite.js";

describe("e2e: conflicts", function () {
  this.timeout(90_000);
  const server = useDevServer(this);
  let d1: TestDaemon | undefined;
  let d2: TestDaemon | undefined;
  let d2again: TestDaemon | undefined;

  after(async function () {
    await d2again?.dispose();
    await d2?.dispose();
    await d1?.dispose();
  });

  it("lists a conflict decrypted and resolves it for the remote side on both devices", async function () {
    const key = `shared.note${ALICE}`;
    d1 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    d2 = await startTestDaemon({ devServer: server().dev, atSigns: [ALICE] });
    await d1.client.put(ALICE, key, "base");
    await d1.client.syncNow({ atSign: ALICE, wait: true });
    await d2.client.syncNow({ atSign: ALICE, wait: true });
    expect((await d2.client.get(ALICE, key)).value).to.equal("base");

    expect((await d2.stop()).code).to.equal(0);
    await d1.client.put(ALICE, key, "from device 1");
    await d1.client.syncNow({ atSign: ALICE, wait: true });

    // Device 2 changes the key while stopped: written into its store as the worker would.
    await writeWhileStopped(d2, ALICE, server().dev.info.atSigns[ALICE]?.atKeys ?? "", key, "from device 2, offline");

    d2again = await startTestDaemon({ devServer: server().dev, dir: d2.dir });
    const c2 = d2again.client;
    const [conflict] = await waitFor("the conflict", async () => {
      const list = await c2.conflicts({ atSign: ALICE });
      return list.length > 0 ? list : undefined;
    });
    const c = conflict as Conflict;
    expect(c.key).to.equal(key);
    expect(c.local.value).to.equal("from device 2, offline");
    expect(c.remote.value).to.equal("from device 1");
    expect(c.policy).to.equal("local-wins");
    expect(c.applied).to.equal("local");
    expect(c.resolved).to.equal(false);
    expect((await c2.status(ALICE))[0]?.conflicts).to.equal(1);

    const resolved = await c2.resolveConflict(ALICE, c.id, "remote");
    expect(resolved.resolved).to.equal(true);
    expect(resolved.applied).to.equal("remote");
    expect((await c2.get(ALICE, key)).value).to.equal("from device 1");
    expect(await c2.conflicts({ atSign: ALICE })).to.deep.equal([]);
    expect(await c2.conflicts({ atSign: ALICE, includeResolved: true })).to.have.length(1);

    await c2.syncNow({ atSign: ALICE, wait: true });
    await d1.client.syncNow({ atSign: ALICE, wait: true });
    expect((await d1.client.get(ALICE, key)).value).to.equal("from device 1");
  });

  it("answers an unknown conflict id with ConflictNotFound", async function () {
    const err = await d2again!.client.resolveConflict(ALICE, "999999", "local").then(() => undefined, (e: { code?: number }) => e.code);
    expect(err).to.equal(3007);
  });
});
