// One hosted atSign: its TLS listener, store, connections, notifications and timers.
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { allowableIdleMs, CONNECTION_LIMIT_REPLY, MAX_INBOUND_CONNECTIONS } from "./connection/idlePolicy.js";
import { InboundConnection } from "./connection/InboundConnection.js";
import { NotificationHub } from "./monitor/NotificationHub.js";
import { announceCommit, expireKeys, resetStore } from "./serverDuties.js";
import { ServerStore } from "./store/ServerStore.js";
import type { TlsMaterial } from "./tls/ca.js";
import { dispatch } from "./verbs/dispatch.js";
import type { AtSignServer } from "./verbs/types.js";

export interface SecondaryOptions {
  atSign: string;
  dbPath: string;
  host: string;
  /** Port to try first (remembered from an earlier run); 0 for an ephemeral one. */
  port: number;
  tls: TlsMaterial;
  statsIntervalMs: number;
  expiryIntervalMs: number;
  /** Seeds the identity keys into an empty store (first run and after a reset). */
  seed: (store: ServerStore) => void;
  peers: (atSign: string) => AtSignServer | undefined;
  /** Inbound pool capacity (200 as the real server). */
  maxConnections?: number;
  /** Bytes a client may leave unread before it is disconnected. */
  maxPendingWriteBytes?: number;
}

export class SecondaryServer implements AtSignServer {
  readonly atSign: string;
  readonly store: ServerStore;
  readonly hub: NotificationHub;
  readonly startedAt = Date.now();
  private readonly connections = new Set<InboundConnection>();
  private readonly server: tls.Server;
  private readonly timers: NodeJS.Timeout[] = [];
  private boundPort = 0;

  constructor(private readonly opts: SecondaryOptions) {
    this.atSign = opts.atSign;
    this.store = new ServerStore(opts.dbPath);
    this.hub = new NotificationHub(opts.atSign);
    opts.seed(this.store);
    this.server = tls.createServer({ key: opts.tls.key, cert: opts.tls.cert, requestCert: true, rejectUnauthorized: false }, (socket) =>
      this.accept(socket),
    );
    // A failed handshake must never reach the process as an unhandled error.
    this.server.on("tlsClientError", () => undefined);
  }

  get port(): number {
    return this.boundPort;
  }

  get address(): string {
    return `${this.opts.host}:${this.boundPort}`;
  }

  async listen(): Promise<void> {
    try {
      await this.listenOn(this.opts.port);
    } catch (err) {
      if (this.opts.port === 0 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      await this.listenOn(0);
    }
    // A timer callback that throws would end the process: a failed sweep waits for the next tick.
    const guarded = (fn: () => unknown) => (): void => {
      try {
        fn();
      } catch {
        // Nothing to answer; the next tick tries again.
      }
    };
    this.timers.push(setInterval(guarded(() => announceCommit(this, null, "update")), this.opts.statsIntervalMs));
    this.timers.push(setInterval(guarded(() => this.expireKeys()), this.opts.expiryIntervalMs));
    for (const t of this.timers) t.unref();
  }

  private listenOn(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once("error", onError);
      this.server.listen(port, this.opts.host, () => {
        this.server.off("error", onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(socket: tls.TLSSocket): void {
    if (!this.makeRoom()) {
      socket.on("error", () => undefined);
      socket.end(CONNECTION_LIMIT_REPLY);
      return;
    }
    const conn = new InboundConnection(
      socket,
      this.atSign,
      (command, c) => dispatch(command, c, this),
      (c) => {
        this.connections.delete(c);
        this.hub.unsubscribe(c);
      },
      this.opts.maxPendingWriteBytes,
    );
    this.connections.add(conn);
  }

  /**
   * Whether the pool can take one more connection, after reaping the ones idle for longer than
   * a pool this full allows (InboundConnectionManager: clearInvalidConnections, then AT0012).
   */
  private makeRoom(): boolean {
    const capacity = this.opts.maxConnections ?? MAX_INBOUND_CONNECTIONS;
    if (this.connections.size < capacity) return true;
    const now = this.now();
    const size = this.connections.size;
    for (const c of [...this.connections]) {
      if (c.idleMs(now) > allowableIdleMs(size, capacity, c.session.authenticated)) c.close();
    }
    return this.connections.size < capacity;
  }

  peer(atSign: string): AtSignServer | undefined {
    return this.opts.peers(atSign);
  }

  now(): number {
    return Date.now();
  }

  connectionCount(): number {
    return this.connections.size;
  }

  afterWrite(commitId: number, op: "update" | "delete"): void {
    announceCommit(this, commitId, op);
  }

  /** Deletes expired keys, each committed as `-` (skipCommitsForExpiredKeys=false). */
  expireKeys(): number {
    return expireKeys(this).length;
  }

  /** Wipes keys and commit log, keeping the identity. */
  reset(): void {
    resetStore(this, this.opts.seed);
  }

  dropConnections(): void {
    for (const c of [...this.connections]) c.destroy();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const c of [...this.connections]) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.store.close();
  }
}
