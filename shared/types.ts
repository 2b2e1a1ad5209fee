// Params and results of the RPC methods (descriptors in methods.ts). Plain JSON data.

import type { KeyStoreKind, SyncStateKind, SyncStatus } from "./status.js";
import type { EventKind, AtsyncEvent } from "./events.js";

/** Metadata an app may set on a put (atprotocol.md §3.2); the daemon fills in the rest. */
export interface PutMetadata {
  /** Milliseconds until the key expires; 0 = never. */
  ttl?: number;
  /** Milliseconds before the key becomes available. */
  ttb?: number;
  /** Milliseconds others may cache it; -1 = forever. */
  ttr?: number;
  /** Cascade-delete cached copies when this key is deleted. */
  ccd?: boolean;
  /** The value is base64 of binary data. */
  isBinary?: boolean;
}

/** Metadata as stored, nulls left out. Dates as the server writes them (`2022-11-07 13:42:02.703Z`). */
export interface KeyMetadata extends PutMetadata {
  createdBy?: string;
  updatedBy?: string;
  createdAt?: string;
  updatedAt?: string;
  availableAt?: string;
  expiresAt?: string;
  refreshAt?: string;
  status?: string;
  version?: number;
  isEncrypted?: boolean;
  dataSignature?: string;
  sharedKeyEnc?: string;
  pubKeyCS?: string;
  encoding?: string;
  encKeyName?: string;
  encAlgo?: string;
  ivNonce?: string;
  skeEncKeyName?: string;
  skeEncAlgo?: string;
}

export interface HelloParams { protocolVersion: number; client: string }
export interface HelloResult { protocolVersion: number; daemonVersion: string }

export type AtSignsListParams = Record<string, never>;
export interface AtSignSummary { atSign: string; state: SyncStateKind; keyStore: KeyStoreKind }

export interface KeyRef { atSign: string; key: string }
export type KeysGetParams = KeyRef;
export interface KeysGetResult { key: string; value: string; metadata: KeyMetadata }
export type KeysGetMetaParams = KeyRef;
export interface KeysGetMetaResult { key: string; metadata: KeyMetadata }
export interface KeysPutParams { atSign: string; key: string; value: string; metadata?: PutMetadata }
/** Resolved once the write is durable in the local store (not yet on the server). */
export interface KeysPutResult { key: string }
export type KeysDeleteParams = KeyRef;
export interface KeysDeleteResult { key: string }
/**
 * One page of an atSign's keys, in key order (the bytes of their UTF-8), optionally those matching
 * a regex or in a namespace. A listing starts without `cursor` and goes on with each page's
 * `nextCursor` (with the same regex, namespace and showHidden) until it is null.
 */
export interface KeysListParams {
  atSign: string;
  regex?: string;
  namespace?: string;
  showHidden?: boolean;
  /** At most this many keys in the page: 1 to MAX_LIST_LIMIT, default DEFAULT_LIST_LIMIT (shared/protocol.ts). */
  limit?: number;
  /** The `nextCursor` of the previous page; absent for the first. */
  cursor?: string;
}
/**
 * A page holds at most `limit` keys and may hold fewer, even none, before the end: a page with a
 * regex examines a bounded number of keys. The listing is over when `nextCursor` is null.
 */
export interface KeysListResult { keys: string[]; nextCursor: string | null }

export interface KeysLookupParams {
  atSign: string;
  /** Another atSign's key: `public:name.wavi@bob` (plookup) or `@alice:k.wavi@bob`, shared with us (lookup). */
  key: string;
  /** Ask its atServer even when the cached copy is fresh. */
  bypassCache?: boolean;
}
export interface KeysLookupResult {
  key: string;
  value: string;
  metadata: KeyMetadata;
  /** Where the value came from: its owner's atServer now, or the local cached copy. */
  source: "atServer" | "cache";
  /** How long ago this device fetched it (0 when fresh from the atServer). */
  ageMs: number;
  /** Past its time to refresh (ttr): served from the cache because the atServer could not be asked. */
  stale: boolean;
}

