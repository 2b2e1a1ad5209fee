// Starts the real dev-server in-process on a temp data dir, serving one atSign with fresh
// keys and the demo @alice🛠/@bob🛠 with their fixture .atKeys files.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServer } from "../../../atserver/index.js";
import { decodeAtKeysFile, type AtKeys } from "../../../protocol/atKeysFile.js";
import { fixturesDir } from "../../support/fixtures.js";

export const FRESH = "@carol🛠";
export const ALICE = "@alice🛠";
export const BOB = "@bob🛠";

export interface TestDevServer {
  server: DevServer;
  ca: string;
  keys(atSign: string): AtKeys;
  stop(): Promise<void>;
}

export async function startTestDevServer(opts: { statsIntervalMs?: number } = {}): Promise<TestDevServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "atsyncd-remote-"));
  let server: DevServer;
  try {
    server = await startDevServer({
      dataDir,
      atSigns: [FRESH],
      importAtKeys: [join(fixturesDir, "atkeys", "alice_demo.atKeys"), join(fixturesDir, "atkeys", "bob_demo.atKeys")],
      statsIntervalMs: opts.statsIntervalMs ?? 600_000,
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const ca = readFileSync(server.info.ca, "utf8");
  return {
    server,
    ca,
    keys(atSign: string): AtKeys {
      const entry = server.info.atSigns[atSign];
      if (!entry) throw new Error(`dev-server does not serve ${atSign}`);
      return decodeAtKeysFile(readFileSync(entry.atKeys, "utf8"), atSign);
    },
    async stop(): Promise<void> {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
