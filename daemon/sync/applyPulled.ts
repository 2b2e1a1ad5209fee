// Carries a batch of pulled entries through the engine: read the facts of their keys, let
// daemon/core/decidePage decide, apply its operations in one transaction.
import { decidePage, keysOfEntries, type RemoteKeyChange } from "../core/decidePage.js";
import type { ConflictPolicy, ConflictRecord, RemoteEntry } from "../core/types.js";
import type { Clock, Store } from "../ports.js";

export type { RemoteKeyChange } from "../core/decidePage.js";

export interface PullApplyContext {
  store: Store;
  clock: Clock;
  policy: ConflictPolicy;
  /** The server's clock minus ours, as last measured. */
  clockOffsetMs(): number;
  /** When the server's head first reached a commit id (its clock), if known. */
  writtenBy?: (commitId: number) => number | null;
}

export interface PullApplyResult {
  changed: RemoteKeyChange[];
  conflicts: ConflictRecord[];
  requeued: number;
}

/** `provenUpTo`: the last received id the caller's complete ranges prove after these entries. */
export function applyPulled(ctx: PullApplyContext, entries: readonly RemoteEntry[], provenUpTo: number): PullApplyResult {
  const state = ctx.store.syncState();
  const d = decidePage({
    entries,
    facts: ctx.store.facts(keysOfEntries(entries)),
    policy: ctx.policy,
    nowMs: ctx.clock.now(),
    clockOffsetMs: ctx.clockOffsetMs(),
    repair: state.repairInProgress,
    watermarkMs: state.serverTimeWatermarkMs,
    lastReceivedCommitId: state.lastReceivedCommitId,
    provenUpTo,
    probes: state.probes,
    writtenBy: ctx.writtenBy,
  });
  const { conflictIds } = ctx.store.apply(d.ops);
  return { changed: d.changed, conflicts: d.conflicts.map((c, i) => ({ ...c, id: conflictIds[i]! })), requeued: d.requeued };
}
