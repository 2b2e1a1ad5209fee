// `atsyncd rm @atSign KEY`: deletes a key locally; the delete syncs to the atServer.
import { SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { atKeyOperand, atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd rm @atSign KEY [--socket PATH]

Deletes KEY from the atSign's local copy; the delete syncs to the atServer.
  --socket PATH   the daemon's socket
`;

const rm: Command = {
  name: "rm",
  summary: "delete a key (the delete syncs to the atServer)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...SOCKET_OPTION }, USAGE, { min: 2, max: 2 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const key = atKeyOperand(atSign, positionals[1] ?? "");
    const result = await withClient(values.socket, io, { atSign, key }, (c) => c.delete(atSign, key));
    io.stdout.write(`Deleted ${result.key}.\n`);
    return ExitCode.Ok;
  },
};

export default rm;
