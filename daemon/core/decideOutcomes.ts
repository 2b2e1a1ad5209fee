// What a batch's outcomes do to the outbox: acknowledged rows are done, transient failures wait
// for their retry time (exponential, capped), permanent ones are rejected with the server's error.
import { retryDelayMs, type PushOutcome } from "./batchReply.js";
import type { StoreOp } from "./storeOps.js";
import type { KeyFacts, OutboxId } from "./types.js";

export function decideOutcomes(outcomes: readonly PushOutcome[], facts: ReadonlyMap<string, KeyFacts>, nowMs: number): StoreOp[] {
  const ops: StoreOp[] = [];
  const commitOf = new Map<string, number | null>();
  for (const o of outcomes) {
    const f = facts.get(o.atKey.toLowerCase());
    if (o.kind === "rejected") {
      ops.push({ op: "rejectChanges", ids: o.changeIds, error: `${o.code}: ${o.error}` });
      continue;
    }
    if (o.kind === "retry") {
      const ids = new Set<number>(o.changeIds);
      const attempts = Math.max(0, ...(f?.pending ?? []).filter((r) => ids.has(r.id)).map((r) => r.attempts));
      ops.push({ op: "retryChanges", ids: o.changeIds, error: `${o.code}: ${o.error}`, nextRetryAtMs: nowMs + retryDelayMs(attempts + 1) });
      continue;
    }
    // The server now holds a later state of the key than any older row still pending (a delete
    // that failed before the re-create that followed it succeeded): resending it would undo that.
    const first = Math.min(...o.changeIds);
    const earlier = (f?.pending ?? []).filter((r) => r.id < first && !o.changeIds.includes(r.id)).map((r) => r.id as OutboxId);
    ops.push({ op: "commitChanges", ids: [...earlier, ...o.changeIds], commitId: o.commitId });
    if (o.commitId === null) continue;
    const atKey = o.atKey.toLowerCase();
    const known = commitOf.has(atKey) ? commitOf.get(atKey)! : (f?.key?.commitId ?? null);
    if (known === null || o.commitId > known) {
      commitOf.set(atKey, o.commitId);
      // A new version on the server: its time is learnt from its echo.
      ops.push({ op: "verifyKey", atKey, commitId: o.commitId, serverTimeMs: null });
    }
  }
  return ops;
}
