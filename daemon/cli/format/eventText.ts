// One line per event for `atsyncd watch` (without --json, which prints the event as is). Times
// are local with their offset, or UTC with --utc, as in `status` and `conflicts`. Without
// --verbose, what only says a sync is under way (sync.started, status.changed, the state moving
// between online and syncing, a sync that moved nothing) is left out: one line per sync.
import type { AtsyncEvent } from "../../../shared/events.js";
import { formatDuration, formatEventTime, plural, type TimeOptions } from "./numbers.js";
import { describeState, type FormatContext } from "./statusText.js";
import { printable } from "./printable.js";

export interface EventFormatOptions extends FormatContext {
  /** Every event, chatter included. */
  verbose?: boolean | undefined;
}

/** A line of `watch` about the stream itself, not an event (a lost connection to the daemon). */
export function noticeLine(text: string, at: number, o: TimeOptions): string {
  return `${formatEventTime(at, o)} ${text}`;
}

/** True for events that only say a sync is under way (shown with --verbose). */
export function isChatter(e: AtsyncEvent): boolean {
  switch (e.kind) {
    case "sync.started":
    case "status.changed":
      return true;
    case "sync.completed":
      return e.counts.uploaded === 0 && e.counts.downloaded === 0 && e.counts.conflicts === 0 && e.counts.rejected === 0;
    case "state.changed":
      return (e.from === "online" && e.to === "syncing") || (e.from === "syncing" && e.to === "online");
    default:
      return false;
  }
}

/** The lines for one event: none for chatter (unless verbose), several for a snapshot (one per atSign). */
export function formatEvent(e: AtsyncEvent, o: EventFormatOptions): string[] {
  if (o.verbose !== true && isChatter(e)) return [];
  const t = formatEventTime(e.at, o);
  switch (e.kind) {
    case "snapshot": {
      const head = e.resync ? "reconnected (resync):" : "now:";
      if (e.statuses.length === 0) return [`${t} ${head} no atSign is onboarded`];
      return e.statuses.map((s) => `${t} ${head} ${s.atSign} ${describeState(s, o)}`);
    }
    case "key.changed":
      return [`${t} ${e.atSign} ${e.op} ${printable(e.key)} (${e.origin})`];
    case "sync.started":
      return [`${t} ${e.atSign} sync started`];
    case "sync.completed":
      return [`${t} ${e.atSign} synced ↑${e.counts.uploaded} ↓${e.counts.downloaded} in ${formatDuration(e.durationMs)}` +
        (e.counts.conflicts > 0 ? `, ${plural(e.counts.conflicts, "conflict")}` : "") +
        (e.counts.rejected > 0 ? `, ${e.counts.rejected} rejected` : "")];
    case "sync.failed":
      return [`${t} ${e.atSign} sync failed after ${formatDuration(e.durationMs)}: ${printable(e.error.message)}`];
    case "conflict.detected":
      return [`${t} ${e.atSign} conflict #${e.conflictId} on ${printable(e.key)} (${e.policy} applied)`];
    case "change.rejected":
      return [`${t} ${e.atSign} rejected ${printable(e.key)}: ${printable(e.error.message)}`];
    case "state.changed":
      return [`${t} ${e.atSign} ${e.from} → ${e.to} (after ${formatDuration(e.durationMs)})`];
    case "status.changed":
      return [`${t} ${e.atSign} status: ${describeState(e.status, o)}`];
    case "notification.received":
      return [`${t} ${e.atSign} notification: ${e.operation} ${printable(e.key)} from ${e.from}`];
    case "notification.statusChanged":
      return [`${t} ${e.atSign} notification ${e.notificationId} to ${e.to}: ${e.status}${e.error ? `: ${printable(e.error.message)}` : ""}`];
    case "app.access.requested":
      return [`${t} app "${printable(e.name)}" (${e.origin}) asks for ${e.atSigns.join(", ")} [${e.namespaces.join(", ")}]: atsyncd apps allow ${e.requestId}`];
  }
}
