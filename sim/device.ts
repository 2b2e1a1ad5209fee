// One simulated device: a SqliteStore file and a SyncDriver over a SimConnection, as the worker
// wires them. This is the ONE file that touches the engine's API (the driver's public methods and
// events, the store's reads for the oracle); when the engine's API changes, adapt this file.
//
// A crash can strike after any store transaction: the store is wrapped so that once the armed
// count of transactions has committed, the device is dead at once. Its driver is abandoned
// (never stopped: a killed process runs no shutdown), its connection fails every request, its
// timers and monitor are gone, and the store file is closed. restart() opens the file again
// with a fresh driver: memory discarded, restart from the store.
import { join } from "node:path";
import type { SyncFacts } from "../daemon/sync/SyncDriver.js";
import { nullLogger } from "../daemon/adapters/nullLogger.js";
import type { ConflictPolicy } from "../daemon/core/types.js";
import type { AtNotification, Clock, Disposable } from "../daemon/ports.js";
import { Backoff } from "../daemon/backoff.js";
import { SqliteStore } from "../daemon/store/SqliteStore.js";
import { SyncDriver } from "../daemon/sync/SyncDriver.js";
import type { AtMetadata } from "../protocol/metadata.js";
import type { StoreOp } from "../daemon/core/storeOps.js";
import { SimConnection, type ConnectionHooks } from "./SimConnection.js";
import type { SimClock } from "./SimClock.js";
import type { SimServer } from "./SimServer.js";
import { ABSENT, present, type KeyState } from "./state.js";

/** What the world hears from a device, in the simulator's own terms. */
export type DeviceEvent =
  | { type: "run-started" }
  | { type: "run-ended"; ok: boolean }
  | { type: "remote-applied"; key: string; commitId: number }
  | { type: "conflict"; key: string; remote: KeyState }
  /** The engine recorded a delete of `key` as sent: from now it cannot know whether the server ran it. */
  | { type: "delete-sent"; key: string };

/** A conflict as the oracle reads it: which side lost, in key-state terms. */
export interface DeviceConflict {
  key: string;
  winner: "local" | "remote";
  loser: KeyState;
  /** The side that won. */
  kept: KeyState;
}

/** The driver's own claim about being in sync, from status(). */
export interface StatusClaim {
  inSync: boolean;
  state: string;
  pendingUploads: number;
  rejectedUploads: number;
  lastReceivedCommitId: number | null;
  serverCommitId: number | null;
}

export interface DeviceOptions {
  index: number;
  dir: string;
  atSign: string;
  clock: SimClock;
  skewMs: number;
  server: SimServer;
  policy: ConflictPolicy;
  onEvent: (e: DeviceEvent) => void;
  /** Called on every store call: with onRequest, the scheduler's sign of progress. */
  onActivity: () => void;
  /** The connection's round trips, as the world watches them. */
  hooks: ConnectionHooks;
}

/** Store methods that only read: a crash point after one of them is the same as before the next write. */
const READS: ReadonlySet<string> = new Set([
  "get", "listKeys", "listKeyPage", "pendingChanges", "rejectedChanges", "change", "pendingKeyCount", "nextRetryAtMs",
  "pendingOutsideFilterCount", "syncState", "listConflicts", "conflictCount",
]);

export class DeviceCrashedError extends Error {
  readonly code = "SIM_DEVICE_CRASHED";
  readonly retryable = false;
  constructor() {
    super("the device crashed (sim)");
  }
}

class Incarnation {
  readonly owner = {};
  readonly store: SqliteStore;
  readonly conn: SimConnection;
  readonly driver: SyncDriver;
  alive = true;
  /** Transactions left before the crash; null when none is armed. */
  crashAfter: number | null = null;
  private readonly notifications: AtNotification[] = [];
  private listener: ((n: AtNotification) => void) | null = null;
  private readonly monitor: Disposable;

