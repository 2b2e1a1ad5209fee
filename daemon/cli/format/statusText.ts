// The human form of `atsyncd status`, derived only from the daemon's SyncStatus (the same
// objects `--json` prints) and what the daemon says of itself: a first line with the daemon's
// version, uptime and socket, then one compact line per atSign with a fixed-width state column,
// and under it, indented, what explains it (why offline, when the next try is, the last errors,
// rejected changes, conflicts). Times are relative ("next try in 40s"), clock times local with
// their offset (or UTC with --utc).
import type { PhaseProgress, SyncProgress, SyncState, SyncStatus } from "../../../shared/status.js";
import type { DaemonDescribeResult } from "../../../shared/types.js";
import { formatAgo, formatClock, formatCount, formatDuration, plural, type TimeOptions } from "./numbers.js";
import { printable } from "./printable.js";
import { columns, padDisplay } from "./textWidth.js";

export interface FormatContext extends TimeOptions {
  now: number;
}

/** The width of the state column: every label fits ("needs attention", "syncing ↓ 100%"). */
export const STATE_WIDTH = 15;
const INDENT = "    ";

function pct(p: PhaseProgress): number {
  return p.total > 0 ? Math.min(100, Math.floor((p.done / p.total) * 100)) : 100;
}

/** `↓ 4,000/10,000 (40%), 1,200/s, 5s left`: one phase's figures. */
export function formatPhase(direction: "upload" | "download", p: PhaseProgress): string {
  const arrow = direction === "upload" ? "↑" : "↓";
  const what = direction === "upload" ? "changes" : "commits";
  let text = `${arrow} ${formatCount(p.done)}/${formatCount(p.total)} ${what} (${pct(p)}%)`;
  if (p.perSecond !== null) text += `, ${p.perSecond >= 10 ? formatCount(p.perSecond) : String(p.perSecond)}/s`;
  if (p.etaMs !== null) text += `, ${formatDuration(p.etaMs)} left`;
  return text;
}

/** Both phases of a sync, the moving one first. */
export function formatProgress(p: SyncProgress): string {
  const order = p.direction === "upload" ? (["upload", "download"] as const) : (["download", "upload"] as const);
  return order.flatMap((d) => (p[d] ? [formatPhase(d, p[d])] : [])).join("; ");
}

/** The state column: short, fixed width, the same words every time. */
export function stateLabel(s: Pick<SyncStatus, "state" | "inSync">): string {
  const st: SyncState = s.state;
  switch (st.kind) {
    case "online":
      return s.inSync ? "in sync" : "online";
    case "syncing": {
      const phase = st.progress[st.progress.direction];
      return `syncing ${st.progress.direction === "upload" ? "↑" : "↓"} ${phase ? pct(phase) : 0}%`;
    }
    case "starting":
      return "starting";
    case "connecting":
      return "connecting";
    case "offline":
      return "offline";
    case "backoff":
      return "backing off";
    case "needs-attention":
      return "needs attention";
  }
}

function inOrAgo(at: number, now: number): string {
  return at > now ? `in ${formatDuration(at - now)}` : "now";
}

/** What explains the state, on its own line; null when the label says it all. */
export function stateDetail(s: SyncStatus, ctx: FormatContext): string | null {
  const st = s.state;
  switch (st.kind) {
    case "online": {
      if (s.inSync) return null;
      if (s.pendingUploads > 0) return `${formatCount(s.pendingUploads)} to upload`;
      if (s.serverCommitId !== null && (s.lastReceivedCommitId ?? -1) < s.serverCommitId) return "behind the atServer: a sync will fetch the rest";
      if (s.rejectedUploads > 0) return `${plural(s.rejectedUploads, "change")} rejected by the atServer`;
      return "checking with the atServer";
    }
    case "syncing":
      return formatProgress(st.progress);
    case "starting":
      return `its worker is starting (for ${formatDuration(ctx.now - st.since)})`;
    case "connecting":
      return st.attempt > 1 ? `connecting to the atServer, attempt ${st.attempt}` : null;
    case "offline": {
      const next = st.nextAttemptAt !== null ? `; next try ${inOrAgo(st.nextAttemptAt, ctx.now)}` : "; reconnecting";
      return `offline for ${formatDuration(ctx.now - st.since)} (since ${formatClock(st.since, ctx.now, ctx)}): ${st.reason}${next}`;
    }
    case "backoff":
      return `backing off, next try ${inOrAgo(st.untilMs, ctx.now)} (attempt ${st.attempt}): ${st.lastError.message}`;
    case "needs-attention":
      return `needs attention: ${st.reason}`;
  }
}

/** One line for places with no room for detail lines (`watch`, `doctor`). */
export function describeState(s: SyncStatus, ctx: FormatContext): string {
  const detail = stateDetail(s, ctx);
  const label = stateLabel(s);
  if (detail === null) return label;
  return detail.startsWith(label) ? detail : `${label}: ${detail}`;
}

