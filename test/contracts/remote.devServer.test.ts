// The remote contract against the dev-server over real TLS, logged in with TlsRemote.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServer } from "../../atserver/index.js";
import type { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { rawRemote } from "../sync/support/devHarness.js";
import { waitFor } from "../sync/support/waitFor.js";
import { runRemoteContract } from "./runRemoteContract.js";

const ATSIGN = "@contract🛠";
let dev: DevServer;
let dataDir = "";

runRemoteContract("dev-server over TLS", {
  async before() {
    dataDir = mkdtempSync(join(tmpdir(), "atsyncd-contract-"));
    // A fast expiry sweep, so the expiry case waits milliseconds, not minutes.
    dev = await startDevServer({ dataDir, atSigns: [ATSIGN], expiryIntervalMs: 20, statsIntervalMs: 60_000 });
  },
  async after() {
    await dev?.stop();
    if (dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
  },
  async fresh() {
    await dev.reset(ATSIGN);
    const remote: TlsRemote = rawRemote(dev, ATSIGN);
    return {
      atSign: ATSIGN,
      remote,
      async untilExpired(key) {
        await waitFor(async () => (JSON.parse(JSON.parse(await remote.request("stats:15"))[0].value as string) as Record<string, [number, string]>)[key]?.[1] === "-", `${key} to expire`);
      },
      close: () => remote.close(),
    };
  },
});