  constructor(private readonly o: DeviceOptions, path: string) {
    const clock: Clock = o.clock.view(o.skewMs, this.owner);
    this.store = SqliteStore.open({ path, clock });
    const conn = new SimConnection(o.server, o.clock, this.owner, o.hooks);
    this.conn = conn;
    this.monitor = o.server.monitor((n) => {
      if (this.alive) this.notifications.push(n);
    });
    this.driver = new SyncDriver({
      atSign: o.atSign,
      remote: conn,
      store: this.crashable(this.store),
      clock,
      logger: nullLogger,
      backoff: new Backoff({ baseMs: 1000, maxMs: 60_000, random: () => 0.5 }),
      notifications: { onNotification: (fn) => this.subscribe(fn), onStateChange: (fn) => this.watchMonitor(fn) },
      policy: o.policy,
    });
    this.driver.on((e) => {
      if (!this.alive) return;
      if (e.type === "sync.started") o.onEvent({ type: "run-started" });
      else if (e.type === "sync.completed") o.onEvent({ type: "run-ended", ok: true });
      else if (e.type === "sync.failed") o.onEvent({ type: "run-ended", ok: false });
      else if (e.type === "key.changed" && e.origin === "remote" && e.commitId !== null) {
        o.onEvent({ type: "remote-applied", key: e.atKey, commitId: e.commitId });
      } else if (e.type === "conflict.detected") {
        const r = e.conflict.remote;
        o.onEvent({ type: "conflict", key: e.conflict.atKey, remote: r.op === "-" ? ABSENT : present(r.value ?? "", r.metadata) });
      }
    });
    this.driver.start();
  }

  private monitorListener: ((s: "connecting" | "online" | "offline") => void) | null = null;

  private watchMonitor(fn: (s: "connecting" | "online" | "offline") => void): Disposable {
    this.monitorListener = fn;
    return { dispose: () => void (this.monitorListener = null) };
  }

  private subscribe(fn: (n: AtNotification) => void): Disposable {
    this.listener = fn;
    return { dispose: () => void (this.listener = null) };
  }

  get queuedNotifications(): number {
    return this.notifications.length;
  }

  /** Hands the driver every notification its monitor received; false drops them (a monitor reconnect). */
  deliverNotifications(deliver: boolean): void {
    const all = this.notifications.splice(0);
    if (!deliver) {
      // The monitor's connection dropped and came back (as the Monitor tells it).
      this.monitorListener?.("offline");
      this.monitorListener?.("online");
      return;
    }
    for (const n of all) this.listener?.(n);
  }

  private crashable(store: SqliteStore): SqliteStore {
    return new Proxy(store, {
      get: (target, prop, receiver) => {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          if (!this.alive) throw new DeviceCrashedError();
          this.o.onActivity();
          if (prop === "apply") this.reportSentDeletes(target, args[0] as readonly StoreOp[]);
          const result: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
          if (typeof prop === "string" && !READS.has(prop) && this.crashAfter !== null && --this.crashAfter <= 0) this.crash();
          return result;
        };
      },
    });
  }

  private reportSentDeletes(store: SqliteStore, ops: readonly StoreOp[]): void {
    for (const o of ops) {
      if (o.op !== "markSent" || o.sent.op !== "-") continue;
      for (const id of o.ids) {
        const key = store.change(id)?.atKey;
        if (key) this.o.onEvent({ type: "delete-sent", key });
      }
    }
  }

  crash(): void {
    if (!this.alive) return;
    this.alive = false;
    this.o.clock.dropOwner(this.owner);
    this.monitor.dispose();
    this.notifications.length = 0;
    this.conn.kill();
    this.store.close();
  }

  async shutdown(): Promise<void> {
    if (!this.alive) return;
    await this.driver.stop();
    this.crash();
  }
}

export class SimDevice {
  readonly name: string;
  private readonly path: string;
  private inc: Incarnation;
  crashes = 0;

  constructor(private readonly o: DeviceOptions) {
    this.name = `d${o.index}`;
    this.path = join(o.dir, `${this.name}.db`);
    this.inc = new Incarnation(o, this.path);
  }

  get alive(): boolean {
    return this.inc.alive;
  }

  /** After a crash: a fresh process on the same store file. */
  restart(): void {
    if (this.inc.alive) return;
    this.crashes++;
    this.inc = new Incarnation(this.o, this.path);
  }

  get conn(): SimConnection {
    return this.inc.conn;
  }

  /** Crash after `n` more store transactions have committed (null: disarm). */
  armCrash(n: number | null): void {
    this.inc.crashAfter = n;
  }

  get queuedNotifications(): number {
    return this.inc.queuedNotifications;
  }

  deliverNotifications(deliver = true): void {
    this.inc.deliverNotifications(deliver);
  }