/** Where a notification we send stands (notify:status, and "queued" here while offline). */
export type NotificationStatus = "queued" | "sent" | "delivered" | "errored" | "expired";
export interface NotificationsSendParams {
  atSign: string;
  /** The recipient. */
  to: string;
  /** A key notification: the key (`k.wavi`, or in full `@bob:k.wavi@alice`). */
  key?: string;
  /** With `key`: its value, encrypted for the recipient with the key shared with it. */
  value?: string;
  /** With `key`: notify a delete instead of an update. */
  delete?: boolean;
  /** A text notification instead of a key one; encrypted for the recipient. */
  text?: string;
  /** With `key` and `value`: the recipient's atServer keeps a copy that long (seconds; -1 forever). */
  ttr?: number;
  ccd?: boolean;
  /** Milliseconds the recipient's atServer keeps trying to deliver it. */
  ttln?: number;
  /** Resolve only once delivered (or fail with NotificationUndelivered). */
  wait?: boolean;
  timeoutMs?: number;
}
export interface NotificationsSendResult { notificationId: string; status: NotificationStatus }

export type PutManyItem =
  | { op: "put"; key: string; value: string; metadata?: PutMetadata }
  | { op: "delete"; key: string };
export interface KeysPutManyParams { atSign: string; items: PutManyItem[] }
export interface KeysPutManyResult { keys: string[] }

export interface SyncNowParams {
  atSign?: string;
  /** Resolve only once in sync (or fail with the sync's error). */
  wait?: boolean;
  timeoutMs?: number;
}
export interface SyncNowResult { statuses: SyncStatus[] }

export interface StatusGetParams { atSign?: string }
export type StatusGetResult = SyncStatus[];

export interface ConflictSide {
  /** Decrypted where the daemon can; null for a delete. */
  value: string | null;
  metadata: KeyMetadata | null;
  deleted: boolean;
}
export interface Conflict {
  id: string;
  atSign: string;
  key: string;
  local: ConflictSide;
  remote: ConflictSide;
  /** The policy applied when detected ("local-wins", "remote-wins", "last-writer-wins"). */
  policy: string;
  /** Which side the store holds now. */
  applied: "local" | "remote";
  detectedAt: number;
  resolved: boolean;
}
export interface ConflictsListParams { atSign?: string; includeResolved?: boolean }
export interface ConflictsResolveParams { atSign: string; id: string; choose: "local" | "remote" }

export interface EventsSubscribeParams {
  /** The last seq this client saw; events after it are replayed if the daemon still has them. */
  since?: number;
  /** The epoch `since` belongs to; another epoch (a restarted daemon) gets a resync snapshot. */
  epoch?: string;
  atSigns?: string[];
  namespaces?: string[];
  regex?: string;
  kinds?: EventKind[];
}
export interface EventsSubscribeResult { subscriptionId: string; epoch: string; seq: number }
export interface EventsUnsubscribeParams { subscriptionId: string }
export interface EventsUnsubscribeResult { unsubscribed: boolean }
/** Params of each `events.event` notification. */
export interface EventNotificationParams { subscriptionId: string; event: AtsyncEvent }

export interface IdentitiesOnboardParams {
  atSign: string;
  /** The contents of the .atKeys file (JSON text). Never logged. */
  atKeys: string;
}
export interface IdentitiesOnboardResult { atSign: string; keyStore: KeyStoreKind; fallbackReason?: string }
export interface IdentitiesOffboardParams { atSign: string }
export interface IdentitiesOffboardResult { atSign: string }

