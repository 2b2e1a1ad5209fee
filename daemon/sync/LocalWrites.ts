// The worker's write path: store the (already encrypted) change durably, announce it, and
// raise the push flag, so a local write reaches the server within milliseconds. A person's
// choice on a conflict goes this way too: the side kept is written as any local change.
import type { AtMetadata } from "../../protocol/metadata.js";
import { carriedAsIs, carriedForm } from "../../protocol/valueCarriage.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { ConflictRecord, ConflictWinner } from "../core/types.js";
import type { LocalWrite, LocalWriteResult, Store } from "../ports.js";
import type { SyncEvent } from "./events.js";

/**
 * Values reach the store encoded for the wire (ciphertext, or base64 with encoding:base64): one the
 * `update` command cannot carry exactly would be acknowledged here and then rejected, or altered,
 * at push. Nothing is stored.
 */
function refuseUncarried(atKey: string, value: string): void {
  if (!carriedAsIs(value)) {
    throw new AtsyncError(ErrorCode.InvalidParams, `invalid params: the value of ${atKey} holds a line break, edge white space or ~NL~, which an atProtocol update cannot carry as is: encode it (encoding:base64)`);
  }
}

export class LocalWrites {
  constructor(
    private readonly store: Store,
    private readonly emit: (e: SyncEvent) => void,
    private readonly requestPush: () => void,
  ) {}

  put(atKey: string, value: string, metadata?: AtMetadata): LocalWriteResult {
    refuseUncarried(atKey, value);
    return this.after([this.store.putLocal(atKey, value, metadata)])[0]!;
  }

  putMeta(atKey: string, metadata: Partial<AtMetadata>): LocalWriteResult {
    return this.after([this.store.putMetaLocal(atKey, metadata)])[0]!;
  }

  delete(atKey: string): LocalWriteResult {
    return this.after([this.store.deleteLocal(atKey)])[0]!;
  }

  putMany(items: readonly LocalWrite[]): LocalWriteResult[] {
    for (const i of items) if ("value" in i) refuseUncarried(i.atKey, i.value);
    return this.after(this.store.putManyLocal(items));
  }

  /**
   * Keeps one side of a conflict, resolved or not. The side not in effect is written again as a
   * local change, so it syncs like any put (a deleted side deletes the key, if it is there); the
   * record then holds the choice as the side in effect.
   */
  resolveConflict(c: ConflictRecord, kept: ConflictWinner): void {
    const write = kept === c.winner ? null : this.sideAsWrite(c, kept);
    if (write === null) {
      this.store.keepConflictSide(c.id, kept);
      return;
    }
    if ("value" in write) refuseUncarried(c.atKey, write.value);
    // The write and the record in one transaction: a crash between them would leave the value
    // flipped and the record saying the old side.
    this.after([this.store.writeConflictSide(c.id, kept, write)]);
  }

  /** The local write that puts a conflict's side in effect; null when nothing needs writing (a deleted side of a key already gone). */
  private sideAsWrite(c: ConflictRecord, kept: ConflictWinner): LocalWrite | null {
    const side = kept === "local" ? c.local : c.remote;
    if (side.op === "-" || side.value === null) return this.store.get(c.atKey) !== undefined ? { atKey: c.atKey, delete: true } : null;
    const meta = (side.metadata ?? {}) as AtMetadata;
    // A side the server held as plain text the command cannot carry (a line break another
    // client sent) goes base64 with encoding:base64, as the cipher sends such public values.
    const w = meta.encoding === "base64" ? { value: side.value, metadata: meta } : carriedForm(side.value, meta);
    return { atKey: c.atKey, value: w.value, metadata: w.metadata };
  }

  private after(results: LocalWriteResult[]): LocalWriteResult[] {
    for (const r of results) {
      this.emit({ type: "key.changed", atKey: r.atKey, origin: "local", op: r.record ? "update" : "delete", commitId: null });
    }
    if (results.some((r) => r.outboxId !== null)) this.requestPush();
    return results;
  }
}