  // ---- the workload: local writes through the driver, as the worker's handlers make them ----

  /** The state written, or null when the write was refused (not acknowledged). */
  put(key: string, value: string, metadata?: AtMetadata): KeyState | null {
    return this.write(() => {
      const r = this.inc.driver.local.put(key, value, metadata);
      return r.record ? present(r.record.value, r.record.metadata) : ABSENT;
    });
  }

  delete(key: string): KeyState | null {
    return this.write(() => (this.inc.driver.local.delete(key), ABSENT));
  }

  putMeta(key: string, metadata: Partial<AtMetadata>): KeyState | null {
    return this.write(() => {
      const r = this.inc.driver.local.putMeta(key, metadata);
      return r.record ? present(r.record.value, r.record.metadata) : ABSENT;
    });
  }

  /** Several writes in one transaction; null entries were not written. */
  putMany(items: ReadonlyArray<{ key: string; value: string | null }>): Array<KeyState | null> {
    const res = this.write(() => {
      const rs = this.inc.driver.local.putMany(items.map((i) => (i.value === null ? { atKey: i.key, delete: true as const } : { atKey: i.key, value: i.value })));
      return rs.map((r) => (r.record ? present(r.record.value, r.record.metadata) : ABSENT));
    });
    return res ?? items.map(() => null);
  }

  private write<T>(fn: () => T): T | null {
    if (!this.inc.alive) return null;
    try {
      return fn();
    } catch {
      return null;
    }
  }

  /** syncNow(); settles true when the run succeeded. Never rejects. */
  syncNow(): Promise<boolean> {
    if (!this.inc.alive) return Promise.resolve(false);
    return this.inc.driver.syncNow().then(() => true, () => false);
  }

  // ---- what the oracle reads: the store itself, not through the crash wrapper ----

  private get store(): SqliteStore {
    if (!this.inc.alive) throw new DeviceCrashedError();
    return this.inc.store;
  }

  /** The state of one key in the store, or null while the device is down. */
  stateOf(key: string): KeyState | null {
    if (!this.inc.alive) return null;
    const r = this.inc.store.get(key);
    return r ? present(r.value, r.metadata) : ABSENT;
  }

  /** Tombstones of `keys` this device holds at a server commit id (a delete it applied, or its own acknowledged). */
  pulledTombstones(keys: readonly string[]): Array<{ key: string; commitId: number }> {
    if (!this.inc.alive) return [];
    const out: Array<{ key: string; commitId: number }> = [];
    for (const [k, f] of this.inc.store.facts(keys)) if (f.key?.deleted && f.key.commitId !== null && f.pending.length === 0) out.push({ key: k, commitId: f.key.commitId });
    return out;
  }

  contents(): Map<string, KeyState> {
    const out = new Map<string, KeyState>();
    for (const k of this.store.listKeys()) {
      const r = this.store.get(k);
      if (r) out.set(k, present(r.value, r.metadata));
    }
    return out;
  }

  conflicts(): DeviceConflict[] {
    return this.store.listConflicts().map((c) => {
      const side = c.winner === "local" ? c.remote : c.local;
      const won = c.winner === "local" ? c.local : c.remote;
      return {
        key: c.atKey, winner: c.winner, loser: side.op === "-" ? ABSENT : present(side.value ?? "", side.metadata),
        kept: won.op === "-" ? ABSENT : present(won.value ?? "", won.metadata),
      };
    });
  }

  pendingCount(): number {
    return this.store.pendingChanges().length;
  }

  rejectedCount(): number {
    return this.store.rejectedChanges().length;
  }

  /** Keys with pending changes now (for the round-trip bound). */
  pendingKeys(): number {
    return new Set(this.store.pendingChanges().map((c) => c.atKey)).size;
  }

  claim(): StatusClaim {
    const s: SyncFacts = this.inc.driver.facts();
    return {
      inSync: s.loop.kind === "ready" && s.pendingUploads === 0 && s.lastReceivedCommitId === s.serverCommitId && s.rejectedUploads === 0 && !s.repairInProgress,
      state: s.loop.kind,
      pendingUploads: s.pendingUploads,
      rejectedUploads: s.rejectedUploads,
      lastReceivedCommitId: s.lastReceivedCommitId,
      serverCommitId: s.serverCommitId,
    };
  }

  async close(): Promise<void> {
    await this.inc.shutdown();
  }
}
