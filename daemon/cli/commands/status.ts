// `atsyncd status [@atSign] [--json]`: one line per atSign (tailscale status); --json prints
// exactly the daemon's status.get array. Exit 0 when all is well, 3 not running, 4 nothing
// (or this atSign) onboarded, 5 when an atSign needs attention, backs off, has conflicts or
// holds changes the atServer rejected.
import type { SyncStatus } from "../../../shared/status.js";
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs } from "../args.js";
import { ExitCode, type CliIO, type Command } from "../Command.js";
import { formatStatusTable, needsAttention } from "../format/statusText.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";

const USAGE = `Usage: atsyncd status [@atSign] [--json] [--socket PATH]

Shows each onboarded atSign: its sync state, last successful sync, pending uploads (and
changes the atServer rejected), conflicts, and the local/server commit ids.
  --json          print the daemon's status objects (a JSON array) as they are
  --socket PATH   the daemon's socket (default: $ATSYNCD_SOCKET or the platform default)

Exit codes: 0 all in order, 3 atsyncd is not running, 4 no atSign (or not this one) is
onboarded, 5 an atSign needs attention, is backing off, has unresolved conflicts or
changes the atServer rejected.
`;

export function statusExitCode(statuses: readonly SyncStatus[]): number {
  if (statuses.length === 0) return ExitCode.NotOnboarded;
  return statuses.some(needsAttention) ? ExitCode.NeedsAttention : ExitCode.Ok;
}

export function printStatuses(statuses: readonly SyncStatus[], json: boolean, io: CliIO, now = io.clock.now()): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    return;
  }
  if (statuses.length === 0) {
    io.stdout.write("No atSign is onboarded: onboard one with `atsyncd onboard @atSign --atkeys FILE`.\n");
    return;
  }
  io.stdout.write(`${formatStatusTable(statuses, { now }).join("\n")}\n`);
}

const status: Command = {
  name: "status",
  summary: "show each atSign's sync state (--json: the daemon's status objects)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { ...JSON_OPTION, ...SOCKET_OPTION }, USAGE, { min: 0, max: 1 });
    const atSign = positionals[0] !== undefined ? atSignOperand(positionals[0], USAGE) : undefined;
    const statuses = await withClient(values.socket, io, { atSign }, (c) => c.status(atSign));
    printStatuses(statuses, values.json === true, io);
    return statusExitCode(statuses);
  },
};

export default status;
