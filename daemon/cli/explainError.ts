// Turns what the daemon or the client library threw into one sentence a person can act on,
// with the exit code scripts rely on. Unknown failures pass through to main's handler.
import { NOT_RUNNING_MESSAGE } from "../../client/connectError.js";
import { keyOwner } from "../../shared/atKey.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import { CliError, ExitCode } from "./Command.js";

export interface ErrorContext {
  /** The atSign the command was about, for "onboard it with …" hints. */
  atSign?: string | undefined;
  /** The atKey the command was about, named instead of the daemon's parameter name. */
  key?: string | undefined;
}

function socketOf(err: AtsyncError): string | undefined {
  const d = err.data as { socketPath?: unknown } | undefined;
  return typeof d?.socketPath === "string" ? d.socketPath : undefined;
}

function otherOwner(err: AtsyncError, atSign: string | undefined): boolean {
  const key = (err.data as { key?: unknown } | undefined)?.key;
  return atSign !== undefined && typeof key === "string" && keyOwner(key) !== undefined && keyOwner(key) !== atSign;
}

export function explainError(err: unknown, ctx: ErrorContext = {}): unknown {
  if (CliError.is(err) || !AtsyncError.is(err)) return err;
  const a = ctx.atSign ?? "@atSign";
  const msg = err.message;
  switch (err.code) {
    case ErrorCode.DaemonNotRunning: {
      const socket = socketOf(err);
      return new CliError(`${NOT_RUNNING_MESSAGE}${socket ? `; nothing answers on ${socket}` : ""}`, ExitCode.NotRunning);
    }
    case ErrorCode.SocketPermissionDenied:
    case ErrorCode.SocketNotOurs:
      return new CliError(msg, ExitCode.Failure);
    case ErrorCode.ConnectionClosed:
      return new CliError(`${msg}; is atsyncd stopping? Check with \`atsyncd status\``, ExitCode.Failure);
    case ErrorCode.ProtocolVersionMismatch:
      return new CliError(`${msg}; restart atsyncd so the CLI and the daemon are the same version`, ExitCode.Failure);
    case ErrorCode.NotOnboarded:
      return new CliError(`${msg}: onboard it with \`atsyncd onboard ${a} --atkeys FILE\``, ExitCode.NotOnboarded);
    case ErrorCode.AlreadyOnboarded:
      return new CliError(`${msg}; to replace its keys run \`atsyncd offboard ${a}\` first`, ExitCode.Failure);
    case ErrorCode.InvalidAtKeys:
      return new CliError(`${msg}; use the .atKeys file exported for ${a} when it was activated, unchanged`, ExitCode.Failure);
    case ErrorCode.AuthFailed:
      return new CliError(`${msg}: these keys are not (or no longer) valid for ${a}; export its current .atKeys file and onboard again`, ExitCode.Failure);
    case ErrorCode.KeyStoreUnavailable:
      return new CliError(`${msg}; \`atsyncd doctor\` checks the key store`, ExitCode.Failure);
    case ErrorCode.RemoteUnavailable:
      return new CliError(/knows no atServer/u.test(msg)
        ? `${msg}: check the spelling of the atSign and that it is activated`
        : `${msg}; check the network and \`atsyncd doctor\``, ExitCode.Failure);
    case ErrorCode.KeyNotFound:
      // Another atSign's key (a lookup): our listing would not show it.
      if (otherOwner(err, ctx.atSign)) return new CliError(msg, ExitCode.Failure);
      return new CliError(`${msg}; \`atsyncd ls ${a}\` lists its keys`, ExitCode.Failure);
    case ErrorCode.ConflictNotFound:
      return new CliError(`${msg}; \`atsyncd conflicts ${a}\` lists the open ones`, ExitCode.Failure);
    case ErrorCode.Timeout:
      return new CliError(`${msg}; it goes on in the background, \`atsyncd status\` shows how far it got`, ExitCode.NeedsAttention);
    case ErrorCode.NeedsAttention:
    case ErrorCode.SyncFailed:
      return new CliError(`${msg}; \`atsyncd status\` says more`, ExitCode.NeedsAttention);
    case ErrorCode.InvalidParams:
    case ErrorCode.InvalidAtSign:
    case ErrorCode.InvalidAtKey:
    case ErrorCode.InvalidRegex:
    case ErrorCode.ReadOnlyKey:
    case ErrorCode.ValueTooLarge:
      return new CliError(msg.replace(/^invalid params: /u, "").replace(/^'key'/u, ctx.key !== undefined ? `the key ${ctx.key}` : "the key"), ExitCode.Usage);
    default:
      return new CliError(msg, ExitCode.Failure);
  }
}
