// Push planning: which outbox rows go out now, coalesced per key into the fewest commands that
// carry the latest local state, grouped into `batch` commands (atprotocol.md §4 batch, §5.7).
import { AtProtocolError } from "../../protocol/errors.js";
import { metadataFragment } from "../../protocol/metadata.js";
import type { PushOutcome } from "./batchReply.js";
import type { KeyFilter } from "./filter.js";
import type { AtMetadata } from "../../protocol/metadata.js";
import type { StoreOp } from "./storeOps.js";
import type { ChangeOp, ChangeRecord, KeyRecord, OutboxId, PendingChange } from "./types.js";

/** The key state a command carries to the server: what its echo in a `sync:from` page looks like. */
export interface SentState {
  op: ChangeOp;
  value: string | null;
  metadata: AtMetadata | null;
}

/** One command of a batch and the outbox rows its success acknowledges. */
export interface PushCommand {
  atKey: string;
  command: string;
  changeIds: OutboxId[];
  /** True when one of the rows failed before: such commands go alone, so one bad item cannot block others. */
  retried: boolean;
  /** The state this command sets; recorded on its rows before sending (markSentOps). */
  sent?: SentState;
}

export interface PushPlanOptions {
  filter: KeyFilter;
  nowMs: number;
  /** Most commands in one batch. */
  maxItems?: number;
  /** Rough cap on a batch's size in bytes (the server refuses commands over ~10 MB). */
  maxBytes?: number;
}

export const DEFAULT_BATCH_ITEMS = 50;
const utf8 = new TextEncoder();
export const DEFAULT_BATCH_BYTES = 1_000_000;

/** The batch command's own escaping of newlines inside commands (`VerbUtil.replaceNewline`). */
export function escapeNewlines(command: string): string {
  return command.replace(/\r?\n/gu, "~NL~");
}

/**
 * The server keeps every metadata field an update leaves out (atprotocol.md §3.2), while a local
 * put replaces the key's metadata. So an update states the fields the local state lacks: ttl,
 * ttb and ttr 0 (none), the string fields "null" (unset). Otherwise a ttl the key once had
 * would still expire it on the server, and an old ivNonce would garble a new value.
 */
const UNSET: Readonly<Partial<AtMetadata>> = Object.freeze({
  ttl: 0, ttb: 0, ttr: 0,
  dataSignature: "null", sharedKeyStatus: "null", sharedKeyEnc: "null", pubKeyCS: "null", encoding: "null",
  encKeyName: "null", encAlgo: "null", ivNonce: "null", skeEncKeyName: "null", skeEncAlgo: "null",
});

/** Also after a delete of the key in the same plan: if that delete fails, the update must still not merge. */
export function updateCommand(record: KeyRecord): string {
  return `update${metadataFragment({ ...UNSET, ...record.metadata })}:${record.atKey} ${record.value}`;
}

export function updateMetaCommand(record: KeyRecord): string {
  return `update:meta:${record.atKey}${metadataFragment(record.metadata)}`;
}

export function deleteCommand(atKey: string): string {
  return `delete:${atKey}`;
}

/**
 * Coalesces one key's pending rows (in outbox order) into commands for its current state:
 * N updates become one update with the latest value and metadata; a delete followed by a
 * re-create becomes `delete` then `update`, so metadata the server merges is not carried over
 * from the deleted key; rows of meta updates alone become one `update:meta`.
 * `current` is the live local record, or undefined when the key is deleted locally.
 */
export function coalesceKey(rows: readonly ChangeRecord[], current: KeyRecord | undefined): PushCommand[] {
  const first = rows[0];
  if (!first) return [];
  const atKey = first.atKey;
  const retried = rows.some((r) => r.attempts > 0);
  const ids = rows.map((r) => r.id);
  const deleted: SentState = { op: "-", value: null, metadata: null };
  if (current === undefined) return [{ atKey, command: deleteCommand(atKey), changeIds: ids, retried, sent: deleted }];
  let lastDelete = -1;
  rows.forEach((r, i) => {
    if (r.op === "-") lastDelete = i;
  });
  const out: PushCommand[] = [];
  if (lastDelete >= 0) {
    out.push({ atKey, command: deleteCommand(atKey), changeIds: ids.slice(0, lastDelete + 1), retried, sent: deleted });
  }
  const after = rows.slice(lastDelete + 1);
  if (after.length > 0) {
    const metaOnly = lastDelete < 0 && after.every((r) => r.op === "#");
    out.push({
      atKey,
      command: metaOnly ? updateMetaCommand(current) : updateCommand(current),
      changeIds: after.map((r) => r.id),
      retried,
      sent: { op: metaOnly ? "#" : "*", value: current.value, metadata: current.metadata },
    });
  }
  return out;
}

