// The worker's one error boundary (house-style §12): whatever a handler threw becomes the
// wire error main hands to the app. Messages are redacted; stacks never leave.
import { AtProtocolError } from "../../protocol/errors.js";
import { AtsyncError, AuthRefusedAtCodes, ErrorCode, InternalCode, UnreachableAtCodes, type ErrorObject } from "../../shared/errors.js";
import type { ErrorInfo } from "../../shared/status.js";
import { redactText } from "../log/redact.js";
import { StoreError } from "../store/StoreError.js";
import type { SyncErrorInfo } from "../sync/events.js";

const isAuthRefused = (code: string): boolean => code === InternalCode.AUTH_FAILED || AuthRefusedAtCodes.has(code);
const isUnreachable = (code: string): boolean => code === InternalCode.REMOTE_UNAVAILABLE || UnreachableAtCodes.has(code);

/** The shared/errors.ts code of a sync failure's string code. */
export function syncErrorCode(code: string): ErrorCode {
  if (isAuthRefused(code)) return ErrorCode.AuthFailed;
  if (isUnreachable(code)) return ErrorCode.RemoteUnavailable;
  return ErrorCode.SyncFailed;
}

export function toErrorInfo(e: SyncErrorInfo, at: number): ErrorInfo {
  return { code: syncErrorCode(e.code), message: redactText(e.message).slice(0, 500), at };
}

export function toAtsyncError(err: unknown): AtsyncError {
  if (AtsyncError.is(err)) return err instanceof AtsyncError ? err : AtsyncError.fromJSON(err);
  if (err instanceof StoreError) {
    if (err.code === InternalCode.STORE_KEY_NOT_FOUND) return new AtsyncError(ErrorCode.KeyNotFound, err.message);
    if (err.code === InternalCode.STORE_BAD_KEY) return new AtsyncError(ErrorCode.InvalidAtKey, err.message);
    return new AtsyncError(ErrorCode.Internal, `local store: ${err.message}`);
  }
  if (err instanceof AtProtocolError) {
    if (err.code === "AT0016") return new AtsyncError(ErrorCode.InvalidAtKey, redactText(err.message));
    return new AtsyncError(syncErrorCode(err.code), redactText(err.message));
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && (code === InternalCode.REMOTE_UNAVAILABLE || isAuthRefused(code))) {
      return new AtsyncError(syncErrorCode(code), redactText(err.message));
    }
    if (code === InternalCode.ATSYNC_STOPPED) return new AtsyncError(ErrorCode.ShuttingDown, "the worker is stopping");
    return new AtsyncError(ErrorCode.Internal, redactText(`${err.name}: ${err.message}`).slice(0, 500));
  }
  return new AtsyncError(ErrorCode.Internal, "unknown failure in the worker");
}

export function toWireError(err: unknown): ErrorObject {
  return toAtsyncError(err).toJSON();
}
