// `atsyncd conflicts [@atSign] [--json]` lists conflicts (exit 5 while any is unresolved);
// `atsyncd conflicts resolve @atSign ID --keep local|remote` settles one.
import { JSON_OPTION, SOCKET_OPTION, UTC_OPTION, parseCommandArgs, usageError } from "../args.js";
import { ExitCode, type CliIO, type Command } from "../Command.js";
import { formatConflicts } from "../format/conflictText.js";
import { printable } from "../format/printable.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd conflicts [@atSign] [--all] [--json] [--utc] [--socket PATH]
       atsyncd conflicts resolve @atSign ID --keep local|remote [--json] [--socket PATH]

Lists the conflicts found while syncing: a key changed here and on the atServer at once.
The configured policy already chose a side; "resolve" keeps that side or switches to the
other (which then syncs like any write) and marks the conflict resolved. A resolved conflict
can be resolved again, for the other side; the list shows the side in effect.
  --all           include resolved conflicts
  --keep SIDE     local or remote
  --json          print JSON
  --utc           the time found in UTC (default: local time, with its offset)
  --socket PATH   the daemon's socket

Exit codes: 0 no unresolved conflict, 5 some remain, 3 atsyncd is not running.
`;

async function resolve(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { keep: { type: "string" }, ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 2, max: 2 });
  const atSign = atSignOperand(positionals[0] ?? "", USAGE);
  const id = (positionals[1] ?? "").replace(/^#/u, "");
  const keep = values.keep;
  if (keep !== "local" && keep !== "remote") throw usageError("--keep must be local or remote", USAGE);
  const c = await withClient(values.socket, io, { atSign }, (client) => client.resolveConflict(atSign, id, keep));
  if (values.json === true) io.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
  else io.stdout.write(`Resolved conflict #${c.id} of ${c.atSign} (${printable(c.key)}): kept the ${keep} side.\n`);
  return ExitCode.Ok;
}

const conflicts: Command = {
  name: "conflicts",
  summary: "list sync conflicts; `conflicts resolve` settles one",
  usage: USAGE,
  async run(args, io) {
    if (args[0] === "resolve") return resolve(args.slice(1), io);
    const { values, positionals } = parseCommandArgs(args, { all: { type: "boolean" }, ...JSON_OPTION, ...UTC_OPTION, ...SOCKET_OPTION }, USAGE, { min: 0, max: 1 });
    const atSign = positionals[0] !== undefined ? atSignOperand(positionals[0], USAGE) : undefined;
    const list = await withClient(values.socket, io, { atSign }, (c) => c.conflicts({
      ...(atSign ? { atSign } : {}), ...(values.all === true ? { includeResolved: true } : {}),
    }));
    if (values.json === true) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else if (list.length === 0) io.stdout.write("No conflicts.\n");
    else {
      io.stdout.write(`${formatConflicts(list, io.clock.now(), { utc: values.utc }).join("\n")}\n`);
      if (list.some((c) => !c.resolved)) io.stdout.write("\nKeep a side with `atsyncd conflicts resolve @atSign ID --keep local|remote`.\n");
    }
    return list.some((c) => !c.resolved) ? ExitCode.NeedsAttention : ExitCode.Ok;
  },
};

export default conflicts;
