// The engine's decisions carried out on a store, as the sync driver does them: for tests of the
// store and the core that want one call per step (a page, a batch's outcomes, a repair).
import type { PushOutcome } from "../../daemon/core/batchReply.js";
import { decideOutcomes } from "../../daemon/core/decideOutcomes.js";
import { KeyFilter } from "../../daemon/core/filter.js";
import { markSentOps, type PushCommand } from "../../daemon/core/pushPlan.js";
import { beginRepair, decideFilter, finishRepair, nextRetryAt } from "../../daemon/core/syncState.js";
import type { ConflictPolicy, RemoteEntry } from "../../daemon/core/types.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import type { Clock, Store } from "../../daemon/ports.js";
import { applyPulled, type PullApplyResult } from "../../daemon/sync/applyPulled.js";

const realClock: Clock = new SystemClock();

export function applyRemotePage(
  store: Store,
  entries: readonly RemoteEntry[],
  policy: ConflictPolicy,
  opts: { lastReceived?: number; clock?: Clock; clockOffsetMs?: number } = {},
): PullApplyResult & { lastReceivedCommitId: number } {
  const top = entries.reduce((m, e) => Math.max(m, e.commitId), store.syncState().lastReceivedCommitId);
  const res = applyPulled({ store, clock: opts.clock ?? realClock, policy, clockOffsetMs: () => opts.clockOffsetMs ?? 0 }, entries, opts.lastReceived ?? top);
  return { ...res, lastReceivedCommitId: store.syncState().lastReceivedCommitId };
}

export function applyPushOutcomes(store: Store, outcomes: readonly PushOutcome[], nowMs: number): void {
  store.apply(decideOutcomes(outcomes, store.facts([...new Set(outcomes.map((o) => o.atKey))]), nowMs, store.syncState()).ops);
}

export function markSent(store: Store, commands: readonly PushCommand[]): void {
  store.apply(markSentOps(commands, new Map(store.pendingChanges().map((r) => [r.id, r]))));
}

export function beginFullResync(store: Store): void {
  store.apply(beginRepair());
}

export function finishFullResync(store: Store, nowMs: number, filter = new KeyFilter(undefined)): string[] {
  const { ops, requeued } = finishRepair(store.unseenKeys(), new Set(store.pendingKeys()), filter, nowMs);
  store.apply(ops);
  return requeued;
}

export function useFilter(store: Store, regex: string | undefined): boolean {
  const d = decideFilter(store.syncState().filterRegex, regex);
  store.apply(d.ops);
  return d.restarted;
}

export function nextRetryAtMs(store: Store): number | null {
  return nextRetryAt(store.pendingRetries(), new KeyFilter(undefined));
}
