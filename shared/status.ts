// The SyncStatus of one atSign (house-style §9, §10): the one status type, from the worker that
// computes it to `atsyncd status --json`, which prints exactly this object. Every field is a fact
// or is derived from facts when it is computed (daemon/status/deriveStatus.ts), never remembered:
// `connected` and `state` follow the connections' health, `inSync` the outbox and commit ids.
// Immutable, published only when `statusEquals` says it changed. Times are epoch milliseconds.
// The README's "Status fields" section documents every field.

/** A failure as status and events carry it: a code from shared/errors.ts and a message without secrets. */
export interface ErrorInfo {
  code: number;
  message: string;
  at: number;
}

/**
 * One phase of a sync, counted from when the sync began (runs back to back count as one sync).
 * Upload: changes the atServer has answered for good (taken or rejected). Download: server
 * commits received, the echo of our own uploads left out.
 */
export interface PhaseProgress {
  done: number;
  /** `done` plus what is known to be left now: it grows as work arrives and is never below `done`. */
  total: number;
  /** Per second over the last 10 s (two figures below 10: `0.25`); null in the phase's first second, or when nothing moved in those 10 s. */
  perSecond: number | null;
  /** Milliseconds left at that rate; null when the rate is not known. */
  etaMs: number | null;
}

export interface SyncProgress {
  /** The phase moving now. */
  direction: "upload" | "download";
  /** Null until this sync uploads anything. */
  upload: PhaseProgress | null;
  /** Null until this sync downloads anything (our own echoes are not a download). */
  download: PhaseProgress | null;
}

export type SyncState =
  /**
   * The atSign's worker is not up yet (the daemon starts a few at a time, or a restart after a
   * crash): nothing is known of its connection, and requests to it wait for it (WorkerStarting past
   * a bound).
   */
  | { kind: "starting"; since: number }
  /** No contact with the atServer yet since the worker started. */
  | { kind: "connecting"; since: number; attempt: number }
  /** Connected and not moving data; `inSync` says whether there is anything left to do. */
  | { kind: "online"; since: number }
  | { kind: "syncing"; since: number; progress: SyncProgress }
  /**
   * The atServer cannot be reached (a connection lost, a heartbeat not answered, a reconnect that
   * failed); `nextAttemptAt` is when the next reconnect is due (null while one is under way).
   */
  | { kind: "offline"; since: number; reason: string; nextAttemptAt: number | null }
  /** A sync failed with a retryable error; the next try is at `untilMs`. */
  | { kind: "backoff"; untilMs: number; attempt: number; lastError: ErrorInfo }
  /** A failure no retry fixes (keys refused, a worker that keeps crashing): only a person can help. */
  | { kind: "needs-attention"; since: number; reason: string; code: number };

export type SyncStateKind = SyncState["kind"];

export const SyncStateKinds: readonly SyncStateKind[] = [
  "backoff", "connecting", "needs-attention", "offline", "online", "starting", "syncing",
];

export type KeyStoreKind = "keychain" | "file";

/** The latest change the atServer refused for good. */
export interface RejectedUpload {
  key: string;
  /** The atServer's code, e.g. `AT0003`. */
  code: string;
  reason: string;
  /** When this device first saw the refusal. */
  at: number;
}

export interface SyncStatus {
  atSign: string;
  state: SyncState;
  /**
   * Nothing left to do: `state` online (so connected), no pending upload, no rejected change in
   * effect, and the last received commit id equal to the server's, as of a server reply at most
   * 10 s old (the monitor's heartbeat is answered every few seconds, or the state is offline).
   */
  inSync: boolean;
  /**
   * The monitor connection is up and answers its heartbeat (a `noop:0` every 4 s, answered within
   * 3 s), and the last request on the command connection did not fail for the network. The
   * atServer going away turns this false within 10 s.
   */
  connected: boolean;
  uploading: boolean;
  downloading: boolean;
  /** Keys with changes the atServer has not acknowledged (within the selective-sync filter). */
  pendingUploads: number;
  /** Keys with local changes outside the selective-sync filter: kept on this device, never uploaded. */
  pendingOutsideFilter: number;
  /** Changes the atServer refused for good that are still in effect (the key not written again since). */
  rejectedUploads: number;
  /** The latest of those, or null when there is none. */
  lastRejected: RejectedUpload | null;
  /** Conflicts not yet resolved by a person. */
  conflicts: number;
  /** When a sync last finished without error. */
  lastSyncedAt: number | null;
  /** The highest server commit id this device has received (pulled, or given for its own upload); null before the first. */
  lastReceivedCommitId: number | null;
  /** The atServer's commit id at the last check (null: its log is empty, or it was never asked). */
  serverCommitId: number | null;
  /** The last upload failure that will be retried; cleared by the next successful upload. */
  lastUploadError: ErrorInfo | null;
  /** The last download failure; cleared by the next successful download. */
  lastDownloadError: ErrorInfo | null;
  /** Where this atSign's keys are kept: the OS keychain, or the file fallback. */
  keyStore: KeyStoreKind;
}

/**
 * Structural equality of two snapshots (plain JSON data, so a deep compare suffices; it covers
 * every field, the progress figures included, and reads an absent optional field as equal to an
 * undefined one).
 */
export function statusEquals(a: SyncStatus, b: SyncStatus): boolean {
  return deepEqual(a, b);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
