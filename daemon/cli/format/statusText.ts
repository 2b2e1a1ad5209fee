// The human form of `atsyncd status`, derived only from the daemon's SyncStatus (the same
// object `--json` prints), one line per atSign in the manner of `tailscale status`.
import type { SyncState, SyncStatus } from "../../../shared/status.js";
import { formatAgo, formatClock, formatCount, plural } from "./numbers.js";
import { columns } from "./textWidth.js";

export interface FormatContext {
  now: number;
  /** For the clock times in "offline since 12:03"; the local zone when absent. */
  timeZone?: string | undefined;
}

/** `40% (4,000/10,000)`; `4,000 downloaded` while the total is unknown; `(downloading)` before any count. */
export function formatProgress(p: { direction: "upload" | "download"; done: number; total: number | null }): string {
  if (p.total !== null && p.total > 0) {
    const pct = Math.min(100, Math.floor((p.done / p.total) * 100));
    return `${pct}% (${formatCount(p.done)}/${formatCount(p.total)})`;
  }
  if (p.done > 0) return `${formatCount(p.done)} ${p.direction === "upload" ? "uploaded" : "downloaded"}`;
  return `(${p.direction === "upload" ? "uploading" : "downloading"})`;
}

/** The state column: `in sync`, `syncing 40% (4,000/10,000)`, `offline since 12:03`, ... */
export function describeState(
  s: Pick<SyncStatus, "state" | "pendingUploads" | "rejectedUploads" | "localCommitId" | "serverCommitId">, ctx: FormatContext,
): string {
  const st: SyncState = s.state;
  switch (st.kind) {
    case "online":
      if (s.pendingUploads > 0) return `online, ${formatCount(s.pendingUploads)} to upload`;
      if (s.serverCommitId !== null && (s.localCommitId ?? -1) < s.serverCommitId) return "online, behind the atServer";
      // Nothing moves, yet this device holds changes the atServer will never take.
      if ((s.rejectedUploads ?? 0) > 0) return `needs attention: ${formatCount(s.rejectedUploads ?? 0)} rejected`;
      return "in sync";
    case "syncing":
      return `syncing ${formatProgress(st.progress)}`;
    case "connecting":
      return st.attempt > 1 ? `connecting (attempt ${st.attempt})` : "connecting";
    case "offline":
      return `offline since ${formatClock(st.since, ctx.now, ctx.timeZone)}`;
    case "backoff":
      return `backing off until ${formatClock(st.untilMs, ctx.now, ctx.timeZone)} (${st.lastError.message})`;
    case "needs-attention":
      return `needs attention: ${st.reason}`;
  }
}

/** True when the atSign needs a person or is failing: drives exit code 5. */
export function needsAttention(s: SyncStatus): boolean {
  return s.state.kind === "needs-attention" || s.state.kind === "backoff" || s.conflicts > 0 || (s.rejectedUploads ?? 0) > 0;
}

function commitIds(s: SyncStatus): string {
  const id = (n: number | null): string => (n === null ? "-" : String(n));
  return `commit ${id(s.localCommitId)}/${id(s.serverCommitId)}`;
}

/**
 * `3 pending`; `3 pending, 1 rejected` when the atServer refused changes for good, and
 * `…, 2 kept local (outside the filter)` when some changes never leave.
 */
function pendingCell(s: SyncStatus): string {
  const outside = s.pendingOutsideFilter ?? 0;
  const rejected = s.rejectedUploads ?? 0;
  let cell = `${formatCount(s.pendingUploads)} pending`;
  if (rejected > 0) cell += `, ${formatCount(rejected)} rejected`;
  if (outside > 0) cell += `, ${formatCount(outside)} kept local (outside the filter)`;
  return cell;
}

/** The cells of one atSign's line. */
export function statusCells(s: SyncStatus, ctx: FormatContext): string[] {
  return [
    s.atSign,
    describeState(s, ctx),
    s.lastSyncedAt === null ? "never synced" : `synced ${formatAgo(s.lastSyncedAt, ctx.now)}`,
    pendingCell(s),
    plural(s.conflicts, "conflict"),
    commitIds(s),
  ];
}

/** Everything `atsyncd status` prints for these statuses (without a trailing newline). */
export function formatStatusTable(statuses: readonly SyncStatus[], ctx: FormatContext): string[] {
  const lines = columns(statuses.map((s) => statusCells(s, ctx)));
  const errors: string[] = [];
  for (const s of statuses) {
    if (s.lastUploadError) errors.push(`${s.atSign}: last upload failed: ${s.lastUploadError.message}`);
    if (s.lastDownloadError) errors.push(`${s.atSign}: last download failed: ${s.lastDownloadError.message}`);
    if (s.conflicts > 0) errors.push(`${s.atSign}: ${plural(s.conflicts, "conflict")} to look at: \`atsyncd conflicts ${s.atSign}\``);
  }
  const onFile = statuses.filter((s) => s.keyStore === "file").map((s) => s.atSign);
  if (onFile.length > 0) {
    errors.push(`warning: the keys of ${onFile.join(", ")} are in a file, not in the OS keychain; \`atsyncd doctor\` says why and what to do`);
  }
  return [...lines, ...(errors.length > 0 ? ["", ...errors] : [])];
}
