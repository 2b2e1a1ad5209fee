// Detecting an atServer that lost data (restored from an old backup, or wiped), which the SDK
// never notices (atprotocol.md §5.10, §9.4). Two checks:
//
// 1. stats: the server's last commit id is below the last one we received. Commit ids only
//    grow on a server, so a smaller one means it is not the log we pulled from.
// 2. probes: before pulling, the last few entries we received (up to PROBE_COUNT distinct keys,
//    each at its commit id) must still be in the server's log. A real log never loses a key:
//    committing a key again moves its entry to a higher id, a delete or an expiry leaves a `-`
//    entry. One `sync:from` with the regex `^(k1|k2|…)$` answers it (the server applies the
//    regex before its 25-entry window). A probe key with no entry at all, or an entry at or
//    below our last received id that is not the one we saw, means the log we pulled from is
//    gone. A probe key written again since (an entry above our last received id) proves nothing
//    either way: another client may have rewritten it, or written it anew after a wipe. So the
//    log holds only when at least one probe is still where we saw it; when every probe was
//    rewritten, the check cannot tell, and counts as a reset: the repair that follows keeps
//    every newer local state (daemon/core/decidePage.ts), so a false alarm costs one re-pull.
import { SYNC_PAGE_LIMIT } from "./pull.js";
import type { RemoteEntry, ResetProbe } from "./types.js";

export type ResetReason = "commit-id-went-back" | "last-entry-missing";

/** How many recent entries are remembered as probes. */
export const PROBE_COUNT = 8;

export function isResetByStats(serverCommitId: number | null, lastReceivedCommitId: number): boolean {
  if (lastReceivedCommitId < 0) return false;
  return serverCommitId === null || serverCommitId < lastReceivedCommitId;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}

export function probeCommand(probes: readonly ResetProbe[]): string {
  const from = Math.min(...probes.map((p) => p.commitId)) - 1;
  return `sync:from:${from}:limit:${SYNC_PAGE_LIMIT}:^(?:${probes.map((p) => escapeRegex(p.atKey)).join("|")})$`;
}

type ProbeVerdict = "intact" | "rewritten" | "gone" | "unknown";

function verdict(probe: ResetProbe, page: readonly RemoteEntry[], lastReceivedCommitId: number): ProbeVerdict {
  const first = page.find((e) => e.atKey.toLowerCase() === probe.atKey);
  // A full page of other probes' entries may hide this one's.
  if (!first) return page.length >= SYNC_PAGE_LIMIT ? "unknown" : "gone";
  if (first.commitId > lastReceivedCommitId) return "rewritten";
  if (first.commitId !== probe.commitId) return "gone";
  if ((first.operation === "-") !== (probe.operation === "-")) return "gone";
  if (probe.updatedAt !== null && first.metadata?.updatedAt !== probe.updatedAt) return "gone";
  return "intact";
}

/** Whether the server still holds the log the probes were taken from (see the rules above). */
export function probesHold(probes: readonly ResetProbe[], page: readonly RemoteEntry[], lastReceivedCommitId: number): boolean {
  if (probes.length === 0) return true;
  const verdicts = probes.map((p) => verdict(p, page, lastReceivedCommitId));
  if (verdicts.includes("gone")) return false;
  return verdicts.includes("intact") || verdicts.includes("unknown");
}

/** The probes after a batch of applied entries: the most recent distinct keys by commit id. */
export function nextProbes(current: readonly ResetProbe[], entries: readonly RemoteEntry[]): ResetProbe[] {
  const byKey = new Map<string, ResetProbe>();
  const all = [
    ...current,
    ...entries.map((e) => ({ atKey: e.atKey.toLowerCase(), commitId: e.commitId, operation: e.operation, updatedAt: e.metadata?.updatedAt ?? null })),
  ];
  for (const p of all) {
    const had = byKey.get(p.atKey);
    if (!had || p.commitId > had.commitId) byKey.set(p.atKey, p);
  }
  return [...byKey.values()].sort((a, b) => b.commitId - a.commitId).slice(0, PROBE_COUNT);
}
