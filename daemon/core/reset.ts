// Detecting an atServer that lost data (restored from an old backup, or wiped), which the SDK
// never notices (atprotocol.md §5.10, §9.4). Two checks:
//
// 1. stats: the server's last commit id is below the last one we received, or below one an
//    earlier stats:3 of this log showed us. Commit ids only grow on a server, so a smaller one
//    means it is not the log we read from.
// 2. probes: before pulling, the last few entries we received (up to PROBE_COUNT distinct keys,
//    each at its commit id) must still be in the server's log. A real log never loses a key:
//    committing a key again moves its entry to a higher id, a delete or an expiry leaves a `-`
//    entry. One `sync:from` with the regex `^(k1|k2|…)$` answers it (the server applies the
//    regex before its 25-entry window). A probe key with no entry at all, or an entry at or
//    below our last received id that is not the one we saw, means the log we pulled from is
//    gone. A probe key written again since (an entry above our last received id) proves nothing
//    either way (another client may have rewritten it, or written it anew after a wipe), unless
//    it was created anew with no id between left for a delete (`createdAnewWithoutDelete`). An
//    acknowledged push is a probe too, at the commit id the server gave it, before its echo is
//    pulled: a server wiped or restored between the ack and the next pull forgets it. Each probe
//    keeps a digest of its value, so another client's write that a restored server gave the same
//    commit id is not taken for it. So the
//    log holds only when at least one probe is still where we saw it; when every probe was
//    rewritten, the check cannot tell, and counts as a reset: the repair that follows keeps
//    every newer local state (daemon/core/decidePage.ts), so a false alarm costs one re-pull.
import { parseDartDate } from "../../protocol/metadata.js";
import { SYNC_PAGE_LIMIT, type SyncPage } from "./pull.js";
import type { ChangeOp, LocalKey, RemoteEntry, ResetProbe } from "./types.js";

export type ResetReason = "commit-id-went-back" | "last-entry-missing";

/** How many recent entries are remembered as probes. */
export const PROBE_COUNT = 8;

/**
 * `knownCommitId`: the highest commit id this log is known to have reached (see
 * highestKnownCommitId): the last received one, or an acknowledged push's above it.
 */
export function isResetByStats(serverCommitId: number | null, knownCommitId: number): boolean {
  if (knownCommitId < 0) return false;
  return serverCommitId === null || serverCommitId < knownCommitId;
}

/**
 * The highest commit id the server told us of: the last received, a probe's (an acknowledged
 * push), or the head a stats:3 of this log read (`headRead`, the stored server commit id; null
 * once a filter change restarted the pull, since a narrower filter's head may be lower). A pull
 * that ended on a full page below that head proved ids up to its last entry only: a restore to a
 * backup with exactly that many ids can put back, at an id the page showed empty (a key rewritten
 * past it), an entry we never pull, and only the head going back shows it (seed 184 of --keys 200).
 */
export function highestKnownCommitId(lastReceivedCommitId: number, probes: readonly ResetProbe[], headRead: number | null = null): number {
  return Math.max(lastReceivedCommitId, headRead ?? -1, ...probes.map((p) => p.commitId));
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}

/** The `sync:from` id that reads the log from the earliest probe on. */
export function probesFrom(probes: readonly ResetProbe[]): number {
  return Math.min(...probes.map((p) => p.commitId)) - 1;
}

/**
 * The log from the earliest probe on, through the sync filter. In the log we pulled from, every
 * entry in it at or below our last received id is a probe's key (the probes are the last distinct
 * keys received), so an entry of another key there is a write a log that went back gave one of our
 * ids (a restore, then other clients' writes reaching past them), which the probes' own keys
 * cannot show. A probe still at its id is among the first entries, ahead of every newer one.
 */
export function windowCommand(probes: readonly ResetProbe[], filterRegex?: string): string {
  const from = probesFrom(probes);
  return `sync:from:${from}:limit:${SYNC_PAGE_LIMIT}${filterRegex ? `:${filterRegex}` : ""}`;
}