export type DaemonDescribeParams = Record<string, never>;
/** What a running daemon says about itself (`atsyncd --version`, `status`, `doctor`, `config`). */
export interface DaemonDescribeResult {
  /** Its atsyncd version. */
  version: string;
  pid: number;
  /** When it started, epoch ms. */
  startedAt: number;
  socketPath: string;
  dataDir: string;
  configFile: string;
  keyStore: KeyStoreKind;
  /** Started by `atsyncd run --dev`: its data dir holds the dev-server's demo atSigns, keys in a file by design. */
  dev: boolean;
  /** The web listener for browser apps (`ws://127.0.0.1:PORT`), when it is on. */
  webUrl?: string;
  /** The daemon process's memory now (its workers are threads of it): resident set and V8 heap in use, bytes. */
  memory?: { rssBytes: number; heapUsedBytes: number };
}

export type DaemonShutdownParams = Record<string, never>;
export type DaemonShutdownResult = Record<string, never>;

/** What a browser app asks for on the web listener's consent path (`app.requestAccess`). */
export interface AppRequestAccessParams {
  /** Shown to the user: "Wavi", "my notes". */
  name: string;
  atSigns: string[];
  namespaces: string[];
  /** If given, it must be the connection's Origin header (the daemon trusts the header, not this). */
  origin?: string;
}
/** The reply once the user allows it: the token goes in the `atsyncd-token.<token>` subprotocol. */
export interface AppRequestAccessResult {
  appId: string;
  token: string;
  atSigns: string[];
  namespaces: string[];
  /** True for "allow always" (kept across restarts), false for "allow once" (until the daemon stops). */
  always: boolean;
}
export interface PendingApp {
  requestId: string;
  name: string;
  origin: string;
  atSigns: string[];
  namespaces: string[];
  requestedAt: number;
}
export interface AllowedApp {
  appId: string;
  name: string;
  origin: string;
  atSigns: string[];
  namespaces: string[];
  grantedAt: number;
  always: boolean;
}
export type AppsListParams = Record<string, never>;
export interface AppsListResult {
  pending: PendingApp[];
  allowed: AllowedApp[];
}
export interface AppsAllowParams {
  requestId: string;
  /** Keep the grant across restarts (default: allow once, until the daemon stops). */
  always?: boolean;
}
export interface AppsDenyParams { requestId: string }
export interface AppsDenyResult { denied: boolean }
export interface AppsRevokeParams { appId: string }
export interface AppsRevokeResult { revoked: boolean }

/** The changes of one atSign the atServer has not taken: pending (not yet acknowledged) or rejected for good (still in effect). */
export type UploadState = "pending" | "rejected";
export interface UploadsListParams {
  atSign: string;
  state: UploadState;
  /** The `next` of the page before: the key this page starts after (keys in order). */
  after?: string;
  /** Keys in this page: 1 to 500, default 100. */
  limit?: number;
}
/** One key with a change waiting for the atServer, or refused by it. */
export interface UploadItem {
  key: string;
  /** What the latest change does: "update" (a value), "updateMeta" (metadata only), "delete". */
  op: "update" | "updateMeta" | "delete";
  /** Pending: when the oldest of its changes was written; rejected: when the refused change was. */
  since: number;
  /** Pending: the changes of the key not yet acknowledged (1 or more); rejected: 1. */
  changes: number;
  /** Pending: tries that failed for now (retried at nextRetryAt); 0 when none failed. */
  attempts: number;
  nextRetryAt: number | null;
  /** Why: the atServer's refusal (rejected), or the last failure that will be retried (pending, null when none). */
  error: { code: string; reason: string } | null;
  /** Pending: kept on this device, outside the selective-sync filter (never uploaded). */
  outsideFilter: boolean;
}
export interface UploadsListResult {
  state: UploadState;
  items: UploadItem[];
  /** Keys in this state in all (every page). */
  total: number;
  /** Pass as `after` for the next page; null on the last. */
  next: string | null;
}

export type WebLoginParams = Record<string, never>;
/** A one-time link to the status page (`atsyncd web`): it logs the browser in once, before `expiresAt`. */
export interface WebLoginResult {
  /** `http://127.0.0.1:PORT/login?token=…`: a secret until used; never logged. */
  url: string;
  expiresAt: number;
}
