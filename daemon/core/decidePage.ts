// The pull's decisions: what one batch of `sync:from` entries does to the local state. Pure:
// given the entries and the facts of their keys (read by the store beforehand), it returns the
// store operations, the keys that changed and the conflicts to record. Nothing else in the tree
// decides an echo, a conflict, a repair verdict or a tombstone (house-style §1).
//
// Rules (README "Conflicts and restores"):
// - An entry older than the version we hold (by commit id) is ignored; tombstones are kept for
//   ever, so an old update applied late (a parallel pull) never brings a deleted key back.
// - The echo of our own push (its state equals what a pending row carried) acknowledges the rows
//   up to it; it is never a conflict with ourselves. The echo of an acknowledged push gives the
//   key the server's times (createdAt, updatedAt, expiresAt).
// - A newer server version meeting a pending local change is a conflict under the policy.
// - During a repair (the server lost data), commit ids restart, so versions are ordered by the
//   server's clock instead: a server version older than ours is stale (ours is queued again, and
//   a conflict records it where it differs: it may be another client's write we never met),
//   a newer one wins, and where the order cannot be known the delete wins if either side is a
//   delete, else ours; every case where a differing value loses is recorded as a conflict.
import type { AtMetadata } from "../../protocol/metadata.js";
import { resolveConflict, sidesDiffer } from "./conflict.js";
import type { ConflictDraft, StoreOp } from "./storeOps.js";
import { nextProbes, timeOf, valueDigest } from "./reset.js";
import { versionTime } from "./syncState.js";
import type { ChangeOp, ConflictPolicy, ConflictSide, ConflictWinner, KeyFacts, LocalKey, PendingChange, RemoteEntry, ResetProbe } from "./types.js";

export interface RemoteKeyChange {
  atKey: string;
  op: "update" | "delete";
  commitId: number;
}

export interface PageInput {
  entries: readonly RemoteEntry[];
  /** Facts of every key of `entries`, by lowercased atKey. */
  facts: ReadonlyMap<string, KeyFacts>;
  policy: ConflictPolicy;
  /** Local clock. */
  nowMs: number;
  /** The server's clock minus ours, as last measured (0 when unknown). */
  clockOffsetMs: number;
  /** A repair after a server reset is under way. */
  repair: boolean;
  watermarkMs: number | null;
  /** The last received id before these entries, and the one the caller's complete ranges prove after them. */
  lastReceivedCommitId: number;
  provenUpTo: number;
  probes: readonly ResetProbe[];
  /** When the server's head first reached a commit id, on its clock, if known (core/headMarks.ts). */
  writtenBy?: (commitId: number) => number | null;
}

export interface PageDecision {
  ops: StoreOp[];
  changed: RemoteKeyChange[];
  conflicts: ConflictDraft[];
  watermarkMs: number | null;
  /** Keys queued again because the server lost our version of them (a repair). */
  requeued: number;
}


function sideOfEntry(e: RemoteEntry, timeMs: number | null): ConflictSide {
  const deleted = e.operation === "-";
  return { op: e.operation, value: deleted ? null : e.value, metadata: deleted ? null : e.metadata, timeMs };
}

function sideOfKey(key: LocalKey | null, op: ConflictSide["op"], timeMs: number | null): ConflictSide {
  if (!key || key.deleted) return { op: "-", value: null, metadata: null, timeMs };
  return { op, value: key.value, metadata: key.metadata, timeMs };
}

/** Whether a commit-log operation is what a command of ours that set `sent` would have logged. */
function sameKindOfWrite(sent: ChangeOp, logged: ChangeOp): boolean {
  if (sent === "-" || logged === "-") return sent === logged;
  return (sent === "#") === (logged === "#");
}

/**
 * The highest pending row whose sent state is what this server entry holds, if any. The entry's
 * operation must be what our command logs: another client's `update:meta` can leave the very
 * state we sent with a full update, and is not our echo.
 */
function lastEchoed(pending: readonly PendingChange[], e: RemoteEntry): number | undefined {
  const remote = sideOfEntry(e, null);
  for (let i = pending.length - 1; i >= 0; i--) {
    const row = pending[i]!;
    if (!row.sent || (row.sent.maxCommitId !== undefined && e.commitId > row.sent.maxCommitId)) continue;
    if (sameKindOfWrite(row.sent.op, e.operation) && !sidesDiffer({ op: row.sent.op, value: row.sent.value, metadata: row.sent.metadata, timeMs: null }, remote)) return i;
  }
  return undefined;
}

