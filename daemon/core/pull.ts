// The pull side of the protocol as pure functions: commands, reply parsing, and how the
// cursor advances over short and empty pages (atprotocol.md §4 sync:from, stats; §9.3).
import { AtProtocolError } from "../../protocol/errors.js";
import { metadataFromWire } from "../../protocol/metadata.js";
import { InternalCode } from "../../shared/errors.js";
import type { RemoteEntry } from "./types.js";
import { isChangeOp } from "./types.js";

/** The server ignores the client's limit and sends at most 25 entries (§4); we ask for what it sends. */
export const SYNC_PAGE_LIMIT = 25;

export function syncFromCommand(fromCommitId: number, regex?: string): string {
  return `sync:from:${fromCommitId}:limit:${SYNC_PAGE_LIMIT}${regex ? `:${regex}` : ""}`;
}

export function statsCommand(statId: 3 | 15, regex?: string): string {
  return `stats:${statId}${regex ? `:${regex}` : ""}`;
}

export class PullReplyError extends Error {
  readonly code = InternalCode.ATSYNC_BAD_REPLY;
  constructor(message: string) {
    super(message);
    this.name = "PullReplyError";
  }
}

/** A batch of sync:from pages came back without some page: the server did not run it there. */
export class BatchedPageMissingError extends PullReplyError {
  constructor(message: string) {
    super(message);
    this.name = "BatchedPageMissingError";
  }
}

function parseJson(data: string, what: string): unknown {
  try {
    return JSON.parse(data.trim());
  } catch {
    throw new PullReplyError(`${what}: the server's reply is not JSON`);
  }
}

export interface SyncPage {
  entries: RemoteEntry[];
  /** Highest commit id on the page, including entries too malformed to apply; -Infinity when empty. */
  maxCommitId: number;
  /** Items the reply listed, malformed ones included (a page of SYNC_PAGE_LIMIT is full). */
  size: number;
}

/** Parses a `sync:from` reply; a malformed entry is left out but still advances the cursor. */
export function parseSyncPage(data: string): SyncPage {
  const parsed = parseJson(data, "sync:from");
  if (!Array.isArray(parsed)) throw new PullReplyError("sync:from: the reply is not a list");
  const entries: RemoteEntry[] = [];
  let maxCommitId = -Infinity;
  for (const item of parsed as unknown[]) {
    if (item === null || typeof item !== "object") continue;
    const o = item as Record<string, unknown>;
    const commitId = typeof o.commitId === "number" ? o.commitId : typeof o.commitId === "string" ? Number(o.commitId) : NaN;
    if (!Number.isInteger(commitId)) continue;
    if (commitId > maxCommitId) maxCommitId = commitId;
    const op = o.operation;
    if (typeof o.atKey !== "string" || o.atKey.length === 0 || !isChangeOp(op)) continue;
    const meta = o.metadata !== null && typeof o.metadata === "object" && !Array.isArray(o.metadata)
      ? metadataFromWire(o.metadata as Record<string, unknown>)
      : null;
    entries.push({
      atKey: o.atKey,
      commitId,
      operation: op,
      value: op === "-" ? null : typeof o.value === "string" ? o.value : o.value === null || o.value === undefined ? null : String(o.value),
      metadata: op === "-" ? null : meta,
    });
  }
  return { entries, maxCommitId, size: (parsed as unknown[]).length };
}

/**
 * Several `sync:from` pages in one round trip: a `batch` of them (atprotocol.md §4 batch). The
 * atServer runs a batch's commands in order, each as if sent alone, and puts each reply's data
 * in its item; this is how pages are pipelined on one connection, which takes one command at a time.
 */
export function syncFromBatchCommand(fromCommitIds: readonly number[], regex?: string): string {
  return `batch:${JSON.stringify(fromCommitIds.map((from, i) => ({ id: i + 1, command: syncFromCommand(from, regex) })))}`;
}

/**
 * The pages of a `syncFromBatchCommand` reply, in the order asked, with each page's size in
 * characters. An item with an error fails the whole reply with that error, as the same
 * `sync:from` alone would; an item left out (the server's exception had no code) fails it too.
 */
