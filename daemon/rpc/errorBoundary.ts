// The one place where anything a handler throws becomes a wire error (house-style §12):
// AtsyncError passes through, an abort becomes RequestCancelled, anything else is
// logged and answered as Internal with no stack and no detail.

import type { Logger } from "../ports.js";
import { AtsyncError, ErrorCode, isErrorCode, type ErrorObject } from "../../shared/errors.js";

export function toErrorObject(err: unknown, method: string, log: Logger): ErrorObject {
  if (err instanceof AtsyncError) return err.toJSON();
  if (AtsyncError.is(err)) {
    // An AtsyncError from another realm (a worker's structured clone) keeps its code.
    const e = err as { code: number; message: string; data?: unknown };
    return e.data === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, data: e.data };
  }
  if (isAbort(err)) return { code: ErrorCode.RequestCancelled, message: `${method} was cancelled` };
  const errLike = err as { code?: unknown; message?: unknown } | null;
  if (errLike && typeof errLike === "object" && isErrorCode(errLike.code) && typeof errLike.message === "string"
    && errLike.code !== ErrorCode.Internal) {
    // A plain `{ code, message }` from a worker reply: already a wire error.
    return { code: errLike.code, message: errLike.message };
  }
  log.error("rpc handler failed", { method, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  return { code: ErrorCode.Internal, message: `internal error in ${method}` };
}

function isAbort(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError";
}
