// Keeps what this device shared readable after `shared_key.bob@alice` changes: when our copy
// changes (another device's key won convergence, or a new key was minted for bob's new public
// key), the values this device encrypted under the old key are re-encrypted under the new one
// (ValueCipher.repairSharedWith). The work goes through the worker's serial inbox, like a
// request; once at start too, for a repair a stop cut short.
import type { ValueCipher } from "../crypto/ValueCipher.js";
import { recipientOfMyCopy } from "../crypto/sharedKeyNames.js";
import type { Disposable, Logger } from "../ports.js";
import type { SyncEvent } from "../sync/events.js";

export interface FollowSharedKeysOptions {
  atSign: string;
  events: { on(fn: (e: SyncEvent) => void): Disposable };
  cipher: Pick<ValueCipher, "repairSharedWith" | "repairAllSharing">;
  /** Runs a task in the worker's serial inbox. */
  run(task: () => Promise<unknown>): void;
  logger: Logger;
}

export function followSharedKeys(o: FollowSharedKeysOptions): Disposable {
  const me = o.atSign.toLowerCase();
  const queued = new Set<string>();
  const report = (who: string) => (n: number): void => {
    if (n > 0) o.logger.info("re-encrypted values under the shared key now in effect", { sharedWith: who, values: n });
  };
  const fail = (err: unknown): void => {
    o.logger.warn("shared values not re-encrypted", { error: err instanceof Error ? err.message : String(err) });
  };
  o.run(() => o.cipher.repairAllSharing().then(report("*"), fail));
  return o.events.on((e) => {
    if (e.type !== "key.changed" || e.op !== "update") return;
    const who = recipientOfMyCopy(me, e.atKey);
    // Many changes of one copy before the repair runs cost one repair.
    if (who === undefined || queued.has(who)) return;
    queued.add(who);
    o.run(() => {
      queued.delete(who);
      return o.cipher.repairSharedWith(who).then(report(who), fail);
    });
  });
}
