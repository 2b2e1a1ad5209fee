// What the store contract's cases share: the store under test, its clock, and op builders.
import type { ConflictDraft, StoreOp } from "../../../daemon/core/storeOps.js";
import type { OutboxId } from "../../../daemon/core/types.js";
import type { Store } from "../../../daemon/ports.js";
import type { AtMetadata } from "../../../protocol/metadata.js";
import type { ManualClock } from "../../sync/support/ManualClock.js";

/** Set before each case: a fresh, empty store whose local writes take their time from `clock`. */
export interface StoreCase {
  store: Store;
  clock: ManualClock;
}

export const A = "@alice🛠";

/** `name.wavi@alice🛠` */
export const key = (name: string): string => `${name}.wavi${A}`;

/** A server version adopted by the engine (op `putKey`). */
export function putKey(atKey: string, commitId: number, value: string | null, more: { metadata?: AtMetadata | null; serverTimeMs?: number | null; atMs?: number } = {}): StoreOp {
  return {
    op: "putKey", atKey, value, deleted: value === null, commitId,
    metadata: more.metadata !== undefined ? more.metadata : value === null ? null : { isEncrypted: true },
    serverTimeMs: more.serverTimeMs ?? null, atMs: more.atMs ?? 1_000,
  };
}

export function draft(atKey: string, over: Partial<ConflictDraft> = {}): ConflictDraft {
  return {
    atKey, policy: "local-wins", winner: "local",
    local: { op: "*", value: "mine", metadata: { isEncrypted: true }, timeMs: 10 },
    remote: { op: "*", value: "theirs", metadata: null, timeMs: null, commitId: 4 },
    detectedAtMs: 20, resolved: false,
    ...over,
  };
}

/** The outbox ids of `atKey`'s pending rows, in order. */
export function pendingIds(store: Store, atKey?: string): OutboxId[] {
  return store.pendingChanges().filter((c) => atKey === undefined || c.atKey === atKey).map((c) => c.id);
}
