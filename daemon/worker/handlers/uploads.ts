// uploads.list: the keys of this atSign whose changes the atServer has not taken, a page at a
// time: those pending (read a page at a time from the outbox, Store.pendingPage), and those it
// rejected for good that are still in effect (core/syncState.ts rejectedInEffect, the same the
// status counts), each with why. Keys in order; `next` is the key the next page starts after.
import { rejectedInEffect } from "../../core/syncState.js";
import type { ChangeOp } from "../../core/types.js";
import { UploadsList } from "../../../shared/methods.js";
import type { UploadItem, UploadsListResult } from "../../../shared/types.js";
import { refusal } from "../refusal.js";
import type { WorkerContext } from "../WorkerContext.js";

const DEFAULT_LIMIT = 100;

function opName(op: ChangeOp): UploadItem["op"] {
  return op === "-" ? "delete" : op === "#" ? "updateMeta" : "update";
}

export function uploadsList(ctx: WorkerContext, raw: unknown): UploadsListResult {
  const p = UploadsList.validate(raw, "");
  const limit = p.limit ?? DEFAULT_LIMIT;
  const after = p.after ?? null;
  if (p.state === "pending") {
    const rows = ctx.store.pendingPage(after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      state: p.state,
      items: page.map((r) => ({
        key: r.atKey, op: opName(r.op), since: r.sinceMs, changes: r.changes, attempts: r.attempts, nextRetryAt: r.nextRetryAtMs,
        error: r.lastError === null ? null : refusal(r.lastError), outsideFilter: !ctx.driver.uploads(r.atKey),
      })),
      total: ctx.store.pendingKeys().length,
      next: rows.length > limit ? page[page.length - 1]?.atKey ?? null : null,
    };
  }
  const rejected = rejectedInEffect(ctx.store.rejectedRows()).sort((a, b) => (a.atKey < b.atKey ? -1 : a.atKey > b.atKey ? 1 : 0));
  const from = after === null ? rejected : rejected.filter((c) => c.atKey > after);
  const page = from.slice(0, limit);
  return {
    state: p.state,
    items: page.map((c) => ({
      key: c.atKey, op: opName(c.op), since: c.createdAtMs, changes: 1, attempts: c.attempts, nextRetryAt: null, error: refusal(c.lastError), outsideFilter: false,
    })),
    total: rejected.length,
    next: from.length > limit ? page[page.length - 1]?.atKey ?? null : null,
  };
}
