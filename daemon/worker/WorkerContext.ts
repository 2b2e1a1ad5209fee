// What the worker's request handlers share: this atSign's store (to read), driver, cipher and
// clock, all built once by the composition root (main.ts).
import type { ValueCipher } from "../crypto/ValueCipher.js";
import type { AtRemote, Clock, Logger, Store } from "../ports.js";
import type { SyncDriver } from "../sync/SyncDriver.js";
import type { NotificationOutbox } from "./NotificationOutbox.js";
import type { StoreCacheFacts } from "../store/SqliteStore.js";
import type { PlaintextCache } from "./PlaintextCache.js";
import type { StatusPublisher } from "./StatusPublisher.js";

/**
 * The store as the worker's handlers see it: reads only. They write through `driver.local`
 * (sync/LocalWrites.ts), the one route that records each change in the outbox, announces it and
 * triggers a push.
 */
export type ReadonlyStore = Pick<Store, "get" | "listKeys" | "listKeyPage" | "listConflicts" | "pendingPage" | "pendingKeys" | "rejectedRows">;

export interface WorkerContext {
  readonly atSign: string;
  readonly store: ReadonlyStore;
  readonly driver: SyncDriver;
  readonly cipher: ValueCipher;
  readonly status: StatusPublisher;
  readonly logger: Logger;
  /** The worker's time: what a key's ttb and ttl are measured against. */
  readonly clock: Clock;
  /** The connection for lookups of other atSigns' keys (the cipher's too), apart from the sync's. */
  readonly lookups: AtRemote;
  /** Notifications we send (notifications.send); absent where a worker sends none (tests). */
  readonly notifications?: NotificationOutbox;
  /** Recently decrypted values (keys.get); absent: decrypt every time. */
  readonly plain?: PlaintextCache;
  /** The store's page size, pages and page-cache limit (debug.memory); absent where there is no file. */
  readonly storeCache?: () => StoreCacheFacts;
}

/** One request handler; `signal` fires when main cancels the request. */
export type WorkerHandler = (ctx: WorkerContext, params: unknown, signal: AbortSignal) => unknown;
