// One line per event for `atsyncd watch` (without --json, which prints the event as is).
import type { AtsyncEvent } from "../../../shared/events.js";
import { formatDuration, plural } from "./numbers.js";
import { describeState, type FormatContext } from "./statusText.js";

function time(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

export function formatEvent(e: AtsyncEvent, ctx: FormatContext): string {
  const head = `${time(e.at)} ${e.kind.padEnd(21)}`;
  switch (e.kind) {
    case "snapshot":
      return `${head} ${e.resync ? "(resync) " : ""}${e.statuses.map((s) => `${s.atSign} ${describeState(s, ctx)}`).join("; ") || "no atSigns"}`;
    case "key.changed":
      return `${head} ${e.atSign} ${e.key} ${e.op} (${e.origin})`;
    case "sync.started":
      return `${head} ${e.atSign}`;
    case "sync.completed":
      return `${head} ${e.atSign} ↑${e.counts.uploaded} ↓${e.counts.downloaded} in ${formatDuration(e.durationMs)}` +
        (e.counts.conflicts > 0 ? `, ${plural(e.counts.conflicts, "conflict")}` : "") +
        (e.counts.rejected > 0 ? `, ${e.counts.rejected} rejected` : "");
    case "sync.failed":
      return `${head} ${e.atSign} ${e.error.message} after ${formatDuration(e.durationMs)}`;
    case "conflict.detected":
      return `${head} ${e.atSign} ${e.key} (conflict ${e.conflictId}, ${e.policy} applied)`;
    case "change.rejected":
      return `${head} ${e.atSign} ${e.key}: ${e.error.message}`;
    case "state.changed":
      return `${head} ${e.atSign} ${e.from} → ${e.to} (after ${formatDuration(e.durationMs)})`;
    case "status.changed":
      return `${head} ${e.atSign} ${describeState(e.status, ctx)}`;
    case "notification.received":
      return `${head} ${e.atSign} ${e.operation} ${e.key} from ${e.from}`;
    case "notification.statusChanged":
      return `${head} ${e.atSign} → ${e.to} ${e.notificationId} ${e.status}${e.error ? `: ${e.error.message}` : ""}`;
  }
}
