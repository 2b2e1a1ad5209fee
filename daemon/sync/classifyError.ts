// Turns whatever a sync run threw into a code, a redacted message and whether to retry.
import { AtProtocolError } from "../../protocol/errors.js";
import { AuthRefusedAtCodes, InternalCode } from "../../shared/errors.js";
import type { SyncErrorInfo } from "./events.js";

export function classifyError(err: unknown): SyncErrorInfo {
  if (err instanceof AtProtocolError) {
    return { code: err.code, message: err.message, retryable: !AuthRefusedAtCodes.has(err.code) };
  }
  if (err instanceof Error) {
    const rec = err as Error & { code?: unknown; retryable?: unknown; fatal?: unknown };
    const code = typeof rec.code === "string" ? rec.code : err.name;
    // A corrupt store or a refused login will fail the same way on every retry.
    const retryable = rec.fatal === true ? false : typeof rec.retryable === "boolean" ? rec.retryable : true;
    return { code, message: err.message, retryable };
  }
  return { code: InternalCode.ATSYNC_UNKNOWN, message: String(err), retryable: true };
}
