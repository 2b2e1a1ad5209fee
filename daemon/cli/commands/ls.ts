// `atsyncd ls @atSign [REGEX] [--json]`: the keys of the local copy, one per line.
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd ls @atSign [REGEX] [--namespace NS] [--hidden] [--json] [--socket PATH]

Lists the keys in the atSign's local copy, optionally those matching REGEX (a Unicode
regular expression matched against the whole atKey).
  --namespace NS  only keys of this namespace ("wavi")
  --hidden        include hidden keys (_… and public:_…)
  --json          print a JSON array
  --socket PATH   the daemon's socket
`;

const ls: Command = {
  name: "ls",
  summary: "list the keys of an atSign's local copy",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      namespace: { type: "string" }, hidden: { type: "boolean" }, ...JSON_OPTION, ...SOCKET_OPTION,
    }, USAGE, { min: 1, max: 2 });
    const atSign = atSignOperand(positionals[0] ?? "", USAGE);
    const regex = positionals[1];
    const keys = await withClient(values.socket, io, { atSign }, (c) => c.list(atSign, {
      ...(regex !== undefined ? { regex } : {}),
      ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
      ...(values.hidden === true ? { showHidden: true } : {}),
    }));
    if (values.json === true) io.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
    else if (keys.length > 0) io.stdout.write(`${keys.join("\n")}\n`);
    return ExitCode.Ok;
  },
};

export default ls;
