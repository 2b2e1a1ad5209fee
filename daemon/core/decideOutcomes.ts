// What a batch's outcomes do to the outbox: acknowledged rows are done, transient failures wait
// for their retry time (exponential, capped), permanent ones are rejected with the server's error.
import { retryDelayMs, type PushOutcome } from "./batchReply.js";
import type { StoreOp } from "./storeOps.js";
import { ackProbes } from "./reset.js";
import type { ChangeOp, KeyFacts, OutboxId, ResetProbe } from "./types.js";

export interface OutcomeDecision {
  ops: StoreOp[];
  /**
   * An acknowledged commit id at or below one the server had already given (our last received
   * id, or the key's own commit id): commit ids only rise on one log, so the server lost data.
   */
  serverWentBack: boolean;
}

/**
 * `probes`: the sync state's reset probes; every acknowledged commit id joins them (reset.ts), so
 * a server that forgets it before the echo is pulled is caught.
 */
export function decideOutcomes(
  outcomes: readonly PushOutcome[],
  facts: ReadonlyMap<string, KeyFacts>,
  nowMs: number,
  state: { probes: readonly ResetProbe[]; lastReceivedCommitId: number },
  /** The server's clock minus ours: an ack's receipt, on the server's clock, bounds when it applied the push. */
  clockOffsetMs = 0,
  /** The server's clock was at least this when it applied the batch (its sending, by the offset's lower bound). */
  appliedNotBeforeMs: number | null = null,
): OutcomeDecision {
  const ops: StoreOp[] = [];
  const acks: { atKey: string; commitId: number; operation: ChangeOp; value: string | null }[] = [];
  const commitOf = new Map<string, number>();
  let serverWentBack = false;
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
    const known = commitOf.get(atKey) ?? f?.key?.commitId ?? null;
    if (o.commitId <= state.lastReceivedCommitId || (known !== null && o.commitId <= known)) serverWentBack = true;
    commitOf.set(atKey, o.commitId);
    const sent = (f?.pending ?? []).find((r) => o.changeIds.includes(r.id) && r.sent !== null)?.sent ?? null;
    acks.push({ atKey, commitId: o.commitId, operation: o.operation ?? sent?.op ?? "*", value: sent?.value ?? f?.key?.value ?? null });
    // The key's version on the server is the one just written; its time is learnt from its echo.
    if (!f?.key && o.operation === "-") {
      // A delete of a key this device never held has no row to carry the commit id: it gets a
      // tombstone, as a pulled delete does, or its echo, met by a re-create, would pass for
      // another client's newer delete.
      ops.push({ op: "putKey", atKey, value: null, metadata: null, deleted: true, commitId: o.commitId, serverTimeMs: null, atMs: nowMs });
    } else {
      ops.push({ op: "verifyKey", atKey, commitId: o.commitId, serverTimeMs: null });
      ops.push({ op: "boundServerTime", atKey, boundMs: nowMs + clockOffsetMs });
    }
  }
  if (acks.length > 0) ops.push({ op: "setSyncState", patch: { probes: ackProbes(state.probes, acks, appliedNotBeforeMs) } });
  return { ops, serverWentBack };
}
