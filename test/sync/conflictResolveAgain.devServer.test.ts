// conflicts.resolve on a conflict already resolved: a person who kept the wrong side switches to
// the other (the record holds the only copy of it), and the record then tells the side in effect.
// Two worker devices of one atSign against the dev-server over TLS.
import { expect } from "chai";
import { conflictsList, conflictsResolve } from "../../daemon/worker/handlers/conflicts.js";
import { keysGet, keysPut } from "../../daemon/worker/handlers/keys.js";
import { useWorkerDevices, type WorkerDevice } from "../support/workerDevice.js";
import { converge, syncOk, useDevServer } from "./support/devHarness.js";

const ALICE = "@alice🛠";

describe("sync: resolving a conflict that is already resolved", function () {
  this.timeout(60_000);
  const h = useDevServer(ALICE, "atsyncd-resolve", { atSigns: [ALICE], statsIntervalMs: 60_000 });
  const worker = useWorkerDevices(h, ALICE);

  /** A conflict on `key` seen by b (local-wins): b wrote offline while a's newer write reached the server. */
  async function conflictOn(key: string): Promise<{ b: WorkerDevice; id: string }> {
    const a = worker("a");
    const b = worker("b");
    await keysPut(a.ctx, { atSign: ALICE, key, value: "base" });
    await converge(a.device, b.device);
    await b.device.goOffline();
    await keysPut(a.ctx, { atSign: ALICE, key, value: "from a" });
    await syncOk(a.device);
    await keysPut(b.ctx, { atSign: ALICE, key, value: "from b, offline" });
    b.device.start();
    await syncOk(b.device);
    const [c] = await conflictsList(b.ctx, { atSign: ALICE });
    expect(c).to.include({ key, applied: "local", resolved: false });
    return { b, id: c!.id };
  }

  it("scenario: resolve for remote, then again for local: the value and the record both say local", async () => {
    const key = `again.wavi${ALICE}`;
    const { b, id } = await conflictOn(key);
    const first = await conflictsResolve(b.ctx, { atSign: ALICE, id, choose: "remote" });
    expect(first).to.include({ applied: "remote", resolved: true });
    expect((await keysGet(b.ctx, { atSign: ALICE, key })).value).to.equal("from a");

    const second = await conflictsResolve(b.ctx, { atSign: ALICE, id, choose: "local" });
    expect(second).to.include({ applied: "local", resolved: true });
    expect((await keysGet(b.ctx, { atSign: ALICE, key })).value).to.equal("from b, offline");
    const [listed] = await conflictsList(b.ctx, { atSign: ALICE, includeResolved: true });
    expect(listed).to.include({ id, applied: "local", resolved: true });
    expect(b.device.store.listConflicts().map((c) => [c.id, c.winner, c.resolved])).to.deep.equal([[Number(id), "local", true]]);
    await syncOk(b.device);
    expect((await keysGet(b.ctx, { atSign: ALICE, key })).value).to.equal("from b, offline");
  });

  it("scenario: resolving again for the side already in effect writes nothing", async () => {
    const key = `same.wavi${ALICE}`;
    const { b, id } = await conflictOn(key);
    await conflictsResolve(b.ctx, { atSign: ALICE, id, choose: "remote" });
    await syncOk(b.device);
    const pendingBefore = b.device.store.pendingChanges().length;
    const again = await conflictsResolve(b.ctx, { atSign: ALICE, id, choose: "remote" });
    expect(again).to.include({ applied: "remote", resolved: true });
    expect(b.device.store.pendingChanges()).to.have.length(pendingBefore);
    expect((await keysGet(b.ctx, { atSign: ALICE, key })).value).to.equal("from a");
  });
});
