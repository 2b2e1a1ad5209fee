// `atsyncd offboard @atSign`: stops syncing the atSign and removes its keys from the key store.
import { SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd offboard @atSign [--socket PATH]

Stops syncing the atSign and removes its keys from the key store. Its local copy stays
in the data dir; onboard it again to resume.
  --socket PATH   the daemon's socket
`;

const offboard: Command = {
  name: "offboard",
  summary: "stop syncing an atSign and remove its keys from the key store",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...SOCKET_OPTION }, USAGE, { min: 1, max: 1 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const result = await withClient(values.socket, io, { atSign }, (c) => c.offboard(atSign));
    io.stdout.write(`Offboarded ${result.atSign}: it no longer syncs and its keys are gone from the key store.\n`);
    return ExitCode.Ok;
  },
};

export default offboard;