/**
 * When an entry's version was written, on the server's clock: its `updatedAt`; for a delete
 * (which carries no time) the bounds the entries around it give, since the server's clock and
 * its commit ids rise together: after the latest earlier entry, before the earliest later one, and
 * before the first statsNotification whose head reached it.
 */
interface EntryTime {
  at: number | null;
  lower: number | null;
  upper: number | null;
}

function entryTimes(sorted: readonly RemoteEntry[], writtenBy: (commitId: number) => number | null): EntryTime[] {
  const own = sorted.map((e) => (e.operation === "-" ? null : timeOf(e.metadata?.updatedAt)));
  const upper: (number | null)[] = new Array<number | null>(sorted.length).fill(null);
  let min: number | null = null;
  for (let i = sorted.length - 1; i >= 0; i--) {
    upper[i] = min;
    const t = own[i]!;
    if (t !== null) min = min === null ? t : Math.min(min, t);
  }
  let max: number | null = null;
  return sorted.map((_, i) => {
    const t = own[i]!;
    const lower = max;
    if (t !== null) max = max === null ? t : Math.max(max, t);
    const byHead = writtenBy(sorted[i]!.commitId);
    const up = upper[i]!;
    return { at: t, lower, upper: byHead !== null && (up === null || byHead < up) ? byHead : up };
  });
}

type Verdict = "server-newer" | "server-stale" | "unknown";

/**
 * Orders the server's version against the one we hold, on the server's clock, across a restore.
 * `key.serverTimeMs` is exact for a live version we pulled, an upper bound for a tombstone.
 */
function orderAcrossRestore(key: LocalKey, t: EntryTime): Verdict {
  const ours = key.serverTimeMs;
  if (ours === null) {
    // Our acknowledged push, echo never pulled: the server applied it by the ack's receipt at the latest.
    const bound = key.serverTimeBoundMs ?? null;
    const theirs = t.at ?? t.lower;
    return bound !== null && theirs !== null && theirs > bound ? "server-newer" : "unknown";
  }
  if (key.deleted) {
    // Our delete happened no later than `ours`: a version written after that is newer.
    const theirs = t.at ?? t.lower;
    return theirs !== null && theirs > ours ? "server-newer" : "unknown";
  }
  if (t.at !== null) return t.at > ours ? "server-newer" : t.at < ours ? "server-stale" : "unknown";
  if (t.lower !== null && t.lower > ours) return "server-newer";
  if (t.upper !== null && t.upper < ours) return "server-stale";
  return "unknown";
}

/**
 * Whether the restored log holds an older write of the very state of the live version we hold,
 * not that version: stamped before it, or at the same time at a lower commit id (the version we
 * held had its own id; a backup keeps each entry at its id). The server lost our version (a
 * rewrite of the same state, an `update:meta` that changed nothing a client sets), and with it
 * the time: a change another device made on the older write, pushed after the restore, would
 * replace it as if made later, with no conflict (soak seed 32786). Ours goes out again.
 */
function olderWriteOfSameState(key: LocalKey, e: RemoteEntry, t: EntryTime): boolean {
  const ours = key.serverTimeMs;
  if (ours === null || t.at === null || e.operation === "-") return false;
  return t.at < ours || (t.at === ours && key.commitId !== null && e.commitId < key.commitId);
}

class PageDecider {
  readonly ops: StoreOp[] = [];
  readonly changed: RemoteKeyChange[] = [];
  readonly conflicts: ConflictDraft[] = [];
  private readonly work = new Map<string, KeyFacts>();

  constructor(private readonly input: PageInput) {}

  facts(atKey: string): KeyFacts {
    let f = this.work.get(atKey);
    if (!f) {
      const given = this.input.facts.get(atKey);
      f = { key: given?.key ? { ...given.key } : null, pending: [...(given?.pending ?? [])] };
      this.work.set(atKey, f);
    }
    return f;
  }

