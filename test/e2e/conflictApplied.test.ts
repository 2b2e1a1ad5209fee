// conflicts.list with includeResolved reports as `applied` the side a person kept, not the one
// the policy first chose.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import type { CipherContext } from "../../daemon/crypto/CipherContext.js";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import { SqliteStore } from "../../daemon/store/SqliteStore.js";
import { storePath } from "../../daemon/worker/storePath.js";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";
import type { AtMetadata } from "../../protocol/metadata.js";
import { startTestDaemon, waitFor, type TestDaemon } from "../support/daemon.js";
import { ALICE, useDevServer } from "./devServer.js";

const noNetwork: CipherContext = {
  lookupPublicKey: () => Promise.reject(new Error("not in this test")),
  getLocal: () => Promise.resolve(undefined),
  putLocal: () => Promise.reject(new Error("not in this test")),
  fetchRemote: () => Promise.resolve(undefined),
};

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
    const keys = decodeAtKeysFile(readFileSync(server().dev.info.atSigns[ALICE]?.atKeys ?? "", "utf8"), ALICE);
    const enc = await new ValueCipher(keys, noNetwork).encryptForPut(key, "from device 2, offline");
    const store = SqliteStore.open({ path: storePath(d2.dataDir, ALICE), clock: new SystemClock() });
    try {
      store.putLocal(key, enc.value, enc.metadata as AtMetadata);
    } finally {
      store.close();
    }
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
