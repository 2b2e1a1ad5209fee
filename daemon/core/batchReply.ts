// Reading a `batch` reply item by item: a commit id, a transient failure (retry with backoff)
// or a permanent one (rejected with the server's error). Nothing is dropped silently.
import type { PushCommand } from "./pushPlan.js";
import type { OutboxId } from "./types.js";

export type PushOutcome =
  | { kind: "committed"; atKey: string; changeIds: OutboxId[]; commitId: number | null }
  | { kind: "retry"; atKey: string; changeIds: OutboxId[]; code: string; error: string }
  | { kind: "rejected"; atKey: string; changeIds: OutboxId[]; code: string; error: string };

/**
 * Codes that will fail the same way however often the same command is sent: bad syntax, bad
 * key, too big, not allowed, a key to update:meta that the server does not have. Everything
 * else (server, datastore, timeouts, pause, rate limits, unknown codes) is worth retrying.
 */
const PERMANENT = new Set([
  "AT0003", "AT0005", "AT0009", "AT0015", "AT0016", "AT0022", "AT0025", "AT0026", "AT0027", "AT0401",
]);

export function isPermanentError(code: string): boolean {
  return PERMANENT.has(code);
}

/** Code used for items the server left out of its reply (an exception without an error code). */
export const MISSING_ITEM_CODE = "ATSYNC_MISSING_ITEM";

export const RETRY_BASE_MS = 1000;
export const RETRY_MAX_MS = 5 * 60_000;

/** Delay before the n-th retry of a failed item (n ≥ 1): exponential, capped. */
export function retryDelayMs(attempt: number): number {
  const exp = Math.min(30, Math.max(0, attempt - 1));
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** exp);
}

function failure(cmd: PushCommand, code: string, error: string): PushOutcome {
  const kind = isPermanentError(code) ? "rejected" : "retry";
  return { kind, atKey: cmd.atKey, changeIds: cmd.changeIds, code, error };
}

function parseItems(reply: string): Map<number, unknown> {
  const items = new Map<number, unknown>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply);
  } catch {
    return items;
  }
  if (!Array.isArray(parsed)) return items;
  for (const item of parsed as unknown[]) {
    if (item === null || typeof item !== "object") continue;
    const rec = item as Record<string, unknown>;
    const id = typeof rec.id === "number" ? rec.id : typeof rec.id === "string" ? Number(rec.id) : NaN;
    if (Number.isInteger(id)) items.set(id, rec.response);
  }
  return items;
}

function outcomeOf(cmd: PushCommand, response: unknown): PushOutcome {
  if (response === undefined || response === null || typeof response !== "object") {
    return failure(cmd, MISSING_ITEM_CODE, "the server left this item out of its batch reply");
  }
  const r = response as Record<string, unknown>;
  const code = r.error_code ?? r.errorCode;
  if (typeof code === "string" && code.length > 0) {
    const msg = r.error_message ?? r.errorMessage ?? r.errorDescription;
    return failure(cmd, code, typeof msg === "string" ? msg : code);
  }
  const data = r.data;
  const text = typeof data === "number" ? String(data) : typeof data === "string" ? data.trim() : "";
  if (/^-?\d+$/u.test(text)) {
    const n = Number(text);
    // -1: the server does not commit this key; it is stored, so the change is done.
    return { kind: "committed", atKey: cmd.atKey, changeIds: cmd.changeIds, commitId: n >= 0 ? n : null };
  }
  if (text === "null" || text === "") {
    return { kind: "committed", atKey: cmd.atKey, changeIds: cmd.changeIds, commitId: null };
  }
  return failure(cmd, MISSING_ITEM_CODE, "unreadable batch item reply");
}

/** One outcome per command, in order; items missing from the reply count as transient failures. */
export function interpretBatchReply(batch: readonly PushCommand[], reply: string): PushOutcome[] {
  const items = parseItems(reply);
  return batch.map((cmd, i) => outcomeOf(cmd, items.get(i + 1)));
}

/** Outcomes when the whole `batch` command got an `error:` reply. */
export function batchErrorOutcomes(batch: readonly PushCommand[], code: string, message: string): PushOutcome[] {
  // A permanent error is attributed to an item only when it travelled alone; otherwise every
  // item is retried, and retried items go alone (pushPlan.toBatches), isolating the bad one.
  if (batch.length === 1 && isPermanentError(code)) {
    return batch.map((cmd) => failure(cmd, code, message));
  }
  return batch.map((cmd) => ({ kind: "retry" as const, atKey: cmd.atKey, changeIds: cmd.changeIds, code, error: message }));
}
