// doctor's daemon check reads each atSign's derived status: one that is offline or backing off is
// a warning (it retries by itself), one that needs attention a failure. A real RPC server on a
// Unix socket stands in for the daemon.
import { expect } from "chai";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { checkDaemon } from "../../daemon/cli/doctor/checkDaemon.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { StatusGet } from "../../shared/methods.js";
import { tempDir } from "../rpc/helpers.js";
import { syncStatus } from "../support/statusFixture.js";

describe("doctor: the daemon and each atSign's state", function () {
  it("warns of an atSign offline or backing off, fails one that needs attention, says nothing of one in sync", async function () {
    const t = tempDir();
    const socketPath = join(t.dir, "d.sock");
    const clock = new SystemClock();
    const now = clock.now();
    const rpc = await RpcServer.listen({ socketPath, daemonVersion: "0.1.0", clock, logger: nullLogger });
    rpc.handle(StatusGet, () => [
      syncStatus({ atSign: "@a" }),
      syncStatus({ atSign: "@b", inSync: false, connected: false, state: { kind: "offline", since: now - 5000, reason: "monitor connection lost: no reply within 3000 ms", nextAttemptAt: now + 2000 } }),
      syncStatus({ atSign: "@c", inSync: false, state: { kind: "needs-attention", since: now, reason: "the atServer refused the keys", code: 4003 } }),
    ]);
    try {
      const { results } = await checkDaemon(socketPath, clock);
      expect(results.map((r) => [r.name, r.status])).to.deep.equal([["daemon", "ok"], ["@b sync", "warn"], ["@c sync", "fail"]]);
      expect(results[1]?.message).to.match(/^offline for 5s \(since .+\): monitor connection lost: no reply within 3000 ms; next try in [12]s$/u);
    } finally {
      await rpc.close();
      t.remove();
    }
  });
});