export function parseSyncBatch(data: string, count: number): Array<{ page: SyncPage; chars: number }> {
  const parsed = parseJson(data, "batch of sync:from");
  if (!Array.isArray(parsed)) throw new PullReplyError("batch of sync:from: the reply is not a list");
  const pages: Array<{ page: SyncPage; chars: number } | undefined> = new Array(count).fill(undefined);
  for (const item of parsed as unknown[]) {
    if (item === null || typeof item !== "object") continue;
    const o = item as Record<string, unknown>;
    const id = typeof o.id === "number" ? o.id : Number(o.id);
    if (!Number.isInteger(id) || id < 1 || id > count || pages[id - 1] !== undefined) continue;
    const r = o.response;
    if (r === null || typeof r !== "object") throw new BatchedPageMissingError(`batch of sync:from: item ${id} has no response`);
    const res = r as Record<string, unknown>;
    if (typeof res.error_code === "string" && res.error_code !== "") {
      throw new AtProtocolError(res.error_code, typeof res.error_message === "string" ? res.error_message : "");
    }
    if (typeof res.data !== "string") throw new BatchedPageMissingError(`batch of sync:from: item ${id} carries no page`);
    pages[id - 1] = { page: parseSyncPage(res.data), chars: res.data.length };
  }
  return pages.map((p, i) => {
    if (p === undefined) throw new BatchedPageMissingError(`batch of sync:from: no reply for page ${i + 1} of ${count}`);
    return p;
  });
}

/**
 * The server reads its log in commit order from the id asked for, so a page's entries come after
 * `from`, each above the one before. A page that breaks this cannot be trusted: its highest id
 * would move the cursor past entries never seen, and an entry at or below `from` may be an old
 * state of a key whose later delete we no longer keep a tombstone of.
 */
export function checkPageOrder(page: SyncPage, from: number): void {
  let last = from;
  for (const e of page.entries) {
    if (e.commitId <= last) {
      const why = e.commitId <= from ? "is not after the id asked for" : "is out of commit order";
      throw new PullReplyError(`sync:from:${from}: entry ${e.commitId} ${why}`);
    }
    last = e.commitId;
  }
}

function statsItems(data: string, statId: string): unknown {
  const parsed = parseJson(data, `stats:${statId}`);
  if (!Array.isArray(parsed)) throw new PullReplyError(`stats:${statId}: the reply is not a list`);
  const item = (parsed as unknown[]).find(
    (x) => x !== null && typeof x === "object" && String((x as Record<string, unknown>).id) === statId,
  );
  if (!item) throw new PullReplyError(`stats:${statId}: no such stat in the reply`);
  return (item as Record<string, unknown>).value;
}

/** `stats:3` → the server's last commit id (matching the regex), or null when its log is empty. */
export function parseStats3(data: string): number | null {
  const v = statsItems(data, "3");
  if (v === null || v === undefined || v === "null" || v === "") return null;
  const n = typeof v === "number" ? v : Number(String(v).trim());
  if (!Number.isInteger(n)) throw new PullReplyError("stats:3: the value is not a commit id");
  return n < 0 ? null : n;
}

/** `stats:15` → every key's latest commit id, ascending (the value may be an object or its JSON text). */
export function parseStats15CommitIds(data: string): number[] {
  let v = statsItems(data, "15");
  if (typeof v === "string") v = v === "null" || v === "" ? {} : parseJson(v, "stats:15 value");
  if (v === null || v === undefined) return [];
  if (typeof v !== "object" || Array.isArray(v)) throw new PullReplyError("stats:15: the value is not an object");
  const ids: number[] = [];
  for (const entry of Object.values(v as Record<string, unknown>)) {
    const id = Array.isArray(entry) ? Number((entry as unknown[])[0]) : NaN;
    if (Number.isInteger(id)) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/**
 * Where to ask next after an empty `sync:from:<cursor>` page while the server is still ahead.
 * The server reads the first SYNC_PAGE_LIMIT entries after the cursor that match the regex, then
 * leaves out the ones it skips (invalid key, key gone, outside our namespaces), so an empty page
 * means all of those were skipped. `latestIds` (from `stats:15`, ascending) lists the entries the
 * log holds: the cursor moves to the last of the next SYNC_PAGE_LIMIT of them, past every entry
 * the server examined. The list may be older than the log: an entry since moved to a higher id
 * or gone only makes the server's window reach further than ours, so the jump never passes an
 * unread entry. With no latest id left above the cursor, nothing remains up to `target`.
 */
export function cursorAfterEmptyPage(cursor: number, latestIds: readonly number[], target: number): number {
  const i = latestIds.findIndex((id) => id > cursor);
  if (i < 0) return target;
  const last = latestIds[Math.min(latestIds.length, i + SYNC_PAGE_LIMIT) - 1]!;
  return Math.min(target, last);
}