  entry(e: RemoteEntry, t: EntryTime): void {
    const atKey = e.atKey.toLowerCase();
    const f = this.facts(atKey);
    const key = f.key;
    const repairing = this.input.repair && key !== null && !key.seen;
    if (repairing) {
      this.ops.push({ op: "markSeen", atKey });
      key.seen = true;
    }
    if (!repairing && key && key.commitId !== null && e.commitId <= key.commitId) {
      const mergedOntoOther = e.commitId === key.commitId && f.pending.length > 0 && this.ackedAnotherValue(atKey, e);
      if (!mergedOntoOther) {
        if (e.commitId === key.commitId) this.echoOfAcknowledged(atKey, f, e, t);
        return;
      }
      // Our acknowledged update:meta landed on another client's value, newer than the base of
      // the change still pending: that is a newer server version meeting it (a conflict).
    }
    if (f.pending.length > 0) {
      if (this.againstPending(atKey, f, e, t, repairing)) return;
    } else if (repairing && key) {
      if (this.againstVerified(atKey, key, e, t)) return;
    }
    this.adopt(atKey, f, e, t);
  }

  /** The entry at our ack's commit id holds another value than the one we sent (the ack's probe keeps its digest). */
  private ackedAnotherValue(atKey: string, e: RemoteEntry): boolean {
    if (e.operation === "-") return false;
    const probe = this.input.probes.find((p) => p.atKey === atKey && p.commitId === e.commitId && p.updatedAt === null);
    return probe?.valueHash !== undefined && valueDigest(e.value) !== probe.valueHash;
  }

  /**
   * The entry at the commit id of our own acknowledged push: take the server's metadata and time,
   * once. If it holds another state, the server applied our command to a value we had not seen
   * (an `update:meta` merged onto another client's write that arrived just before it): what the
   * server made of our command is the key's state, unless a later change of ours is pending.
   */
  private echoOfAcknowledged(atKey: string, f: KeyFacts, e: RemoteEntry, t: EntryTime): void {
    const key = f.key!;
    if (key.serverTimeMs !== null) return;
    // The value decides (the server normalizes metadata: defaults, its own fields).
    const deleted = e.operation === "-";
    const differs = deleted !== key.deleted || (!deleted && (e.value ?? "") !== key.value);
    if (differs && f.pending.length === 0) {
      this.adopt(atKey, f, e, t);
      return;
    }
    if (deleted !== key.deleted) return;
    this.verify(atKey, f, e, t);
  }

  /** Our pending `row` and the server's entry as conflict sides, both on the server's clock. */
  private pendingSides(key: LocalKey | null, row: PendingChange, e: RemoteEntry, t: EntryTime): { local: ConflictSide; remote: ConflictSide } {
    return {
      // A row a repair queued again is as old as the version it re-pushes.
      local: sideOfKey(key, row.op, row.versionTimeMs ?? row.createdAtMs + this.input.clockOffsetMs),
      remote: sideOfEntry(e, t.at ?? t.upper ?? this.input.nowMs + this.input.clockOffsetMs),
    };
  }