/**
 * The commands to send now: every pending row whatever its position in the log (never only
 * those after the last acknowledged one, §5.10), for keys the filter selects, whose key has a
 * row due (a new write makes a key due at once even if an older row of it is backing off).
 */
export function planPush(
  pending: readonly ChangeRecord[],
  lookup: (atKey: string) => KeyRecord | undefined,
  opts: PushPlanOptions,
): PushPlan {
  const byKey = new Map<string, ChangeRecord[]>();
  for (const row of pending) {
    if (row.state !== "pending") continue;
    const list = byKey.get(row.atKey);
    if (list) list.push(row);
    else byKey.set(row.atKey, [row]);
  }
  const commands: PushCommand[] = [];
  const invalid: PushOutcome[] = [];
  for (const [atKey, rows] of byKey) {
    if (!opts.filter.matches(atKey)) continue;
    if (!rows.some((r) => r.nextRetryAtMs <= opts.nowMs)) continue;
    rows.sort((a, b) => a.id - b.id);
    try {
      commands.push(...coalesceKey(rows, lookup(atKey)));
    } catch (err) {
      // Metadata the wire cannot carry: the server would refuse it the same way every time.
      if (!(err instanceof AtProtocolError)) throw err;
      invalid.push({ kind: "rejected", atKey, changeIds: rows.map((r) => r.id), code: err.code, error: err.serverMessage });
    }
  }
  return { commands, invalid };
}

export interface PushPlan {
  commands: PushCommand[];
  /** Changes that cannot be expressed as a command; the driver records them as rejected. */
  invalid: PushOutcome[];
}

/** Splits commands into batches; retried commands travel alone. */
export function toBatches(commands: readonly PushCommand[], opts?: { maxItems?: number; maxBytes?: number }): PushCommand[][] {
  const maxItems = opts?.maxItems ?? DEFAULT_BATCH_ITEMS;
  const maxBytes = opts?.maxBytes ?? DEFAULT_BATCH_BYTES;
  const batches: PushCommand[][] = [];
  let current: PushCommand[] = [];
  let bytes = 0;
  for (const c of commands) {
    if (c.retried) {
      batches.push([c]);
      continue;
    }
    const size = utf8.encode(c.command).length + 32;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(c);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Records, before a batch goes out, the state each of its rows carries, so that if the reply is
 * lost the pull can tell the server's copy of it from another device's write. A row sent before
 * keeps the state it first went out with (that send may still be applied, later than this one),
 * and loses its bound (`maxCommitId`): this send can be given a commit id above it. `rows`: the
 * pending rows the plan was made from, by id.
 */
export function markSentOps(batch: readonly PushCommand[], rows: ReadonlyMap<OutboxId, PendingChange>): StoreOp[] {
  const byState = new Map<string, { ids: OutboxId[]; sent: SentState }>();
  for (const c of batch) {
    if (c.sent === undefined) continue;
    for (const id of c.changeIds) {
      const prior = rows.get(id)?.sent ?? null;
      const sent: SentState = prior === null ? c.sent : { op: prior.op, value: prior.value, metadata: prior.metadata };
      const k = JSON.stringify(sent);
      const group = byState.get(k);
      if (group) group.ids.push(id);
      else byState.set(k, { ids: [id], sent });
    }
  }
  return [...byState.values()].map((g) => ({ op: "markSent" as const, ids: g.ids, sent: g.sent }));
}

/** The `batch:` command for one batch, item ids 1..n in order. */
export function batchCommand(batch: readonly PushCommand[]): string {
  const items = batch.map((c, i) => ({ id: i + 1, command: escapeNewlines(c.command) }));
  return `batch:${JSON.stringify(items)}`;
}

/**
 * Whether a batch must wait for a stats:3 first: after an acknowledged batch or a round of
 * planning (another client may have written since), and after a pull that asked for pages
 * since the last stats:3 (`pulledSinceHead`). No page shows the head: the atServer ends a page
 * short at its reply's byte limit and counts skipped keys toward its 25 entries, so a short or
 * even empty page may stop before the end of the log, and a key another client wrote during a
 * pull of many pages, past what any page reached, would be overwritten unseen (rev8k defect 2).
 */
export function needsHeadCheck(ackedInRun: number, round: number, pulledSinceHead: boolean): boolean {
  return ackedInRun > 0 || round > 0 || pulledSinceHead;
}
