// The daemon's paths as a CLI command sees them: the same rules as `atsyncd run`
// (XDG dirs, --data-dir, --config), so `config` and `doctor` look where the daemon looks.
import { homedir } from "node:os";
import { ConfigError } from "../config/ConfigError.js";
import { resolvePaths, type DaemonPaths } from "../config/paths.js";
import { CliError, ExitCode, type CliIO } from "./Command.js";

export const PATH_OPTIONS = { "data-dir": { type: "string" }, config: { type: "string" } } as const;

export function cliPaths(io: CliIO, o: { dataDir?: string | undefined; configFile?: string | undefined; socket?: string | undefined }): DaemonPaths {
  try {
    return resolvePaths(
      { platform: process.platform, env: io.env, home: homedir(), uid: process.getuid?.() ?? 0 },
      {
        ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
        ...(o.configFile !== undefined ? { configFile: o.configFile } : {}),
        ...(o.socket !== undefined ? { socket: o.socket } : {}),
      },
    );
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, ExitCode.Usage);
    throw err;
  }
}
