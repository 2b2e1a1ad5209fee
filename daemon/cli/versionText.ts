// `atsyncd --version`: this CLI's version and the running daemon's, with a warning when they differ
// (a daemon left running across an upgrade answers with the old code).
import { AtsyncClient } from "../../client/AtsyncClient.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { ATSYNCD_VERSION } from "../../shared/version.js";
import type { CliIO } from "./Command.js";
import { formatDuration } from "./format/numbers.js";
import { cliSocketPath } from "./withClient.js";

/** The lines `--version` prints (without trailing newlines); never throws. */
export async function versionLines(socket: string | undefined, io: CliIO): Promise<string[]> {
  const path = cliSocketPath(socket, io);
  const lines = [`atsyncd ${ATSYNCD_VERSION} (this CLI)`];
  let daemonVersion: string | undefined;
  try {
    const client = await AtsyncClient.connect({ socketPath: path, clientName: `atsyncd-cli/${process.pid}` });
    try {
      const d = await client.describeDaemon();
      daemonVersion = d.version;
      lines.push(`atsyncd ${d.version} (the daemon: pid ${d.pid}, up ${formatDuration(io.clock.now() - d.startedAt)}, socket ${d.socketPath})`);
    } finally {
      await client.close();
    }
  } catch (err) {
    const data = AtsyncError.is(err) ? (err.data as { daemonVersion?: unknown } | undefined) : undefined;
    if (AtsyncError.is(err, ErrorCode.ProtocolVersionMismatch) && typeof data?.daemonVersion === "string") {
      daemonVersion = data.daemonVersion;
      lines.push(`atsyncd ${daemonVersion} (the daemon on ${path}; it speaks another protocol version, so this CLI cannot use it)`);
    } else if (AtsyncError.is(err, ErrorCode.DaemonNotRunning)) {
      lines.push(`no daemon is running (nothing answers on ${path})`);
    } else {
      lines.push(`the daemon on ${path} did not say its version: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (daemonVersion !== undefined && daemonVersion !== ATSYNCD_VERSION) {
    lines.push(`warning: the CLI is ${ATSYNCD_VERSION} but the daemon is ${daemonVersion}: restart the daemon (\`systemctl --user restart atsyncd\`, or stop and start \`atsyncd run\`) so both run the same code`);
  }
  return lines;
}
