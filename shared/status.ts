// The SyncStatus snapshot of one atSign (house-style §9, §10): independent facts,
// immutable, published only when `statusEquals` says it changed. `atsyncd status --json`
// prints exactly this object. Times are epoch milliseconds.

/** A failure as status and events carry it: a code from shared/errors.ts and a message without secrets. */
export interface ErrorInfo {
  code: number;
  message: string;
  at: number;
}

/**
 * How far the running phase of a sync is. Download: entries received in this run against the
 * server's commit id minus the commit id the run started from. That total is an upper bound:
 * several commits of one key arrive as one entry, so a download can finish below it.
 * Upload: changes answered by the server against the keys pending when the upload began.
 */
export interface SyncProgress {
  direction: "upload" | "download";
  done: number;
  /** null when not known. */
  total: number | null;
}

export type SyncState =
  | { kind: "offline"; since: number }
  | { kind: "connecting"; since: number; attempt: number }
  | { kind: "online"; since: number }
  | { kind: "syncing"; since: number; progress: SyncProgress }
  | { kind: "backoff"; untilMs: number; attempt: number; lastError: ErrorInfo }
  | { kind: "needs-attention"; since: number; reason: string; code: number };

export type SyncStateKind = SyncState["kind"];

export const SyncStateKinds: readonly SyncStateKind[] = [
  "backoff", "connecting", "needs-attention", "offline", "online", "syncing",
];

export type KeyStoreKind = "keychain" | "file";

export interface SyncStatus {
  atSign: string;
  state: SyncState;
  connected: boolean;
  uploading: boolean;
  downloading: boolean;
  pendingUploads: number;
  /**
   * Keys with local changes outside the selective-sync filter: kept on this device, never
   * uploaded. Absent from daemons before it was added; read absent as 0.
   */
  pendingOutsideFilter?: number;
  /**
   * Changes the atServer refused for good (a command it will never accept): kept on this
   * device, never uploaded, until the key is written again. Absent from daemons before it was
   * added; read absent as 0.
   */
  rejectedUploads?: number;
  conflicts: number;
  lastSyncedAt: number | null;
  localCommitId: number | null;
  serverCommitId: number | null;
  /** Cleared on the next successful upload; while changes stay rejected, it names the latest (key and AT code). */
  lastUploadError: ErrorInfo | null;
  /** Cleared on the next successful download. */
  lastDownloadError: ErrorInfo | null;
  keyStore: KeyStoreKind;
}

/**
 * Structural equality of two snapshots (plain JSON data, so a deep compare suffices; it covers
 * every field, `pendingOutsideFilter`, `rejectedUploads` and the progress figures included, and reads an absent
 * optional field as equal to an undefined one).
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
