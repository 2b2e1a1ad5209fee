// Turns whatever a sync run threw into a code, a redacted message and whether to retry.
import { AtProtocolError } from "../../protocol/errors.js";
import type { SyncErrorInfo } from "./events.js";

/** AT codes that no retry will fix: authentication refused, or the enrollment is not usable. */
const NEEDS_ATTENTION = new Set(["AT0401", "AT0025", "AT0026", "AT0027"]);

export function classifyError(err: unknown): SyncErrorInfo {
  if (err instanceof AtProtocolError) {
    return { code: err.code, message: err.message, retryable: !NEEDS_ATTENTION.has(err.code) };
  }
  if (err instanceof Error) {
    const rec = err as Error & { code?: unknown; retryable?: unknown; fatal?: unknown };
    const code = typeof rec.code === "string" ? rec.code : err.name;
    // A corrupt store or a refused login will fail the same way on every retry.
    const retryable = rec.fatal === true ? false : typeof rec.retryable === "boolean" ? rec.retryable : true;
    return { code, message: err.message, retryable };
  }
  return { code: "ATSYNC_UNKNOWN", message: String(err), retryable: true };
}
