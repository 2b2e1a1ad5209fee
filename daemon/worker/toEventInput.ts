// The driver's events (daemon/sync/events.ts) in the shape subscribers get (shared/events.ts).
// Returns undefined for events apps do not see (a server reset is logged instead).
import type { EventInput, SyncCounts } from "../../shared/events.js";
import type { SyncCounts as DriverCounts, SyncEvent } from "../sync/events.js";
import { syncErrorCode } from "./toWireError.js";
import { redactText } from "../log/redact.js";
import { keyOwner } from "../../shared/atKey.js";

function counts(c: DriverCounts): SyncCounts {
  return { uploaded: c.pushed, downloaded: c.pulled, conflicts: c.conflicts, rejected: c.rejected };
}

/** `sharedBy` for the cached copy of another atSign's key: its owner. */
function sharer(atKey: string): { sharedBy?: string } {
  if (!atKey.startsWith("cached:")) return {};
  const owner = keyOwner(atKey);
  return owner === undefined ? {} : { sharedBy: owner };
}

export function toEventInput(atSign: string, e: SyncEvent): EventInput | undefined {
  switch (e.type) {
    case "key.changed":
      // `private:` keys are the worker's own (the shared-key ring): apps can neither list nor read them.
      if (e.atKey.startsWith("private:")) return undefined;
      return { kind: "key.changed", atSign, key: e.atKey, origin: e.origin, op: e.op, ...sharer(e.atKey) };
    case "sync.started":
      return { kind: "sync.started", atSign, at: e.atMs };
    case "sync.completed":
      return { kind: "sync.completed", atSign, at: e.atMs, counts: counts(e.counts), durationMs: e.durationMs };
    case "sync.failed":
      return {
        kind: "sync.failed", atSign, at: e.atMs, counts: counts(e.counts), durationMs: e.durationMs,
        error: { code: syncErrorCode(e.error.code), message: redactText(e.error.message).slice(0, 500) },
      };
    case "conflict.detected":
      return {
        kind: "conflict.detected", atSign, at: e.conflict.detectedAtMs, key: e.conflict.atKey,
        conflictId: String(e.conflict.id), policy: e.conflict.policy,
      };
    case "change.rejected":
      return {
        kind: "change.rejected", atSign, key: e.atKey,
        error: { code: syncErrorCode(e.code), message: redactText(`${e.code}: ${e.error}`).slice(0, 500) },
      };
    // The loop's own moves are logged; apps get the derived state's (StatusPublisher).
    case "state.changed":
    case "server.reset":
    case "sync.progress":
      return undefined;
  }
}
