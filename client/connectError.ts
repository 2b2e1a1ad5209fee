// Turns a failed connect into a sentence a person can act on (tailscale's
// fixTailscaledConnectError): not running, or not allowed.

import { AtsyncError, ErrorCode } from "../shared/errors.js";

export const NOT_RUNNING_MESSAGE =
  "atsyncd is not running: start it with `atsyncd run` (or `systemctl --user start atsyncd`)";

export function connectError(err: unknown, socketPath: string): AtsyncError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT" || code === "ECONNREFUSED" || code === "ENOTDIR") {
    return new AtsyncError(ErrorCode.DaemonNotRunning, NOT_RUNNING_MESSAGE, { socketPath });
  }
  if (code === "EACCES" || code === "EPERM") {
    return new AtsyncError(ErrorCode.SocketPermissionDenied,
      `no permission to use the atsyncd socket ${socketPath}: it belongs to another user; run as that user or start your own daemon`,
      { socketPath });
  }
  return new AtsyncError(ErrorCode.ConnectionClosed,
    `cannot connect to atsyncd at ${socketPath}: ${code ?? (err instanceof Error ? err.message : String(err))}`, { socketPath });
}
