// `atsyncd get @atSign KEY [--json]`: the value from the local copy, decrypted by the daemon.
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { atKeyOperand, atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd get @atSign KEY [--json] [--socket PATH]

Prints the value of KEY from the atSign's local copy (decrypted). KEY may leave out the
owner: "phone.wavi" under @alice means "phone.wavi@alice".
  --json          print {key, value, metadata}
  --socket PATH   the daemon's socket
`;

const get: Command = {
  name: "get",
  summary: "print a key's value from the local copy",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 2, max: 2 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const key = atKeyOperand(atSign, positionals[1] ?? "");
    const result = await withClient(values.socket, io, { atSign, key }, (c) => c.get(atSign, key));
    io.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${result.value}\n`);
    return ExitCode.Ok;
  },
};

export default get;
