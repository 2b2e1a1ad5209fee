// Reading a `batch` reply item by item: a commit id, a transient failure (retry with backoff)
// or a permanent one (rejected with the server's error). Nothing is dropped silently.
import { AuthRefusedAtCodes as AUTH, InternalCode, PermanentAtCodes as PERMANENT } from "../../shared/errors.js";
import type { PushCommand } from "./pushPlan.js";
import type { ChangeOp, OutboxId } from "./types.js";

export type PushOutcome =
  /** `operation`: what the acknowledged command did ("-" a delete; "*" when absent), for the reset probes. */
  | { kind: "committed"; atKey: string; changeIds: OutboxId[]; commitId: number | null; operation?: ChangeOp }
  | { kind: "retry"; atKey: string; changeIds: OutboxId[]; code: string; error: string }
  | { kind: "rejected"; atKey: string; changeIds: OutboxId[]; code: string; error: string };

export function isPermanentError(code: string): boolean {
  return PERMANENT.has(code);
}

export function isAuthError(code: string): boolean {
  return AUTH.has(code);
}

/** Code used for items the server left out of its reply (an exception without an error code). */
export const MISSING_ITEM_CODE = InternalCode.ATSYNC_MISSING_ITEM;

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

/** Code for a reply that cannot be trusted as a whole: every item is retried. */
export const BAD_REPLY_CODE = InternalCode.ATSYNC_BAD_REPLY;

/**
 * The reply's items by id, or null when the reply cannot be matched to the commands: not a
 * list, or an id that is not one of 1..n or appears twice. A reply that numbers its items
 * differently would attribute one key's commit id to another, and a commit id that is too high
 * makes a later pull skip another device's write of that key.
 */
function parseItems(reply: string, n: number): Map<number, unknown> | null {
  const items = new Map<number, unknown>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  for (const item of parsed as unknown[]) {
    if (item === null || typeof item !== "object") return null;
    const rec = item as Record<string, unknown>;
    const id = typeof rec.id === "number" ? rec.id : typeof rec.id === "string" ? Number(rec.id) : NaN;
    if (!Number.isInteger(id) || id < 1 || id > n || items.has(id)) return null;
    items.set(id, rec.response);
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
    const operation: ChangeOp = cmd.sent?.op ?? (cmd.command.startsWith("delete:") ? "-" : "*");
    return { kind: "committed", atKey: cmd.atKey, changeIds: cmd.changeIds, commitId: n >= 0 ? n : null, operation };
  }
  // No commit id is no acknowledgement (the server says -1 for keys it does not commit). If it
  // did apply the command, the next pull recognises the echo (SqliteStore.markSent).
  return failure(cmd, BAD_REPLY_CODE, "batch item reply without a commit id");
}

/**
 * One outcome per command, in order; items missing from the reply count as transient failures.
 * The server runs a batch's commands in order, so its commit ids must rise with the item ids:
 * a reply that says otherwise is not trusted for any item.
 */
export function interpretBatchReply(batch: readonly PushCommand[], reply: string): PushOutcome[] {
  const items = parseItems(reply, batch.length);
  const untrusted = (): PushOutcome[] =>
    batch.map((cmd) => ({ kind: "retry" as const, atKey: cmd.atKey, changeIds: cmd.changeIds, code: BAD_REPLY_CODE, error: "batch reply does not match the commands" }));
  if (items === null) return untrusted();
  const outcomes = batch.map((cmd, i) => outcomeOf(cmd, items.get(i + 1)));
  let last = -Infinity;
  for (const o of outcomes) {
    if (o.kind !== "committed" || o.commitId === null) continue;
    if (o.commitId <= last) return untrusted();
    last = o.commitId;
  }
  return outcomes;
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
