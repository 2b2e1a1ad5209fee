// One dev-server per e2e suite, with two fresh atSigns (emoji included, so every byte count
// on the way is tested), and a direct PKAM-logged-in connection to check what the server holds.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServer } from "../../atserver/index.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { RootResolver } from "../../daemon/remote/RootResolver.js";
import { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { decodeAtKeysFile } from "../../protocol/atKeysFile.js";

export const ALICE = "@alice🛠";
export const BOB = "@bob🛠";

export interface E2eServer {
  dev: DevServer;
  /** A logged-in connection to `atSign`'s atServer (closed by close()). */
  remote(atSign: string): TlsRemote;
  /** The keys the server's scan lists for `atSign` matching `regex`. */
  scan(atSign: string, regex: string): Promise<string[]>;
  close(): Promise<void>;
}

/** `atSigns`: the fresh atSigns the dev-server serves (a third one for tests of who may not read). */
export function useDevServer(suite: Mocha.Suite, atSigns: string[] = [ALICE, BOB]): () => E2eServer {
  let s: E2eServer | undefined;
  suite.beforeAll(async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), "atsyncd-e2e-dev-"));
    const dev = await startDevServer({ dataDir: dir, atSigns });
    const clock = new SystemClock();
    const ca = readFileSync(dev.info.ca, "utf8");
    const remotes = new Map<string, TlsRemote>();
    const remote = (atSign: string): TlsRemote => {
      let r = remotes.get(atSign);
      if (r === undefined) {
        const file = dev.info.atSigns[atSign]?.atKeys;
        if (file === undefined) throw new Error(`dev-server does not serve ${atSign}`);
        const keys = decodeAtKeysFile(readFileSync(file, "utf8"), atSign);
        r = new TlsRemote({ atSign, keys, resolver: new RootResolver({ root: dev.info.root, ca, clock }), ca, clock, logger: nullLogger, requestTimeoutMs: 10_000 });
        remotes.set(atSign, r);
      }
      return r;
    };
    s = {
      dev,
      remote,
      async scan(atSign, regex) {
        const data = await remote(atSign).request(`scan ${regex}`);
        return JSON.parse(data) as string[];
      },
      async close() {
        await Promise.all([...remotes.values()].map((r) => r.close()));
        await dev.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
  suite.afterAll(async function () {
    await s?.close();
  });
  return () => {
    if (!s) throw new Error("dev-server not started");
    return s;
  };
}
