// Where `config` and `doctor` look: --data-dir/--config when given; else where the running daemon
// says it keeps its data and config (a daemon started with --data-dir, like `npm start`'s, is not
// at the default paths); else the defaults `atsyncd run` would use.
import { AtsyncClient } from "../../client/AtsyncClient.js";
import type { DaemonDescribeResult } from "../../shared/types.js";
import type { DaemonPaths } from "../config/paths.js";
import { cliPaths } from "./cliPaths.js";
import type { CliIO } from "./Command.js";
import { cliSocketPath } from "./withClient.js";

export interface CliDaemonPaths {
  paths: DaemonPaths;
  /** Why these paths: given as options, told by the running daemon, or the defaults. */
  from: "options" | "daemon" | "defaults";
  daemon?: DaemonDescribeResult;
}

/** What the daemon on `socketPath` says about itself; undefined when none answers (or it cannot say). */
export async function describeRunningDaemon(socketPath: string): Promise<DaemonDescribeResult | undefined> {
  let client: AtsyncClient;
  try {
    client = await AtsyncClient.connect({ socketPath, clientName: `atsyncd-cli/${process.pid}`, signal: AbortSignal.timeout(5000) });
  } catch {
    return undefined;
  }
  try {
    return await client.describeDaemon({ signal: AbortSignal.timeout(5000) });
  } catch {
    return undefined;
  } finally {
    await client.close();
  }
}

export async function daemonPaths(io: CliIO, o: { dataDir?: string | undefined; configFile?: string | undefined; socket?: string | undefined }): Promise<CliDaemonPaths> {
  const defaults = cliPaths(io, o);
  if (o.dataDir !== undefined || o.configFile !== undefined) return { paths: defaults, from: "options" };
  const daemon = await describeRunningDaemon(cliSocketPath(o.socket, io));
  if (daemon === undefined) return { paths: defaults, from: "defaults" };
  return { paths: { ...defaults, dataDir: daemon.dataDir, configFile: daemon.configFile }, from: "daemon", daemon };
}
