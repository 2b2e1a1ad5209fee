// `atsyncd dev-server`: the local atPlatform of atserver/ (root + atServers), for tests and demos.
import { DEV_SERVER_USAGE, runDevServerCli, UsageError } from "../../../atserver/cli.js";
import { CliError, ExitCode, type Command } from "../Command.js";
import { sqliteAddonProblem } from "../sqliteAddon.js";

const devServer: Command = {
  name: "dev-server",
  summary: "run a local root directory and atServers (TLS) for development and tests",
  usage: DEV_SERVER_USAGE,
  async run(args, io) {
    const addon = await sqliteAddonProblem(); // the atServers keep their keys in SQLite too
    if (addon !== undefined) throw new CliError(addon, ExitCode.NotBuilt);
    try {
      return await runDevServerCli(args, io);
    } catch (err) {
      if (err instanceof UsageError) throw new CliError(`${err.message}\n${DEV_SERVER_USAGE}`, ExitCode.Usage);
      throw err;
    }
  },
};

export default devServer;
