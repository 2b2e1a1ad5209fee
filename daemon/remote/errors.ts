// Failures of the atProtocol client, classified for the supervisor (house-style §13):
// RemoteUnavailableError is retryable (network, timeout), AuthFailedError needs the user.
// Messages never carry keys, challenges, signatures or values.
import { AtProtocolError } from "../../protocol/errors.js";
import { InternalCode } from "../../shared/errors.js";

export type UnavailableReason = "connect" | "tls" | "timeout" | "closed" | "root";

export class RemoteUnavailableError extends Error {
  readonly code = InternalCode.REMOTE_UNAVAILABLE;
  readonly retryable = true;
  readonly reason: UnavailableReason;

  constructor(reason: UnavailableReason, message: string) {
    super(message);
    this.name = "RemoteUnavailableError";
    this.reason = reason;
  }
}

/**
 * An AT-coded failure raised on this side, not an `error:` reply of the atServer: a command
 * refused before it is sent (AT0022, AT0005), or a root directory that names no atServer for
 * the atSign (AT0007). It is an AtProtocolError for every caller, but proves nothing about
 * whether the atServer answers (daemon/status/HealthTrackingRemote.ts).
 */
export class LocalProtocolError extends AtProtocolError {}

export class AuthFailedError extends Error {
  readonly code = InternalCode.AUTH_FAILED;
  readonly retryable = false;
  /** The server's AT code (one of AuthRefusedAtCodes), or undefined when refused locally. */
  readonly atCode: string | undefined;

  constructor(message: string, atCode?: string) {
    super(message);
    this.name = "AuthFailedError";
    this.atCode = atCode;
  }
}

/** Describes a socket-level error by its code only (messages can quote addresses; that is fine, but keep it short). */
export function describeSocketError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? code : err.message;
  }
  return "unknown error";
}
