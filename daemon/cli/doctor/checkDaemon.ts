// doctor: is a daemon answering on the socket, and what does it say about each atSign?
import { AtsyncClient } from "../../../client/AtsyncClient.js";
import { AtsyncError, ErrorCode } from "../../../shared/errors.js";
import type { SyncStatus } from "../../../shared/status.js";
import type { Clock } from "../../ports.js";
import { describeState } from "../format/statusText.js";
import { check, type CheckResult } from "./Check.js";

export async function checkDaemon(socketPath: string, clock: Clock): Promise<{ results: CheckResult[]; statuses: SyncStatus[] | undefined }> {
  let client: AtsyncClient;
  try {
    client = await AtsyncClient.connect({ socketPath, clientName: `atsyncd-doctor/${process.pid}` });
  } catch (err) {
    if (AtsyncError.is(err, ErrorCode.DaemonNotRunning)) {
      return { results: [check("daemon", "fail", `atsyncd is not running (nothing answers on ${socketPath})`, "start it with `atsyncd run`, or `atsyncd install-service` to run it as a service (`systemctl --user start atsyncd` if installed)")], statuses: undefined };
    }
    if (AtsyncError.is(err, ErrorCode.SocketPermissionDenied)) {
      return { results: [check("daemon", "fail", err.message, "run the command as the user the daemon runs as, or join its group for a system-wide daemon")], statuses: undefined };
    }
    if (AtsyncError.is(err, ErrorCode.SocketNotOurs)) {
      return { results: [check("daemon", "fail", err.message, "another user may be listening there: find who owns it (`ls -la` of the socket's directory), and run your own atsyncd in a directory of yours (SECURITY.md)")], statuses: undefined };
    }
    return { results: [check("daemon", "fail", err instanceof Error ? err.message : String(err), "restart atsyncd")], statuses: undefined };
  }
  try {
    const statuses = await client.status();
    const results = [check("daemon", "ok", `atsyncd ${client.daemonVersion} answers on ${socketPath}`)];
    if (statuses.length === 0) {
      results.push(check("atSigns", "warn", "no atSign is onboarded", "onboard one with `atsyncd onboard @atSign --atkeys FILE`"));
    }
    for (const s of statuses) {
      if (s.state.kind === "needs-attention") {
        const fix = s.state.code === ErrorCode.AuthFailed
          ? `its keys were refused: \`atsyncd offboard ${s.atSign}\`, then onboard its current .atKeys file`
          : `see \`atsyncd status ${s.atSign}\` and the daemon's log`;
        results.push(check(`${s.atSign} sync`, "fail", describeState(s, { now: clock.now() }), fix));
      } else if (s.state.kind === "backoff" || s.state.kind === "offline") {
        results.push(check(`${s.atSign} sync`, "warn", describeState(s, { now: clock.now() }), "it retries by itself; the checks below say whether its atServer is reachable"));
      }
    }
    return { results, statuses };
  } catch (err) {
    return { results: [check("daemon", "fail", `atsyncd accepted the connection but did not answer: ${err instanceof Error ? err.message : String(err)}`, "restart atsyncd")], statuses: undefined };
  } finally {
    await client.close();
  }
}