/**
 * The probes judged over a `windowCommand` page (`outcomeOf`): also "gone" when an entry at one of our ids is of a key
 * we did not pull there. "unseen" when a probe's key is not among the page's entries and the page
 * does not prove it absent (`provesAbsence`): 25 entries of others (a log that grew by more than a
 * page since, or another log) can hide it; the caller reads on with the probes' own keys
 * (`readProbes`), where a key missing is a key the log lost. Taking such a probe for one that
 * holds would miss a restore that lost our acknowledged push whenever the log grew by a page since.
 */
export function windowOutcome(probes: readonly ResetProbe[], page: readonly RemoteEntry[], lastReceivedCommitId: number): "holds" | "gone" | "unsure" | "unseen" {
  const keys = new Set(probes.map((p) => p.atKey));
  if (page.some((e) => e.commitId <= lastReceivedCommitId && !keys.has(e.atKey.toLowerCase()))) return "gone";
  if (probes.length === 0) return "holds";
  const verdicts = probes.map((p) => verdict(p, page, lastReceivedCommitId, provesAbsence(page.length)));
  if (!verdicts.includes("gone") && verdicts.includes("unknown")) return "unseen";
  return outcomeOf(verdicts);
}

/** The probes' own keys (older keys, for `fallbackProbes`), from `from` on: the window would hold other keys. */
export function probeCommand(probes: readonly ResetProbe[], from = probesFrom(probes)): string {
  return `sync:from:${from}:limit:${SYNC_PAGE_LIMIT}:^(?:${probes.map((p) => escapeRegex(p.atKey)).join("|")})$`;
}

/**
 * Pages one reading of the probes may take (the window's included): each shows at least one
 * entry, so a reading stops after this many pages of keys that pass every regex (always-included
 * keys) or of values near the server's byte limit.
 */
export const MAX_PROBE_PAGES = 2 * PROBE_COUNT;

/**
 * Whether a page of `size` items that lacks a probe's key shows it absent from the log past the
 * page's start. A full page does not: the server stops at 25 entries, and the probes' own regex
 * still lets every always-included key through (`shared_key` keys, `public:` keys without a dot).
 */
function provesAbsence(size: number): boolean {
  return size < SYNC_PAGE_LIMIT;
}

export type ProbeReading = { outcome: "holds" | "gone" | "unsure" } | { next: number };

/**
 * The probes judged over the pages read so far (a window page, then `probeCommand` pages, each
 * from the last one's highest id: the server reads its log in commit order, so together they
 * cover every id from the first page's start to the last one's highest): a verdict, or the id to
 * read the probes' own keys from next. A probe missing from every page is gone once the last page
 * proves absence; until then it is unknown, which never reads as "holds": after MAX_PROBE_PAGES
 * it counts as gone (a false alarm costs one re-pull; a restore taken for the log we pulled loses
 * our acknowledged write).
 */
export function readProbes(probes: readonly ResetProbe[], pages: readonly SyncPage[], lastReceivedCommitId: number): ProbeReading {
  if (probes.length === 0) return { outcome: "holds" };
  const last = pages.at(-1);
  if (last === undefined) return { next: probesFrom(probes) };
  const entries = pages.length === 1 ? last.entries : pages.flatMap((p) => p.entries);
  const verdicts = probes.map((p) => verdict(p, entries, lastReceivedCommitId, provesAbsence(last.size)));
  if (!verdicts.includes("gone") && verdicts.includes("unknown") && pages.length < MAX_PROBE_PAGES && Number.isFinite(last.maxCommitId)) {
    return { next: last.maxCommitId };
  }
  return { outcome: outcomeOf(verdicts) };
}

type ProbeVerdict = "intact" | "rewritten" | "gone" | "unknown";

