// `atsyncd status [@atSign] [--json]`: one line per atSign (tailscale status); --json prints
// exactly the daemon's status.get array. Exit 0 when all is well, 3 not running, 4 nothing
// (or this atSign) onboarded, 5 when an atSign needs attention, backs off, has conflicts or
// holds changes the atServer rejected.
import type { SyncStatus } from "../../../shared/status.js";
import { JSON_OPTION, SOCKET_OPTION, UTC_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type CliIO, type Command } from "../Command.js";
import { daemonLine, formatStatusTable, needsAttention, type TableOptions } from "../format/statusText.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd status [@atSign] [--json] [--utc] [--socket PATH]

Shows the daemon (version, uptime, socket), then each onboarded atSign on one line: its
state, last successful sync, pending uploads (and changes the atServer rejected), conflicts,
and its last received / the server's commit id; under it, indented, why it is in that state
(offline since when and why, the next try, the sync's progress, errors, rejected changes).
  --json          print the daemon's status objects (a JSON array) as they are
  --utc           clock times in UTC (default: local time, with its offset)
  --socket PATH   the daemon's socket (default: $ATSYNCD_SOCKET or the platform default)

Exit codes: 0 all in order, 3 atsyncd is not running, 4 no atSign (or not this one) is
onboarded, 5 an atSign needs attention, is backing off, has unresolved conflicts or
changes the atServer rejected.
`;

export function statusExitCode(statuses: readonly SyncStatus[]): number {
  if (statuses.length === 0) return ExitCode.NotOnboarded;
  return statuses.some(needsAttention) ? ExitCode.NeedsAttention : ExitCode.Ok;
}

export interface PrintOptions extends TableOptions {
  utc?: boolean | undefined;
  now?: number;
}

export function printStatuses(statuses: readonly SyncStatus[], json: boolean, io: CliIO, o: PrintOptions = {}): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    return;
  }
  if (statuses.length === 0) {
    if (o.daemon) io.stdout.write(`${daemonLine(o.daemon, o.now ?? io.clock.now())}\n`);
    io.stdout.write("No atSign is onboarded: onboard one with `atsyncd onboard @atSign --atkeys FILE`.\n");
    return;
  }
  io.stdout.write(`${formatStatusTable(statuses, { now: o.now ?? io.clock.now(), utc: o.utc }, o).join("\n")}\n`);
}

const status: Command = {
  name: "status",
  summary: "show the daemon and each atSign's sync state (--json: the daemon's status objects)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...JSON_OPTION, ...UTC_OPTION, ...SOCKET_OPTION }, USAGE, { min: 0, max: 1 });
    const atSign = positionals[0] !== undefined ? atSignOperand(positionals[0], USAGE) : undefined;
    const [daemon, statuses] = await withClient(values.socket, io, { atSign }, (c) => Promise.all([c.describeDaemon(), c.status(atSign)]));
    printStatuses(statuses, values.json === true, io, { daemon, utc: values.utc });
    return statusExitCode(statuses);
  },
};

export default status;
