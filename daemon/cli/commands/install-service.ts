// `atsyncd install-service [--system] [--dry-run]`: writes and enables the systemd unit (or
// the launchd LaunchAgent) for this atsyncd and node, and prints each step it took.
import { installService } from "../../service/installService.js";
import { parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { explainServiceError, printPlan, SERVICE_OPTIONS, serviceOptions } from "../servicePlanText.js";

const USAGE = `Usage: atsyncd install-service [--system] [--dry-run] [--data-dir DIR] [--json]

Installs atsyncd as a service that starts at login and restarts on failure: a systemd
user unit on Linux (~/.config/systemd/user/atsyncd.service), a LaunchAgent on macOS.
  --system        Linux, as root: the system-wide unit (user atsyncd, /var/lib/atsyncd)
  --dry-run       print what would be done, change nothing
  --data-dir DIR  the data dir the service uses (default: the usual per-user one)
  --json          print the plan as JSON
`;

const installServiceCommand: Command = {
  name: "install-service",
  summary: "install and start atsyncd as a systemd/launchd service",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE, { min: 0, max: 0 });
    const opts = serviceOptions(io, values);
    try {
      const plan = await installService(opts);
      printPlan(io, plan, "Installed", opts.dryRun === true, values.json === true);
      // A dry run that found why the install would fail says so (above) and exits as the install would.
      return plan.problems.length > 0 ? ExitCode.Failure : ExitCode.Ok;
    } catch (err) {
      throw explainServiceError(err);
    }
  },
};

export default installServiceCommand;
