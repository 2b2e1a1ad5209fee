// `atsyncd watch [@atSign] [--json]`: streams the daemon's events until Ctrl-C, like
// `tailscale debug watch-ipn`. The stream opens with a snapshot and resumes by itself if
// the daemon restarts.
import { EventKinds, type EventKind } from "../../../shared/events.js";
import { JSON_OPTION, SOCKET_OPTION, parseCommandArgs, usageError } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { formatEvent } from "../format/eventText.js";
import { atSignOperand } from "../operands.js";
import { connectCli } from "../withClient.js";
import { explainError } from "../explainError.js";

const USAGE = `Usage: atsyncd watch [@atSign] [--kind KIND]... [--regex REGEX] [--json] [--socket PATH]

Prints the daemon's events as they happen (first a snapshot of every status), until
Ctrl-C. Times are UTC. Values are never printed, except in --json as the daemon sends them.
  --kind KIND     only these kinds (repeatable): ${EventKinds.join(", ")}
  --regex REGEX   only key events whose atKey matches
  --json          one JSON event per line (NDJSON)
  --socket PATH   the daemon's socket
`;

const watch: Command = {
  name: "watch",
  summary: "stream the daemon's events until Ctrl-C",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      kind: { type: "string", multiple: true }, regex: { type: "string" }, ...JSON_OPTION, ...SOCKET_OPTION,
    }, USAGE, { min: 0, max: 1 });
    const atSign = positionals[0] !== undefined ? atSignOperand(positionals[0], USAGE) : undefined;
    const kinds = values.kind ?? [];
    for (const k of kinds) if (!(EventKinds as readonly string[]).includes(k)) throw usageError(`unknown event kind ${JSON.stringify(k)}`, USAGE);
    const client = await connectCli(values.socket, io, { atSign });
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const stream = client.subscribe({
        ...(atSign ? { atSigns: [atSign] } : {}),
        ...(kinds.length > 0 ? { kinds: kinds as EventKind[] } : {}),
        ...(values.regex !== undefined ? { regex: values.regex } : {}),
      }, { signal: stop.signal });
      for await (const e of stream) {
        io.stdout.write(values.json === true ? `${JSON.stringify(e)}\n` : `${formatEvent(e, { now: io.clock.now() })}\n`);
      }
      return ExitCode.Ok;
    } catch (err) {
      throw explainError(err, { atSign });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await client.close();
    }
  },
};

export default watch;
