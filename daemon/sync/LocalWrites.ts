// The worker's write path: store the (already encrypted) change durably, announce it, and
// raise the push flag, so a local write reaches the server within milliseconds.
import type { AtMetadata } from "../../protocol/metadata.js";
import type { LocalWrite, LocalWriteResult, Store } from "../ports.js";
import type { SyncEvent } from "./events.js";

export class LocalWrites {
  constructor(
    private readonly store: Store,
    private readonly emit: (e: SyncEvent) => void,
    private readonly requestPush: () => void,
  ) {}

  put(atKey: string, value: string, metadata?: AtMetadata): LocalWriteResult {
    return this.after([this.store.putLocal(atKey, value, metadata)])[0]!;
  }

  putMeta(atKey: string, metadata: Partial<AtMetadata>): LocalWriteResult {
    return this.after([this.store.putMetaLocal(atKey, metadata)])[0]!;
  }

  delete(atKey: string): LocalWriteResult {
    return this.after([this.store.deleteLocal(atKey)])[0]!;
  }

  putMany(items: readonly LocalWrite[]): LocalWriteResult[] {
    return this.after(this.store.putManyLocal(items));
  }

  private after(results: LocalWriteResult[]): LocalWriteResult[] {
    for (const r of results) {
      this.emit({ type: "key.changed", atKey: r.atKey, origin: "local", op: r.record ? "update" : "delete", commitId: null });
    }
    if (results.some((r) => r.outboxId !== null)) this.requestPush();
    return results;
  }
}
