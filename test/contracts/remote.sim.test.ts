// The remote contract against the simulator's SimServer (sim/SimServer.ts), on its sim clock.
import { SimClock } from "../../sim/SimClock.js";
import { promptRemote } from "../../sim/SimConnection.js";
import { SimServer } from "../../sim/SimServer.js";
import { runRemoteContract } from "./runRemoteContract.js";

const ATSIGN = "@contract";

runRemoteContract("simulator's SimServer", {
  async fresh() {
    const clock = new SimClock();
    const server = new SimServer({ atSign: ATSIGN, clock });
    const remote = promptRemote(server, clock);
    return {
      atSign: ATSIGN,
      remote,
      async untilExpired() {
        clock.moveTo(clock.now() + 60_000);
        server.expire();
      },
      async emptyLog() {
        server.store.wipe();
      },
      async close() {
        await remote.close();
        server.close();
      },
    };
  },
});
