// Decisions over the sync state that are not about one server entry: the selective-sync filter
// changing, the start and end of a repair, which retries are due, what counts as pending.
import { isPushable, type KeyFilter } from "./filter.js";
import type { StoreOp } from "./storeOps.js";
import type { ChangeRecord, LocalKey, RejectedRow } from "./types.js";

/**
 * Keys a new filter includes may lie below the last received id pulled with the old one, so the
 * pull starts over from -1 (per-key commit ids make unchanged keys cheap to skip). Keys a repair
 * under the old filter left unseen (outside it, so never pulled again: their commit ids belong to
 * a log that is gone) make that pull a repair, so the new log's versions of them are ordered by
 * the server's clock and the ones it lost are queued again (`unseenLeft`). The head read under the
 * old filter is forgotten: the new filter's may be lower on the same log (`highestKnownCommitId`).
 */
export function decideFilter(stored: string | null, current: string | undefined, unseenLeft = false): { ops: StoreOp[]; restarted: boolean } {
  const regex = current ?? "";
  if (stored === regex) return { ops: [], restarted: false };
  const restarted = stored !== null;
  const patch = restarted
    ? { filterRegex: regex, lastReceivedCommitId: -1, serverCommitId: null, probes: [], ...(unseenLeft ? { repairInProgress: true } : {}) }
    : { filterRegex: regex };
  return { ops: [{ op: "setSyncState", patch }], restarted };
}

/** A repair pulls everything again from -1; every key is unseen until the re-pull brings it back. */
export function beginRepair(): StoreOp[] {
  return [{ op: "markAllUnseen" }, { op: "setSyncState", patch: { repairInProgress: true, lastReceivedCommitId: -1, probes: [] } }];
}

/**
 * The end of a repair: a key the re-pull did not bring back, with nothing pending, was lost by
 * the server, so it is queued again; a tombstone too, so the delete is back in the server's log
 * (another device that still holds the key live, and repairs after us, meets the delete instead
 * of pushing the key back). Keys outside the filter were never pulled: they say
 * nothing about what the server lost, and this device does not push them; they stay unseen
 * until a wider filter's pull repairs them (decideFilter). The commit id an
 * unseen key kept belongs to the log that is gone: it is cleared, so the ack of its re-push (a
 * lower id on the new log) is not taken for the server going back again.
 */
export function finishRepair(unseen: readonly LocalKey[], pendingKeys: ReadonlySet<string>, filter: KeyFilter, nowMs: number): { ops: StoreOp[]; requeued: string[] } {
  const ops: StoreOp[] = [];
  const requeued: string[] = [];
  for (const k of unseen) {
    if (!filter.matches(k.atKey)) continue;
    ops.push({ op: "markSeen", atKey: k.atKey });
    // Keys this device never pushes (`private:`, `local:`, a live `cached:` copy) were never on
    // the server's log: their absence says nothing about what it lost.
    if (!isPushable(k.atKey, k.deleted ? "-" : "*")) continue;
    if (k.commitId !== null) ops.push({ op: "verifyKey", atKey: k.atKey, commitId: null, serverTimeMs: k.serverTimeMs });
    if (pendingKeys.has(k.atKey)) {
      // A pending update:meta would meet a key the server no longer has: it carries the value.
      if (!k.deleted) ops.push({ op: "upgradeMetaOnly", atKey: k.atKey });
      continue;
    }
    ops.push({ op: "requeue", atKey: k.atKey, change: k.deleted ? "-" : "*", atMs: nowMs, versionTimeMs: versionTime(k) });
    requeued.push(k.atKey);
  }
  ops.push({ op: "setSyncState", patch: { repairInProgress: false } });
  return { ops, requeued };
}

/** Pulls a repair makes past its first target to catch up with a server still being written (repairCatchUp). */
export const MAX_REPAIR_CATCH_UPS = 8;

export type RepairCatchUp =
  | { kind: "finish" }
  | { kind: "went-back" }
  | { kind: "pull"; to: number }
  | { kind: "leave-open" };

/**
 * After a repair's re-pull, what a stats:3 read since (`head`) says: a head at our last received
 * id shows nothing past what the pull received (every id up to it was read after it was), so the
 * repair may finish and queue again what it did not see; a head below it is a log gone back; a
 * head above it is a server still being written, pulled to (`pullsDone` catch-ups so far) until
 * MAX_REPAIR_CATCH_UPS, then the repair is left open: the run does not finish it (its unseen keys
 * may be keys rewritten during the last pull, not keys the server lost), the status is not in
 * sync while it is open, and the driver starts the next run to resume it (nextRunAfterOpenRepair).
 */
export function repairCatchUp(head: number | null, lastReceivedCommitId: number, pullsDone: number): RepairCatchUp {
  const h = head ?? -1;
  if (h < lastReceivedCommitId) return { kind: "went-back" };
  if (h === lastReceivedCommitId) return { kind: "finish" };
  return pullsDone < MAX_REPAIR_CATCH_UPS ? { kind: "pull", to: h } : { kind: "leave-open" };
}

/**
 * When the run after one that left a repair open starts: at once the first time (the writer that
 * outran the catch-ups may have stopped), after the backoff's delay when runs leave it open again
 * in a row (a server written faster than a repair catches up is not asked every round trip).
 */
export function nextRunAfterOpenRepair(openRunsInARow: number): "now" | "backoff" {
  return openRunsInARow <= 1 ? "now" : "backoff";
}

/**
 * When the server held the version a requeue re-pushes, on its clock: exact for one we pulled,
 * at most the ack's receipt for our own push whose echo never came (null when neither is known).
 */
export function versionTime(k: LocalKey): number | null {
  return k.serverTimeMs ?? k.serverTimeBoundMs ?? null;
}

/**
 * The rejected changes still in effect, one per key (its latest), oldest first: a change the
 * server refused for good whose key has neither been written since (no later row) nor been
 * brought newer from the server (the key's row is not newer than the change). A rejected row stays
 * in the outbox forever; once the key moved on, it no longer needs anyone.
 */
export function rejectedInEffect(rows: readonly RejectedRow[]): ChangeRecord[] {
  return rows
    .filter((r) => !r.laterChange && !(r.keyUpdatedAtMs !== null && r.keyUpdatedAtMs > r.change.createdAtMs))
    .map((r) => r.change);
}

/** When the earliest transiently failed change that this device pushes is due, or null. */
export function nextRetryAt(retries: readonly { atKey: string; atMs: number }[], filter: KeyFilter): number | null {
  let at: number | null = null;
  for (const r of retries) if (filter.matches(r.atKey) && (at === null || r.atMs < at)) at = r.atMs;
  return at;
}

/** Keys with pending changes inside the filter (pushed) and outside it (kept on this device). */
export function countPending(keys: readonly string[], filter: KeyFilter): { inside: number; outside: number } {
  let inside = 0;
  for (const k of keys) if (filter.matches(k)) inside++;
  return { inside, outside: keys.length - inside };
}
