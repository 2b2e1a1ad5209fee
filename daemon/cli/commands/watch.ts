// `atsyncd watch [@atSign] [--json]`: streams the daemon's events until Ctrl-C, like
// `tailscale debug watch-ipn`: one line per sync (↑/↓ counts, duration), key change, conflict,
// rejection and state change; --verbose adds every event. The stream opens with a snapshot and
// resumes by itself if the daemon restarts, saying so.
import { EventKinds, type EventKind } from "../../../shared/events.js";
import { JSON_OPTION, SOCKET_OPTION, UTC_OPTION, parseCommandArgs, usageError } from "../args.js";
import { ExitCode, type Command } from "../Command.js";
import { formatEvent, noticeLine } from "../format/eventText.js";
import { atSignOperand } from "../operands.js";
import { connectCli } from "../withClient.js";
import { explainError } from "../explainError.js";

const USAGE = `Usage: atsyncd watch [@atSign] [--kind KIND]... [--regex REGEX] [--verbose] [--utc] [--json] [--socket PATH]

Prints the daemon's events as they happen (first each atSign's state now), until Ctrl-C:
one line per sync with what it uploaded (↑) and downloaded (↓) and how long it took, and a
line per key change, conflict, rejected change, notification and state change (online →
offline and back). Syncs that moved nothing, and the events that only say a sync is under
way, are left out unless --verbose. Times are local, with their UTC offset (--utc: UTC).
Values are never printed, except in --json as the daemon sends them. If the connection to
atsyncd is lost it says so, reconnects, and says whether events were missed (resync).
  --kind KIND     only these kinds (repeatable): ${EventKinds.join(", ")}
  --regex REGEX   only key events whose atKey matches
  --verbose       every event, sync.started and status.changed included
  --utc           times in UTC
  --json          one JSON event per line (NDJSON)
  --socket PATH   the daemon's socket

Exit codes: 0 stopped by Ctrl-C, 3 atsyncd is not running, 4 the atSign is not onboarded.
`;

const watch: Command = {
  name: "watch",
  summary: "stream the daemon's events until Ctrl-C (one line per sync)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      kind: { type: "string", multiple: true }, regex: { type: "string" }, verbose: { type: "boolean" }, ...UTC_OPTION, ...JSON_OPTION, ...SOCKET_OPTION,
    }, USAGE, { min: 0, max: 1 });
    const atSign = positionals[0] !== undefined ? atSignOperand(positionals[0], USAGE) : undefined;
    const kinds = values.kind ?? [];
    for (const k of kinds) if (!(EventKinds as readonly string[]).includes(k)) throw usageError(`unknown event kind ${JSON.stringify(k)}`, USAGE);
    const client = await connectCli(values.socket, io, { atSign });
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const json = values.json === true;
    const time = { utc: values.utc };
    const notice = (text: string): void => {
      if (!json) io.stdout.write(`${noticeLine(text, io.clock.now(), time)}\n`);
    };
    try {
      // An atSign that is not onboarded is exit 4, as for every other command (not an empty stream).
      if (atSign !== undefined) await client.status(atSign);
      const stream = client.subscribe({
        ...(atSign ? { atSigns: [atSign] } : {}),
        ...(kinds.length > 0 ? { kinds: kinds as EventKind[] } : {}),
        ...(values.regex !== undefined ? { regex: values.regex } : {}),
      }, {
        signal: stop.signal,
        onConnection: (c) => notice(c.kind === "lost" ? "connection to atsyncd lost, reconnecting"
          : c.resync ? "reconnected (resync): atsyncd restarted, so events in between are not shown; its state now follows"
          : "reconnected, no event missed"),
      });
      // Kinds asked for by name are shown whatever they are.
      const verbose = values.verbose === true || kinds.length > 0;
      for await (const e of stream) {
        if (json) io.stdout.write(`${JSON.stringify(e)}\n`);
        else for (const line of formatEvent(e, { now: io.clock.now(), ...time, verbose })) io.stdout.write(`${line}\n`);
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
