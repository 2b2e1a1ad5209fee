// `atsyncd uninstall-service [--system] [--dry-run]`: stops, disables and removes the service;
// data and keys stay.
import { uninstallService } from "../../service/installService.js";
import { parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { explainServiceError, printPlan, SERVICE_OPTIONS, serviceOptions } from "../servicePlanText.js";

const USAGE = `Usage: atsyncd uninstall-service [--system] [--dry-run] [--json]

Stops and removes the service install-service set up. Data and keys stay.
  --system        the system-wide unit (as root)
  --dry-run       print what would be done, change nothing
  --json          print the plan as JSON
`;

const uninstallServiceCommand: Command = {
  name: "uninstall-service",
  summary: "stop and remove the atsyncd service (data and keys stay)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, SERVICE_OPTIONS, USAGE, { min: 0, max: 0 });
    const opts = serviceOptions(io, values);
    try {
      printPlan(io, await uninstallService(opts), "Uninstalled", opts.dryRun === true, values.json === true);
    } catch (err) {
      throw explainServiceError(err);
    }
    return ExitCode.Ok;
  },
};

export default uninstallServiceCommand;
