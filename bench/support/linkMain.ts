// Child process: the modelled slow link. One delay proxy in front of each atSign's atServer, a
// root directory that names those proxies, and a delay proxy in front of that root, so the
// lookup, the TLS handshakes and every request cross the link as they would for real.
// Args: <dataDir> <oneWayDelayMs> <atSign>=<host:port>...   Ready line: { root, secondaries: { [atSign]: "host:port" } }
import { RootServer } from "../../atserver/root/RootServer.js";
import { ensureTlsMaterial } from "../../atserver/tls/ca.js";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { parseHostPort } from "../../daemon/remote/RootResolver.js";
import { serveUntilStdinEnds } from "./benchChild.js";
import { startDelayProxy, type DelayProxy } from "./delayProxy.js";

serveUntilStdinEnds(async () => {
  const [dataDir, delayText, ...rest] = process.argv.slice(2);
  const delay = Number(delayText);
  if (dataDir === undefined || !(delay >= 0)) throw new Error("usage: linkMain.ts <dataDir> <oneWayDelayMs> <atSign>=<host:port>...");
  const proxies: DelayProxy[] = [];
  const secondaries: Record<string, string> = {};
  let root: RootServer | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(proxies.map((p) => p.close()));
    await root?.stop();
  };
  try {
    for (const spec of rest) {
      const eq = spec.lastIndexOf("=");
      const target = parseHostPort(spec.slice(eq + 1));
      if (eq <= 0 || !target) throw new Error(`expected <atSign>=<host:port>, got ${spec}`);
      const proxy = await startDelayProxy({ target, oneWayDelayMs: delay });
      proxies.push(proxy);
      secondaries[normalizeAtSign(spec.slice(0, eq))] = proxy.address;
    }
    // The dev-server's own certificate, so clients check the root as they check the real one.
    root = new RootServer({ host: "127.0.0.1", port: 0, tls: await ensureTlsMaterial(dataDir), lookup: (a) => secondaries[a] });
    await root.listen();
    const rootTarget = parseHostPort(root.address);
    if (!rootTarget) throw new Error(`root listens on an odd address: ${root.address}`);
    const rootProxy = await startDelayProxy({ target: rootTarget, oneWayDelayMs: delay });
    proxies.push(rootProxy);
    return { info: { root: rootProxy.address, secondaries }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
});
