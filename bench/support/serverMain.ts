// Child process: a dev-server whose atSigns are filled with N self keys each, written straight
// into the stopped server's store (as bench/sync-from.ts does) so filling takes seconds.
// Args: <dataDir> <atSign>=<count>...   Ready line: { root, ca, atSigns: { [atSign]: { secondary, atKeys } } }
import { atSignDbPath, startDevServer } from "../../atserver/DevServer.js";
import { buildMeta } from "../../atserver/store/buildMeta.js";
import { ServerStore } from "../../atserver/store/ServerStore.js";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { serveUntilStdinEnds } from "./benchChild.js";

/** What one bench key looks like on the server: a self key with an 88-character ciphertext. */
function fillAtSign(dataDir: string, atSign: string, count: number): void {
  const store = new ServerStore(atSignDbPath(dataDir, atSign));
  try {
    const meta = buildMeta(atSign, undefined, { isEncrypted: "true", ivNonce: "AAAAAAAAAAAAAAAAAAAAAA==", encoding: "base64" }, Date.now());
    const value = "x".repeat(88);
    function* rows(): Generator<{ key: string; value: string; meta: typeof meta }> {
      for (let i = 0; i < count; i++) yield { key: `key${i}.bench${atSign}`, value, meta };
    }
    store.bulkPut(rows());
  } finally {
    store.close();
  }
}

function parseSpecs(args: readonly string[]): Array<{ atSign: string; count: number }> {
  return args.map((a) => {
    const eq = a.lastIndexOf("=");
    const count = Number(a.slice(eq + 1));
    if (eq <= 0 || !Number.isInteger(count) || count < 0) throw new Error(`expected <atSign>=<count>, got ${a}`);
    return { atSign: normalizeAtSign(a.slice(0, eq)), count };
  });
}

serveUntilStdinEnds(async () => {
  const [dataDir, ...rest] = process.argv.slice(2);
  if (dataDir === undefined) throw new Error("usage: serverMain.ts <dataDir> <atSign>=<count>...");
  const specs = parseSpecs(rest);
  // First start creates the atSigns (keys, registry); the fill needs the server stopped.
  const first = await startDevServer({ dataDir, atSigns: specs.map((s) => s.atSign) });
  await first.stop();
  for (const s of specs) fillAtSign(dataDir, s.atSign, s.count);
  // No stats or expiry sweeps during a measurement.
  const dev = await startDevServer({ dataDir, statsIntervalMs: 3_600_000, expiryIntervalMs: 3_600_000 });
  return { info: dev.info, stop: () => dev.stop() };
});
