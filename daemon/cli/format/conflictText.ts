// The human form of `atsyncd conflicts`: one line per conflict, both sides, values quoted
// (JSON) and cut so a long or multi-line value cannot break the layout.
import type { Conflict, ConflictSide } from "../../../shared/types.js";
import { formatClock, type TimeOptions } from "./numbers.js";
import { printable } from "./printable.js";
import { columns, truncateDisplay } from "./textWidth.js";

export function describeSide(s: ConflictSide, max = 30): string {
  if (s.deleted) return "(deleted)";
  if (s.value === null) return "(cannot decrypt)";
  return truncateDisplay(printable(JSON.stringify(s.value)), max);
}

export function formatConflicts(conflicts: readonly Conflict[], now: number, time?: TimeOptions | string): string[] {
  const rows = conflicts.map((c) => [
    `#${c.id}`,
    c.atSign,
    printable(c.key),
    `local ${describeSide(c.local)}`,
    `remote ${describeSide(c.remote)}`,
    `${c.policy}: kept ${c.applied}${c.resolved ? " (resolved)" : ""}`,
    formatClock(c.detectedAt, now, time),
  ]);
  return columns(rows);
}
