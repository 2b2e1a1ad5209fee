// An in-process atServer for the simulator, built from the dev-server's own parts: the verb
// dispatcher (atserver/verbs/dispatch.ts), its SQLite ServerStore (held in memory), its
// NotificationHub and its duties (atserver/serverDuties.ts). Only the transport differs: no TLS,
// connections are handed out already authenticated, and time is the simulation's clock.
import { errorReply, asServerError } from "../atserver/connection/InboundConnection.js";
import { NotificationHub } from "../atserver/monitor/NotificationHub.js";
import { announceCommit, expireKeys, resetStore } from "../atserver/serverDuties.js";
import { buildMeta } from "../atserver/store/buildMeta.js";
import { ServerStore, type StoredKey } from "../atserver/store/ServerStore.js";
import { ClientRegex } from "../atserver/verbs/clientRegex.js";
import { dispatch } from "../atserver/verbs/dispatch.js";
import type { AtSignServer, Conn } from "../atserver/verbs/types.js";
import type { AtNotification, Disposable } from "../daemon/ports.js";
import { parseNotification } from "../protocol/notification.js";
import type { SimClock } from "./SimClock.js";

/** A write the server made on its own (not a client's command): what the oracle must know of. */
export interface ServerSideWrite {
  origin: "expiry" | "seed";
  key: string;
  commitId: number;
  /** What the key holds after it (undefined after an expiry). */
  stored?: StoredKey;
}

export interface SimServerOptions {
  atSign: string;
  clock: SimClock;
  /** statsNotification interval (the real server's 15 s). */
  statsIntervalMs?: number;
  /** Expiry sweep interval (the real server's is 3 min). */
  expiryIntervalMs?: number;
  onServerWrite?: (w: ServerSideWrite) => void;
}

/** The identity a reset keeps: the encryption public key, as onboarding leaves it. */
const PUBLIC_KEY_VALUE = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsim";

let nextConnId = 1;

function authenticatedConn(onLine?: (line: string) => void): Conn & { closed: boolean } {
  const conn = {
    id: nextConnId++,
    session: { sessionId: `_sim${nextConnId}`, authenticated: true, jsonErrors: false },
    closed: false,
    writeRaw: (text: string) => onLine?.(text),
    close: () => void (conn.closed = true),
  };
  return conn;
}

export class SimServer implements AtSignServer {
  readonly atSign: string;
  readonly hub: NotificationHub;
  readonly startedAt: number;
  private current: ServerStore;
  private readonly o: SimServerOptions;
  private readonly otherClient = authenticatedConn();
  /** Owns the server's own timers. */
  private readonly ticks = {};
  private openConnections = 0;

  constructor(opts: SimServerOptions) {
    this.o = opts;
    this.atSign = opts.atSign;
    this.hub = new NotificationHub(opts.atSign);
    this.startedAt = opts.clock.now();
    this.current = ServerStore.inMemory();
    this.seed(this.current);
    this.schedule();
  }

  get store(): ServerStore {
    return this.current;
  }

  now(): number {
    return this.o.clock.now();
  }

  peer(): AtSignServer | undefined {
    return undefined;
  }

  afterWrite(commitId: number, op: "update" | "delete"): void {
    announceCommit(this, commitId, op);
  }

  connectionCount(): number {
    return this.openConnections;
  }

  /** Opens a connection's session; `release` when its client is gone. */
  open(): { conn: Conn; release: () => void } {
    this.openConnections++;
    const conn = authenticatedConn();
    return { conn, release: () => void (this.openConnections = Math.max(0, this.openConnections - 1)) };
  }

  /**
   * Runs one command as InboundConnection would and returns the reply line (`data:…` or
   * `error:…`): the dispatcher, then the real server's error wording.
   */
  async execute(command: string, conn: Conn): Promise<string> {
    try {
      const reply = await dispatch(command.trim(), conn, this);
      return reply ?? "";
    } catch (err) {
      return errorReply(asServerError(err), conn.session);
    }
  }

  /** A command from another client of the same atSign (another SDK, another device not simulated). */
  other(command: string): Promise<string> {
    return this.execute(command, this.otherClient);
  }

  /** A monitor connection: every notification line the hub writes, parsed, goes to `fn`. */
  monitor(fn: (n: AtNotification) => void): Disposable {
    const conn = authenticatedConn((text) => {
      for (const line of text.split("\n")) {
        if (!line.startsWith("notification:")) continue;
        const n = parseNotification(line.slice("notification:".length).trim());
        if (n) fn(n);
      }
    });
    this.hub.subscribe(conn, ClientRegex.compile(".*", "monitor"), false, undefined, this.now());
    return { dispose: () => { conn.closed = true; this.hub.unsubscribe(conn); } };
  }

  /** The statsNotification the real server repeats every 15 s: the current commit id, no news. */
  announce(): void {
    announceCommit(this, null, "update");
  }

  /** A backup of everything the server holds. */
  snapshot(): Buffer {
    return this.current.snapshot();
  }

  /** The server restored from an older backup (and restarted: callers drop the connections). */
  restore(snapshot: Buffer): void {
    this.current.close();
    this.current = new ServerStore(snapshot);
    announceCommit(this, null, "update");
  }

  /** The server wiped, its identity kept (the dev-server's reset). */
  wipe(): void {
    resetStore(this, (store) => this.seed(store));
  }

  /** The expiry sweep now; returns what it deleted. */
  expire(): ServerSideWrite[] {
    const keys = this.current.expiredKeys(this.now());
    const ids = expireKeys(this);
    const out = ids.map((commitId, i) => ({ origin: "expiry" as const, key: keys[i]!, commitId }));
    for (const w of out) this.o.onServerWrite?.(w);
    return out;
  }

  private seed(store: ServerStore): void {
    const key = `public:publickey${this.atSign}`;
    const commitId = store.put(key, PUBLIC_KEY_VALUE, buildMeta(this.atSign, undefined, {}, this.now()), "*");
    this.o.onServerWrite?.({ origin: "seed", key, commitId, stored: store.get(key) });
  }

  /** The 15 s statsNotification and the expiry sweep, on the simulation's clock. */
  private schedule(): void {
    const stats = this.o.statsIntervalMs ?? 15_000;
    const expiry = this.o.expiryIntervalMs ?? 180_000;
    const statsTick = (): void => {
      this.announce();
      this.o.clock.setTimer(stats, statsTick, this.ticks);
    };
    const expiryTick = (): void => {
      this.expire();
      this.o.clock.setTimer(expiry, expiryTick, this.ticks);
    };
    this.o.clock.setTimer(stats, statsTick, this.ticks);
    this.o.clock.setTimer(expiry, expiryTick, this.ticks);
  }

  close(): void {
    this.o.clock.dropOwner(this.ticks);
    this.current.close();
  }
}