  /** Returns true when the entry needs nothing more (the local change stands). */
  private againstPending(atKey: string, f: KeyFacts, e: RemoteEntry, t: EntryTime, repairing: boolean): boolean {
    const key = f.key;
    // In a repair, a delete at the very commit id of the tombstone we held before our own delete of
    // the key is that older delete, kept by the restore: no proof that ours ran (two deletes look
    // alike on the wire), so ours still goes out and a later write of the key meets it (seed 847).
    const heldBefore = repairing && key !== null && key.deleted && e.operation === "-" && key.commitId === e.commitId;
    const echo = heldBefore ? undefined : lastEchoed(f.pending, e);
    if (echo !== undefined) {
      // The echo of a push whose reply we never saw: those rows are done, later ones stay pending.
      const done = f.pending.slice(0, echo + 1);
      f.pending = f.pending.slice(echo + 1);
      this.ops.push({ op: "commitChanges", ids: done.map((r) => r.id), commitId: e.commitId });
      this.verify(atKey, f, e, t);
      const later = f.pending[f.pending.length - 1];
      if (later && e.operation === "-") {
        // Two deletes look alike on the wire (a value is a ciphertext with its own IV, so its echo
        // is ours): if this delete was another client's, our later change overwrites it, so that
        // is recorded.
        const { local, remote } = this.pendingSides(key, later, e, t);
        if (sidesDiffer(local, remote)) {
          // Under last-writer-wins, a delete the log dates after our later change (the entry
          // before it is newer than that change) cannot be our own older one: it wins.
          const provenLater = this.input.policy === "last-writer-wins" && t.lower !== null && local.timeMs !== null && t.lower > local.timeMs;
          this.conflict(atKey, provenLater ? "remote" : "local", local, { ...remote, timeMs: provenLater ? t.lower : remote.timeMs }, e.commitId);
          if (provenLater) {
            this.ops.push({ op: "supersedeChanges", atKey });
            f.pending = [];
            this.adopt(atKey, f, e, t);
          }
        }
      }
      return true;
    }
    const { local, remote } = this.pendingSides(key, f.pending[f.pending.length - 1]!, e, t);
    if (!sidesDiffer(local, remote)) {
      // Another client's write of the very state we hold (ours was never sent, or this is not
      // its echo): ours still goes out, with no conflict, since nothing differs. Were it taken as
      // done, a write made elsewhere before ours and pushed after it would replace ours, and
      // nobody could record that as a conflict.
      if (key) this.rebase(atKey, key, e);
      return true;
    }
    let winner: ConflictWinner;
    if (repairing && key) {
      // Versions are ordered by the server's clock across a restore: a stale server version is no conflict.
      const verdict = orderAcrossRestore(key, t);
      if (verdict === "server-stale") {
        // Ours goes out over the restored value: a pending update:meta must carry our value. The
        // restored version may be another client's write we never met (the restore brought it back
        // after a wipe or an older restore had taken it away before we pulled it): the server's clock
        // dates it by its arrival, not by whether it came after ours was written, so the order is
        // unknown and a conflict records it (seeds 915, 464 of --keys 30).
        this.conflict(atKey, "local", local, remote, e.commitId);
        this.rebase(atKey, key, e);
        this.ops.push({ op: "upgradeMetaOnly", atKey });
        return true;
      }
      // Where the restore leaves the order of the versions unknown, last-writer-wins still has both
      // times: our pending change's and the server version's updatedAt.
      const byPolicy = verdict === "server-newer" || this.input.policy === "last-writer-wins";
      winner = byPolicy ? resolveConflict(this.input.policy, local, remote) : "local";
    } else {
      winner = resolveConflict(this.input.policy, local, remote);
    }
    this.conflict(atKey, winner, local, remote, e.commitId);
    if (winner === "local") {
      // The server state we saw is the base now, so its echo is not a conflict again; our push overwrites it.
      if (key) this.rebase(atKey, key, e);
      this.ops.push({ op: "upgradeMetaOnly", atKey });
      return true;
    }
    this.ops.push({ op: "supersedeChanges", atKey });
    f.pending = [];
    return false;
  }

  /** A repair meets a key we hold with nothing pending: who holds the newer version? */
  private againstVerified(atKey: string, key: LocalKey, e: RemoteEntry, t: EntryTime): boolean {
    const local = sideOfKey(key, "*", key.serverTimeMs);
    const remote = sideOfEntry(e, t.at ?? t.upper);
    if (!sidesDiffer(local, remote)) {
      this.ops.push({ op: "verifyKey", atKey, commitId: e.commitId, serverTimeMs: key.serverTimeMs ?? (key.deleted ? t.upper : t.at) });
      // Our delete was on the log at a later id than this older delete of the key: the server lost
      // ours (restored from a backup). It goes out again, so that a device still holding the key
      // live, and pushing it after the restore, meets our delete (a conflict) instead of undoing it.
      const lostOurDelete = key.deleted && key.commitId !== null && e.commitId < key.commitId;
      const lostOurRewrite = !key.deleted && olderWriteOfSameState(key, e, t);
      key.commitId = e.commitId;
      if (lostOurDelete || lostOurRewrite) this.ops.push({ op: "requeue", atKey, change: key.deleted ? "-" : "*", atMs: this.input.nowMs, versionTimeMs: versionTime(key) });
      return true;
    }
    const verdict = orderAcrossRestore(key, t);
    if (verdict === "server-newer") {
      // Written after our version: it wins; the record says what this device held.
      this.conflict(atKey, "remote", local, remote, e.commitId);
      return false;
    }
    const deleteWins = verdict === "unknown" && e.operation === "-" && !key.deleted;
    if (deleteWins) {
      // Unknown order and one side is a delete: a delete is never undone by sync.
      this.conflict(atKey, "remote", local, remote, e.commitId);
      return false;
    }
    // The server lost our version (restored from an older backup): ours goes out again. A stale
    // version that differs is recorded too: it may be another client's write we never met (taken
    // away by a wipe or an older restore before we pulled it, then brought back by this one), dated
    // by its arrival before our push, not by when ours was written (seeds 915, 464 of --keys 30).
    this.conflict(atKey, "local", local, remote, e.commitId);
    this.rebase(atKey, key, e);
    this.ops.push({ op: "requeue", atKey, change: key.deleted ? "-" : "*", atMs: this.input.nowMs, versionTimeMs: versionTime(key) });
    return true;
  }