/** `absent`: the pages read prove that a key not among them has no entry past their start. */
function verdict(probe: ResetProbe, page: readonly RemoteEntry[], lastReceivedCommitId: number, absent: boolean): ProbeVerdict {
  // A commit id is given once on a log: another key's entry at the probe's id is another log.
  if (page.some((e) => e.commitId === probe.commitId && e.atKey.toLowerCase() !== probe.atKey)) return "gone";
  const first = page.find((e) => e.atKey.toLowerCase() === probe.atKey);
  // Pages that end before the log does may hide this one's.
  if (!first) return absent ? "gone" : "unknown";
  if (first.commitId > Math.max(lastReceivedCommitId, probe.commitId)) {
    // The server's clock and its commit ids rise together: a rewrite stamped before the version
    // it replaced (a restored server's older write of the key) is another log.
    const at = first.operation === "-" ? null : timeOf(first.metadata?.updatedAt);
    const floor = probe.notBeforeMs ?? timeOf(probe.updatedAt);
    if (at !== null && floor !== null && at < floor) return "gone";
    return createdAnewWithoutDelete(probe, first, page) ? "gone" : "rewritten";
  }
  // Below the probe, or between it and what we received (that entry would have become the probe).
  if (first.commitId !== probe.commitId) return "gone";
  if ((first.operation === "-") !== (probe.operation === "-")) return "gone";
  if (probe.updatedAt !== null && first.metadata?.updatedAt !== probe.updatedAt) return "gone";
  // An acknowledged push has no time until its echo: its value tells it from another client's
  // write that a restored server gave the same commit id.
  if (probe.valueHash !== undefined && first.operation !== "-" && valueDigest(first.value) !== probe.valueHash) return "gone";
  return "intact";
}

/**
 * A rewrite keeps a key's `createdAt` (the atServer's `AtMetadataBuilder`, the dev-server's
 * `buildMeta`): the probe's live key back with a `createdAt` after the probe's version was written
 * was absent in between, which on one log is a delete (an expiry is one too), and a delete takes
 * a commit id, left empty once the key is written again. So when every id between the probe and
 * the key's entry holds another key's entry in this page, no delete of the key fits there: the
 * log lost the probe's version, and the key was created anew on another log (a restore, then
 * another device's older write of it pushed: the third known limit of README "Conflicts and
 * restores", which this much of the server's metadata shows). A server that sends no `createdAt`,
 * a probe of a delete or of our own push (no time of its version), or an id the page does not
 * show (a filter, a sparser log) proves nothing.
 */
function createdAnewWithoutDelete(probe: ResetProbe, first: RemoteEntry, page: readonly RemoteEntry[]): boolean {
  if (probe.operation === "-" || first.operation === "-" || probe.updatedAt === null) return false;
  const created = timeOf(first.metadata?.createdAt);
  const written = timeOf(probe.updatedAt);
  if (created === null || written === null || created <= written) return false;
  if (first.commitId - probe.commitId - 1 > page.length) return false;
  const ids = new Set(page.map((e) => e.commitId));
  for (let id = probe.commitId + 1; id < first.commitId; id++) if (!ids.has(id)) return false;
  return true;
}

/** Whether one page of the probes' own keys shows the server still holding the log the probes were taken from (see the rules above). */
export function probesHold(probes: readonly ResetProbe[], page: readonly RemoteEntry[], lastReceivedCommitId: number): boolean {
  if (probes.length === 0) return true;
  return outcomeOf(probes.map((p) => verdict(p, page, lastReceivedCommitId, provesAbsence(page.length)))) === "holds";
}

/**
 * A probe still unknown when the reading stops (one page, or MAX_PROBE_PAGES) counts as gone,
 * never as holding. "unsure" when every probe was rewritten (another device's bulk edit of the
 * last keys we pulled does that as surely as a wipe followed by new writes): the caller asks again
 * with older keys (`fallbackProbes`) before calling it a reset, which would cost a full re-pull
 * and a conflict record per key.
 */
function outcomeOf(verdicts: readonly ProbeVerdict[]): "holds" | "gone" | "unsure" {
  if (verdicts.includes("gone") || verdicts.includes("unknown")) return "gone";
  return verdicts.includes("intact") ? "holds" : "unsure";
}

/** Stored keys read as candidates for `fallbackProbes` (some fall outside the filter or are probes already). */
export const FALLBACK_CANDIDATES = 8 * PROBE_COUNT;

/** Probes from stored keys at or below the last received id, away from the rewritten ones. */
export function fallbackProbes(keys: readonly LocalKey[], exclude: readonly ResetProbe[], matches: (atKey: string) => boolean): ResetProbe[] {
  const skip = new Set(exclude.map((p) => p.atKey));
  return keys
    .filter((k) => k.commitId !== null && !skip.has(k.atKey) && matches(k.atKey))
    .slice(0, PROBE_COUNT)
    .map((k) => probeOf(k.atKey, k.commitId!, k.deleted ? "-" : "*", null, k.value));
}

