// One dev-server per suite serving the demo atSigns of ../shared/fixtures (`@alice🛠`,
// `@bob🛠`) from their real .atKeys files, plus .atKeys variants for the error paths.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServer } from "../../../atserver/index.js";
import { demoAtKeysPath, fixturesOrSkip } from "../../support/fixtures.js";

export const ALICE = "@alice🛠";
export const BOB = "@bob🛠";

/** The path of a demo atSign's .atKeys file. */
export const demoAtKeys = demoAtKeysPath;

export interface DemoServer {
  dev: DevServer;
  dir: string;
  /** Alice's keys in a file that claims to be `atSign`'s (valid in itself; its atServer refuses it). */
  aliceKeysAs(atSign: string): string;
}

export function useDemoServer(suite: Mocha.Suite): () => DemoServer {
  let s: DemoServer | undefined;
  suite.beforeAll(async function () {
    fixturesOrSkip(this);
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), "atsyncd-cli-dev-"));
    const dev = await startDevServer({ dataDir: join(dir, "dev"), importAtKeys: [demoAtKeys("alice"), demoAtKeys("bob")], statsIntervalMs: 60_000 });
    s = {
      dev,
      dir,
      aliceKeysAs(atSign) {
        const fields = JSON.parse(readFileSync(demoAtKeys("alice"), "utf8")) as Record<string, string>;
        const self = fields[ALICE] ?? "";
        delete fields[ALICE];
        fields[atSign] = self;
        const path = join(dir, `alice-as-${atSign.slice(1)}.atKeys`);
        writeFileSync(path, JSON.stringify(fields), { mode: 0o600 });
        return path;
      },
    };
  });
  suite.afterAll(async function () {
    if (!s) return;
    await s.dev.stop();
    rmSync(s.dir, { recursive: true, force: true });
  });
  return () => {
    if (!s) throw new Error("the demo dev-server did not start");
    return s;
  };
}