  /** Our local state stays; its base is now the server's entry (for the echo and later conflicts). */
  private rebase(atKey: string, key: LocalKey, e: RemoteEntry): void {
    this.ops.push({ op: "verifyKey", atKey, commitId: e.commitId, serverTimeMs: key.serverTimeMs });
    key.commitId = e.commitId;
  }

  /** The server holds the state we hold (or are done sending). */
  private verify(atKey: string, f: KeyFacts, e: RemoteEntry, t: EntryTime): void {
    const key = f.key;
    if (!key) return;
    const deleted = e.operation === "-";
    const serverTimeMs = deleted ? t.upper : t.at;
    const adoptMeta = f.pending.length === 0 && !deleted && e.metadata !== null && key.value === e.value;
    this.ops.push({ op: "verifyKey", atKey, commitId: e.commitId, serverTimeMs, ...(adoptMeta ? { metadata: e.metadata! } : {}) });
    if (serverTimeMs === null && e.commitId !== key.commitId) {
      // The echo of a push whose reply we lost (a delete carries no time): the bound an older
      // version's ack left would date this one before it was written. Its page's receipt bounds it.
      const boundMs = this.input.nowMs + this.input.clockOffsetMs;
      this.ops.push({ op: "boundServerTime", atKey, boundMs });
      key.serverTimeBoundMs = boundMs;
    }
    key.commitId = e.commitId;
    key.serverTimeMs = serverTimeMs;
    if (adoptMeta) key.metadata = e.metadata;
  }

  private adopt(atKey: string, f: KeyFacts, e: RemoteEntry, t: EntryTime): void {
    const deleted = e.operation === "-";
    const wasLive = f.key !== null && !f.key.deleted;
    // A tombstone even for a key we never had: it keeps an older entry of the key, applied later
    // by a parallel pull, from bringing it back.
    const metadata: AtMetadata | null = deleted ? null : (e.metadata ?? {});
    const value = deleted ? null : (e.value ?? "");
    const serverTimeMs = deleted ? t.upper : t.at;
    this.ops.push({ op: "putKey", atKey, value, metadata, deleted, commitId: e.commitId, serverTimeMs, atMs: this.input.nowMs });
    f.key = { atKey, value, metadata, deleted, commitId: e.commitId, serverTimeMs, seen: true };
    if (deleted) {
      if (wasLive) this.changed.push({ atKey, op: "delete", commitId: e.commitId });
    } else {
      this.changed.push({ atKey, op: "update", commitId: e.commitId });
    }
  }

  private conflict(atKey: string, winner: ConflictWinner, local: ConflictSide, remote: ConflictSide, commitId: number): void {
    const c: ConflictDraft = {
      atKey, policy: this.input.policy, winner, local, remote: { ...remote, commitId }, detectedAtMs: this.input.nowMs, resolved: false,
    };
    this.conflicts.push(c);
    this.ops.push({ op: "insertConflict", conflict: c });
  }
}

/** Decides one batch of entries (one page, or pages of several lanes), in commit-id order. */
export function decidePage(input: PageInput): PageDecision {
  const sorted = [...input.entries].sort((a, b) => a.commitId - b.commitId);
  const times = entryTimes(sorted, input.writtenBy ?? (() => null));
  const d = new PageDecider(input);
  sorted.forEach((e, i) => d.entry(e, times[i]!));
  let watermarkMs = input.watermarkMs;
  for (const t of times) if (t.at !== null && (watermarkMs === null || t.at > watermarkMs)) watermarkMs = t.at;
  d.ops.push({
    op: "setSyncState",
    patch: {
      ...(input.provenUpTo > input.lastReceivedCommitId ? { lastReceivedCommitId: input.provenUpTo } : {}),
      ...(watermarkMs !== null && watermarkMs !== input.watermarkMs ? { serverTimeWatermarkMs: watermarkMs } : {}),
      ...(sorted.length > 0 ? { probes: nextProbes(input.probes, sorted) } : {}),
    },
  });
  return { ops: d.ops, changed: d.changed, conflicts: d.conflicts, watermarkMs, requeued: d.ops.filter((o) => o.op === "requeue").length };
}

/** Keys whose facts `decidePage` needs, lowercased and distinct. */
export function keysOfEntries(entries: readonly RemoteEntry[]): string[] {
  return [...new Set(entries.map((e) => e.atKey.toLowerCase()))];
}
