// Detecting an atServer that lost data (restored from an old backup, or wiped), which the SDK
// never notices (atprotocol.md §5.10, §9.4). Two cheap checks, each sound on its own:
//
// 1. stats: the server's last commit id is below the last one we received. Commit ids only
//    grow on a server, so a smaller one means it is not the log we pulled from.
// 2. probe: before pulling, the last entry we received (key K at commit id P) must still be in
//    the server's log: compaction deletes an entry only when its key is committed again, at a
//    higher id. One `sync:from:<P-1>` with the regex `^K$` answers it (the server applies the
//    regex before its 25-entry window): K's first entry must be either at P with the same
//    operation and `updatedAt`, or above our last received id (K was written again since:
//    that is news to pull, not a reset). No entry of K, or K at P with another `updatedAt`,
//    means the log we pulled from is gone. Check 1 misses a reset followed by enough new
//    writes to pass our id; check 2 catches it. If the page is full of always-included keys
//    and shows no K, it proves nothing and counts as holding (no false alarm).
import { SYNC_PAGE_LIMIT } from "./pull.js";
import type { RemoteEntry, ResetProbe } from "./types.js";

export type ResetReason = "commit-id-went-back" | "last-entry-missing";

export function isResetByStats(serverCommitId: number | null, lastReceivedCommitId: number): boolean {
  if (lastReceivedCommitId < 0) return false;
  return serverCommitId === null || serverCommitId < lastReceivedCommitId;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&");
}

export function probeCommand(probe: ResetProbe): string {
  return `sync:from:${probe.commitId - 1}:limit:${SYNC_PAGE_LIMIT}:^${escapeRegex(probe.atKey)}$`;
}

export function probeHolds(probe: ResetProbe, page: readonly RemoteEntry[], lastReceivedCommitId: number): boolean {
  const first = page.find((e) => e.atKey.toLowerCase() === probe.atKey);
  if (!first) return page.length >= SYNC_PAGE_LIMIT;
  if (first.commitId > lastReceivedCommitId) return true;
  if (first.commitId !== probe.commitId) return false;
  if ((first.operation === "-") !== (probe.operation === "-")) return false;
  if (probe.updatedAt !== null && first.metadata?.updatedAt !== probe.updatedAt) return false;
  return true;
}
