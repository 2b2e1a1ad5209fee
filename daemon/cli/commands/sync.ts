// `atsyncd sync [@atSign] [--wait]`: asks for a sync now. With --wait it returns once in sync
// (or with the sync's error), drawing a progress bar on a TTY from the daemon's status
// events, or printing plain lines when stderr is not a terminal.
import type { AtsyncClient } from "../../../client/AtsyncClient.js";
import type { AtsyncEvent } from "../../../shared/events.js";
import { JSON_OPTION, SOCKET_OPTION, intOption, parseCommandArgs } from "../args.js";
import { ExitCode, type CliIO, type Command } from "../Command.js";
import { formatCount, formatDuration } from "../format/numbers.js";
import { ProgressLine, renderProgressBar } from "../format/progressBar.js";
import { atSignOperand } from "../operands.js";
import { withClient } from "../withClient.js";
import { printStatuses, statusExitCode } from "./status.js";

const USAGE = `Usage: atsyncd sync [@atSign] [--wait] [--timeout SECONDS] [--json] [--socket PATH]

Asks the daemon to sync now (every atSign, or one). Without --wait it returns at once.
  --wait             return once in sync, with the status (a progress bar on a terminal)
  --timeout SECONDS  give up waiting after this long (default 600); syncing goes on
  --json             print the statuses after the sync as JSON
  --socket PATH      the daemon's socket

Exit codes: as \`atsyncd status\`; also 1 when the sync failed.
`;

/** What --wait shows while it waits: a redrawn bar on a TTY, else one line per sync event. */
export function progressReporter(io: CliIO, tty: boolean): { onEvent(e: AtsyncEvent): void; done(): void } {
  const line = new ProgressLine(io.stderr);
  return {
    onEvent(e) {
      if (tty) {
        if (e.kind === "status.changed" && e.status.state.kind === "syncing") line.update(renderProgressBar(e.atSign, e.status.state.progress));
        else if (e.kind === "sync.started") line.update(`${e.atSign} syncing…`);
        return;
      }
      if (e.kind === "sync.completed") {
        io.stderr.write(`${e.atSign}: sync completed in ${formatDuration(e.durationMs)} (${formatCount(e.counts.uploaded)} uploaded, ${formatCount(e.counts.downloaded)} downloaded)\n`);
      } else if (e.kind === "sync.failed") io.stderr.write(`${e.atSign}: sync failed: ${e.error.message}\n`);
    },
    done: () => line.clear(),
  };
}

async function syncAndWatch(c: AtsyncClient, atSign: string | undefined, timeoutMs: number, report: ReturnType<typeof progressReporter> | undefined) {
  if (report === undefined) return c.syncNow({ ...(atSign ? { atSign } : {}), wait: true, timeoutMs });
  const stream = c.subscribe({ kinds: ["status.changed", "sync.started", "sync.completed", "sync.failed"], ...(atSign ? { atSigns: [atSign] } : {}) });
  // The snapshot opens every stream: once it is here, no event of this sync can be missed.
  await stream.next();
  const pump = (async () => {
    for await (const e of stream) report.onEvent(e);
  })().catch(() => undefined); // the stream's end is not this command's failure
  try {
    return await c.syncNow({ ...(atSign ? { atSign } : {}), wait: true, timeoutMs });
  } finally {
    await stream.close();
    await pump;
    report.done();
  }
}

const sync: Command = {
  name: "sync",
  summary: "sync now (--wait: until in sync, with progress)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      wait: { type: "boolean" }, timeout: { type: "string" }, ...JSON_OPTION, ...SOCKET_OPTION,
    }, USAGE, { min: 0, max: 1 });
    const atSign = positionals[0] !== undefined ? atSignOperand(positionals[0], USAGE) : undefined;
    const timeoutMs = (intOption(values.timeout, "timeout", USAGE, 1) ?? 600) * 1000;
    const json = values.json === true;
    return withClient(values.socket, io, { atSign }, async (c) => {
      if (values.wait !== true) {
        const r = await c.syncNow(atSign ? { atSign } : {});
        if (json) io.stdout.write(`${JSON.stringify(r.statuses, null, 2)}\n`);
        else io.stdout.write(`Sync requested for ${r.statuses.map((s) => s.atSign).join(", ") || "no atSign (none is onboarded)"}.\n`);
        return r.statuses.length === 0 ? ExitCode.NotOnboarded : ExitCode.Ok;
      }
      const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
      const report = json ? undefined : progressReporter(io, tty);
      const r = await syncAndWatch(c, atSign, timeoutMs, report);
      // The key-file warning is status's to give, once; not after every sync.
      printStatuses(r.statuses, json, io, { keyFileWarning: false });
      return statusExitCode(r.statuses);
    });
  },
};

export default sync;