/** An entry's `updatedAt` in ms on the server's clock, or null when absent or unreadable. */
export function timeOf(updatedAt: string | undefined | null): number | null {
  if (updatedAt === undefined || updatedAt === null) return null;
  try {
    const ms = parseDartDate(updatedAt);
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

/**
 * A short digest of a value, to tell two versions at the same commit id apart (not a security
 * measure: two 32-bit FNV-1a lanes over the UTF-16 code units, 64 bits in all).
 */
export function valueDigest(value: string | null): string {
  const v = value ?? "";
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ v.length;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

function probeOf(atKey: string, commitId: number, operation: ChangeOp, updatedAt: string | null, value: string | null): ResetProbe {
  const p: ResetProbe = { atKey: atKey.toLowerCase(), commitId, operation, updatedAt };
  if (operation !== "-") p.valueHash = valueDigest(value);
  return p;
}

/** The probes after a batch of applied entries: the most recent distinct keys by commit id. */
export function nextProbes(current: readonly ResetProbe[], entries: readonly RemoteEntry[]): ResetProbe[] {
  // Only entries at or above the PROBE_COUNT-th highest distinct key can rank among the probes
  // (every other key has PROBE_COUNT keys above it): the rest need no probe, nor their value a digest.
  const floor = probeFloor(entries);
  const candidates = floor === -Infinity ? entries : entries.filter((e) => e.commitId >= floor);
  return mergeProbes(current, candidates.map((e) => probeOf(e.atKey, e.commitId, e.operation, e.metadata?.updatedAt ?? null, e.value)));
}

/** The commit id of the PROBE_COUNT-th distinct key from the top, or -Infinity when fewer keys. */
function probeFloor(entries: readonly RemoteEntry[]): number {
  if (entries.length <= PROBE_COUNT) return -Infinity;
  const ids = entries.map((e) => e.commitId);
  // decidePage passes them in commit order: then the walk down is the array backwards.
  let ascending = true;
  for (let i = 1; i < ids.length && ascending; i++) ascending = ids[i - 1]! <= ids[i]!;
  const order = ascending ? ids.map((_, i) => ids.length - 1 - i) : ids.map((_, i) => i).sort((a, b) => ids[b]! - ids[a]!);
  const keys = new Set<string>();
  for (const i of order) {
    keys.add(entries[i]!.atKey.toLowerCase());
    if (keys.size === PROBE_COUNT) return ids[i]!;
  }
  return -Infinity;
}

/** The probes after acknowledged pushes (their time is unknown until the echo is pulled; their value is what we sent). */
export function ackProbes(
  current: readonly ResetProbe[],
  acks: readonly { atKey: string; commitId: number; operation: ChangeOp; value: string | null }[],
  /** The server's clock was at least this when it applied them (sent then, by the offset's lower bound). */
  notBeforeMs: number | null = null,
): ResetProbe[] {
  // The ack is the key's latest version, whatever an older probe of it says.
  const acked = new Set(acks.map((a) => a.atKey.toLowerCase()));
  const kept = current.filter((p) => !acked.has(p.atKey));
  return mergeProbes(kept, acks.map((a) => {
    const p = probeOf(a.atKey, a.commitId, a.operation, null, a.value);
    if (notBeforeMs !== null) p.notBeforeMs = notBeforeMs;
    return p;
  }));
}

function mergeProbes(current: readonly ResetProbe[], added: readonly ResetProbe[]): ResetProbe[] {
  const byKey = new Map<string, ResetProbe>();
  for (const p of [...current, ...added]) {
    const had = byKey.get(p.atKey);
    // At the same commit id, the pulled echo of an acknowledged push carries its updatedAt, which
    // the ack's probe lacks: a log that reassigned the id to another write of the key shows then.
    if (!had || p.commitId > had.commitId || (p.commitId === had.commitId && had.updatedAt === null && p.updatedAt !== null)) byKey.set(p.atKey, p);
  }
  return [...byKey.values()].sort((a, b) => b.commitId - a.commitId).slice(0, PROBE_COUNT);
}