/** True when the atSign needs a person or is failing: drives exit code 5. */
export function needsAttention(s: SyncStatus): boolean {
  return s.state.kind === "needs-attention" || s.state.kind === "backoff" || s.conflicts > 0 || s.rejectedUploads > 0;
}

function commitIds(s: SyncStatus): string {
  const id = (n: number | null): string => (n === null ? "-" : String(n));
  return `commit ${id(s.lastReceivedCommitId)}/${id(s.serverCommitId)}`;
}

/** `3 pending`; `3 pending, 1 rejected`, and `…, 2 kept local` when some changes never leave (outside the filter). */
function pendingCell(s: SyncStatus): string {
  let cell = `${formatCount(s.pendingUploads)} pending`;
  if (s.rejectedUploads > 0) cell += `, ${formatCount(s.rejectedUploads)} rejected`;
  if (s.pendingOutsideFilter > 0) cell += `, ${formatCount(s.pendingOutsideFilter)} kept local`;
  return cell;
}

/** The cells of one atSign's line; the state cell is padded to STATE_WIDTH. */
export function statusCells(s: SyncStatus, ctx: FormatContext): string[] {
  return [
    s.atSign,
    padDisplay(stateLabel(s), STATE_WIDTH),
    s.lastSyncedAt === null ? "never synced" : `synced ${formatAgo(s.lastSyncedAt, ctx.now)}`,
    pendingCell(s),
    plural(s.conflicts, "conflict"),
    commitIds(s),
  ];
}

/** The indented lines under one atSign's line. */
export function detailLines(s: SyncStatus, ctx: FormatContext): string[] {
  const out: string[] = [];
  const detail = stateDetail(s, ctx);
  // The rejected change's own line below says more than "1 change rejected".
  if (detail !== null && !(s.lastRejected !== null && detail.endsWith("rejected by the atServer"))) out.push(detail);
  if (s.lastRejected !== null) {
    const more = s.rejectedUploads > 1 ? ` (and ${formatCount(s.rejectedUploads - 1)} more)` : "";
    const code = s.lastRejected.code !== "" ? `${s.lastRejected.code} ` : "";
    out.push(`rejected by the atServer for good: ${printable(s.lastRejected.key)}: ${code}${printable(s.lastRejected.reason)}${more}; write the key again to retry`);
  }
  // The failure the backoff line names is not said again.
  const said = s.state.kind === "backoff" ? s.state.lastError.message : null;
  if (s.lastUploadError && s.lastUploadError.message !== said) out.push(`last upload failed ${formatAgo(s.lastUploadError.at, ctx.now)}: ${s.lastUploadError.message}`);
  if (s.lastDownloadError && s.lastDownloadError.message !== said) out.push(`last download failed ${formatAgo(s.lastDownloadError.at, ctx.now)}: ${s.lastDownloadError.message}`);
  if (s.pendingOutsideFilter > 0) out.push(`${plural(s.pendingOutsideFilter, "key")} changed here outside the selective-sync filter: kept on this device, never uploaded`);
  if (s.conflicts > 0) out.push(`${plural(s.conflicts, "conflict")} to look at: \`atsyncd conflicts ${s.atSign}\``);
  return out.map((l) => INDENT + l);
}

/** `atsyncd 0.1.0, pid 4242, up 3m 5s, socket /run/user/1000/atsyncd/atsyncd.sock` */
export function daemonLine(d: DaemonDescribeResult, now: number): string {
  return `atsyncd ${d.version}, pid ${d.pid}, up ${formatDuration(now - d.startedAt)}, socket ${d.socketPath}${d.dev ? ` (run --dev, data in ${d.dataDir})` : ""}`;
}

export interface TableOptions {
  /** The daemon's own line first, when known. */
  daemon?: DaemonDescribeResult | undefined;
  /** Say once, at the end, that keys are in the file store (not for `run --dev`, where that is by design). */
  keyFileWarning?: boolean;
}

/** Everything `atsyncd status` prints for these statuses (without a trailing newline). */
export function formatStatusTable(statuses: readonly SyncStatus[], ctx: FormatContext, o: TableOptions = {}): string[] {
  const rows = columns(statuses.map((s) => statusCells(s, ctx)));
  const lines: string[] = o.daemon ? [daemonLine(o.daemon, ctx.now)] : [];
  statuses.forEach((s, i) => lines.push(rows[i]!, ...detailLines(s, ctx)));
  const onFile = statuses.filter((s) => s.keyStore === "file").map((s) => s.atSign);
  if (o.keyFileWarning !== false && o.daemon?.dev !== true && onFile.length > 0) {
    lines.push(`warning: the keys of ${onFile.join(", ")} are in a file, not in the OS keychain; \`atsyncd doctor\` says why and what to do`);
  }
  return lines;
}
