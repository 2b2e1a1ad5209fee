// A dev-server with the demo atSigns imported, and logged-in raw clients, for one suite.
import { readFileSync } from "node:fs";
import { startDevServer, type DevServer, type DevServerOptions } from "../../../atserver/index.js";
import { fixturesOrSkip } from "../../support/fixtures.js";
import { ALICE, demoAtKeysPath, demoKeys, tempDir } from "./demo.js";
import { RawClient } from "./RawClient.js";

export interface Harness {
  dev: DevServer;
  ca: string;
  dir: ReturnType<typeof tempDir>;
  /** A new connection to `atSign`'s server, not logged in. */
  open(atSign?: string): Promise<RawClient>;
  /** A new connection logged in with the demo PKAM key. */
  login(atSign?: string): Promise<RawClient>;
  close(): Promise<void>;
}

/**
 * Starts the dev-server for the suite. `extra` overrides the options; as a function, it is
 * called only once the fixtures are known to be there (it may read them).
 */
export function useDemoServer(ctx: Mocha.Suite, extra: Partial<DevServerOptions> | (() => Partial<DevServerOptions>) = {}): () => Harness {
  let h: Harness | undefined;
  ctx.beforeAll(async function () {
    fixturesOrSkip(this);
    const dir = tempDir("atserver");
    const options = typeof extra === "function" ? extra() : extra;
    const dev = await startDevServer({ dataDir: dir.path, importAtKeys: [demoAtKeysPath("alice"), demoAtKeysPath("bob")], ...options });
    const ca = readFileSync(dev.info.ca, "utf8");
    const clients: RawClient[] = [];
    const open = async (atSign = ALICE): Promise<RawClient> => {
      const addr = dev.info.atSigns[atSign]?.secondary;
      if (!addr) throw new Error(`${atSign} not served`);
      const c = await RawClient.connect(addr, ca);
      clients.push(c);
      return c;
    };
    h = {
      dev,
      ca,
      dir,
      open,
      async login(atSign = ALICE) {
        const c = await open(atSign);
        const who = atSign === ALICE ? "alice" : "bob";
        const r = await c.pkamLogin(atSign, demoKeys(who).pkamPrivateKey ?? "");
        if (r !== "data:success") throw new Error(`login failed: ${r}`);
        return c;
      },
      async close() {
        for (const c of clients) c.close();
        await dev.stop();
        dir.remove();
      },
    };
  });
  ctx.afterAll(async function () {
    await h?.close();
  });
  return () => {
    if (!h) throw new Error("dev-server not started");
    return h;
  };
}
