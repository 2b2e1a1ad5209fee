// Events pushed to subscribers (house-style §16). Each carries a `seq`, strictly
// increasing within one daemon run (`epoch`); a subscription opens with a snapshot
// or with the events after `since`, then continues with deltas.

import type { EventSeq } from "./ids.js";
import type { SyncStateKind, SyncStatus } from "./status.js";
import { keyNamespace } from "./atKey.js";

export interface WireError {
  code: number;
  message: string;
}

export interface SyncCounts {
  uploaded: number;
  downloaded: number;
  conflicts: number;
  rejected: number;
}

interface Base {
  seq: EventSeq;
  /** Epoch ms when it happened. */
  at: number;
}

export interface KeyChangedEvent extends Base {
  kind: "key.changed";
  atSign: string;
  key: string;
  origin: "local" | "remote";
  op: "update" | "updateMeta" | "delete";
  /**
   * For the cached copy of another atSign's key (`cached:@alice:k.wavi@bob`, which an app reads
   * as `@alice:k.wavi@bob`): that atSign, who shared or published it. Absent for our own keys.
   */
  sharedBy?: string;
}
export interface SyncStartedEvent extends Base {
  kind: "sync.started";
  atSign: string;
}
export interface SyncCompletedEvent extends Base {
  kind: "sync.completed";
  atSign: string;
  counts: SyncCounts;
  durationMs: number;
}
export interface SyncFailedEvent extends Base {
  kind: "sync.failed";
  atSign: string;
  counts: SyncCounts;
  durationMs: number;
  error: WireError;
}
export interface ConflictDetectedEvent extends Base {
  kind: "conflict.detected";
  atSign: string;
  key: string;
  conflictId: string;
  /** The policy applied automatically ("local-wins", ...); a person may still resolve it. */
  policy: string;
}
export interface ChangeRejectedEvent extends Base {
  kind: "change.rejected";
  atSign: string;
  key: string;
  error: WireError;
}
export interface StateChangedEvent extends Base {
  kind: "state.changed";
  atSign: string;
  from: SyncStateKind;
  to: SyncStateKind;
  /** How long the `from` state lasted. */
  durationMs: number;
}
export interface StatusChangedEvent extends Base {
  kind: "status.changed";
  atSign: string;
  status: SyncStatus;
}
export interface NotificationReceivedEvent extends Base {
  kind: "notification.received";
  /** The recipient: one of our atSigns. */
  atSign: string;
  from: string;
  key: string;
  operation: "update" | "delete";
  /** Decrypted when it was encrypted for us; null for deletes and value-less notifications. */
  value: string | null;
  notificationId: string;
}
/** A notification one of our atSigns sent: queued (offline), sent, then delivered, errored or expired. */
export interface NotificationStatusChangedEvent extends Base {
  kind: "notification.statusChanged";
  /** The sender: one of our atSigns. */
  atSign: string;
  to: string;
  notificationId: string;
  status: "queued" | "sent" | "delivered" | "errored" | "expired";
  /** Why, for errored (NotificationUndelivered, AtSignNotFound, …). */
  error?: WireError;
}
/** A browser app asks for access (daemon/web/AppConsent.ts): `atsyncd apps allow REQUEST` lets it in. */
export interface AppAccessRequestedEvent extends Base {
  kind: "app.access.requested";
  requestId: string;
  name: string;
  /** The browser's Origin header of the asking connection. */
  origin: string;
  atSigns: string[];
  namespaces: string[];
}
/** Opens a subscription without `since`, or replaces a `since` the daemon no longer has (`resync: true`). */
export interface SnapshotEvent extends Base {
  kind: "snapshot";
  resync: boolean;
  statuses: SyncStatus[];
}

export type AtsyncEvent =
  | KeyChangedEvent
  | SyncStartedEvent
  | SyncCompletedEvent
  | SyncFailedEvent
  | ConflictDetectedEvent
  | ChangeRejectedEvent
  | StateChangedEvent
  | StatusChangedEvent
  | NotificationReceivedEvent
  | NotificationStatusChangedEvent
  | AppAccessRequestedEvent
  | SnapshotEvent;

export type EventKind = AtsyncEvent["kind"];

/** Every kind, sorted; a test checks it matches the union. */
export const EventKinds = [
  "app.access.requested",
  "change.rejected",
  "conflict.detected",
  "key.changed",
  "notification.received",
  "notification.statusChanged",
  "snapshot",
  "state.changed",
  "status.changed",
  "sync.completed",
  "sync.failed",
  "sync.started",
] as const satisfies readonly EventKind[];

/** What publishers hand the hub: everything but `seq` (the hub assigns it) and optionally `at`. */
export type PublishableEvent = Exclude<AtsyncEvent, SnapshotEvent>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type EventInput = DistributiveOmit<PublishableEvent, "seq" | "at"> & { at?: number };

export interface EventFilter {
  atSigns?: string[];
  namespaces?: string[];
  /** Matched (Unicode) against the atKey of key-bearing events. */
  regex?: string;
  kinds?: EventKind[];
}

/** The key an event is about, for namespace/regex filters; undefined for sync and state events. */
export function eventKey(e: AtsyncEvent): string | undefined {
  switch (e.kind) {
    case "key.changed":
    case "conflict.detected":
    case "change.rejected":
    case "notification.received":
      return e.key;
    default:
      return undefined;
  }
}

/** A filter compiled once per subscription. */
export function compileFilter(f: EventFilter): (e: AtsyncEvent) => boolean {
  const atSigns = f.atSigns ? new Set(f.atSigns.map((a) => a.toLowerCase())) : undefined;
  const namespaces = f.namespaces ? new Set(f.namespaces.map((n) => n.toLowerCase())) : undefined;
  const regex = f.regex !== undefined ? new RegExp(f.regex, "u") : undefined;
  const kinds = f.kinds ? new Set<string>(f.kinds) : undefined;
  return (e) => {
    // A snapshot always opens a stream; its statuses are narrowed by the publisher.
    if (e.kind === "snapshot") return true;
    if (kinds && !kinds.has(e.kind)) return false;
    // Daemon-wide events (an app asking for access) belong to no atSign: an atSigns filter passes them.
    if (atSigns && "atSign" in e && !atSigns.has(e.atSign.toLowerCase())) return false;
    // Namespace and regex narrow key events only; sync and state events pass them.
    const key = eventKey(e);
    if (key === undefined) return true;
    if (namespaces) {
      const ns = keyNamespace(key);
      if (ns === undefined || !namespaces.has(ns.toLowerCase())) return false;
    }
    if (regex && !regex.test(key)) return false;
    return true;
  };
}
