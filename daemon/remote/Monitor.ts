// The notification channel: its own TLS connection, PKAM login, `monitor[:<epochMillis>]`,
// `noop:0` heartbeats, and reconnection with backoff until stopped (atprotocol.md §4
// `monitor`). Every connect attempt gets a generation number, so events of a connection
// that was replaced or stopped are ignored.
import { inspect } from "node:util";
import { redactedLabel } from "../../protocol/protectAtKeys.js";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { isStatsNotification, parseNotification } from "../../protocol/notification.js";
import type { AtNotification, Disposable, Logger } from "../ports.js";
import { AtConnection } from "./AtConnection.js";
import { Backoff } from "../backoff.js";
import { RemoteUnavailableError } from "./errors.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, dialAtServer, loginWithPkam, type AtServerAccess } from "./openAtServer.js";

export type MonitorState = "connecting" | "online" | "offline";

/** The monitor connection's health, for the status (daemon/status/deriveStatus.ts). */
export interface MonitorHealth {
  state: MonitorState;
  /**
   * Online: when it came online. Connecting or offline: when it stopped being online (or was
   * created); the reconnect attempts in between, each offline → connecting → offline, leave it.
   */
  since: number;
  /** Connect attempts since it was last online (0 while online). */
  attempt: number;
  /** While offline: when the next reconnect is due. */
  nextAttemptAt: number | null;
  /** Why it is not online (the connection lost, a heartbeat unanswered, a connect that failed); null when online. */
  reason: string | null;
}

export interface MonitorOptions extends AtServerAccess {
  /** How often an idle monitor sends `noop:0` (default 10 s). */
  heartbeatMs?: number;
  /** How long a heartbeat may wait for its reply before the connection counts as dead (default a third of heartbeatMs). */
  heartbeatTimeoutMs?: number;
  regex?: string;
  /** Replay stored notifications newer than this epochMillis on the first connection. */
  since?: number;
  backoff?: Backoff;
}

const DEFAULT_HEARTBEAT_MS = 10_000;

export class Monitor {
  private readonly atSign: string;
  private readonly log: Logger;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly backoff: Backoff;
  private readonly notificationListeners = new Set<(n: AtNotification) => void>();
  private readonly stateListeners = new Set<(s: MonitorState) => void>();
  private state: MonitorState = "offline";
  private stateSince: number;
  private attempts = 0;
  private nextAttemptAt: number | null = null;
  private reason: string | null = "not started";
  private running = false;
  private generation = 0;
  private conn: AtConnection | undefined;
  private attempt: Promise<void> | undefined;
  /** Cancels the connect attempt under way, so stop() and reconnectNow() need not wait for it. */
  private attemptAbort: AbortController | undefined;
  private retryTimer: Disposable | undefined;
  private heartbeatTimer: Disposable | undefined;
  private lastEpoch: number | undefined;
  private lastOnlineAt: number | undefined;

  constructor(private readonly opts: MonitorOptions) {
    this.atSign = normalizeAtSign(opts.atSign);
    this.log = opts.logger.child({ component: "Monitor" });
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    // No `data:ok` within a third of the interval means a dead link (the SDK's rule).
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? Math.max(1, Math.floor(this.heartbeatMs / 3));
    this.stateSince = opts.clock.now();
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.backoff = opts.backoff ?? new Backoff();
    this.lastEpoch = opts.since;
  }

  /** Holds keys: logs and inspection show only the atSign. */
  [inspect.custom](): string {
    return redactedLabel("Monitor", this.atSign);
  }

  toJSON(): string {
    return redactedLabel("Monitor", this.atSign);
  }

  onNotification(fn: (n: AtNotification) => void): Disposable {
    this.notificationListeners.add(fn);
    return { dispose: () => this.notificationListeners.delete(fn) };
  }

  onStateChange(fn: (s: MonitorState) => void): Disposable {
    this.stateListeners.add(fn);
    return { dispose: () => this.stateListeners.delete(fn) };
  }

  get currentState(): MonitorState {
    return this.state;
  }

  health(): MonitorHealth {
    return { state: this.state, since: this.stateSince, attempt: this.attempts, nextAttemptAt: this.nextAttemptAt, reason: this.reason };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connectNow();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    this.attemptAbort?.abort();
    this.clearTimers();
    const conn = this.conn;
    this.conn = undefined;
    if (conn) await conn.close();
    await this.attempt;
    this.reason = "monitor stopped";
    this.nextAttemptAt = null;
    this.setState("offline");
  }

  /** Drops the current connection (or wait) and connects at once, e.g. after a network change. */
  reconnectNow(): void {
    if (!this.running) return;
    this.backoff.reset();
    this.connectNow();
  }

  private connectNow(): void {
    const gen = ++this.generation;
    this.attemptAbort?.abort();
    this.clearTimers();
    const old = this.conn;
    this.conn = undefined;
    old?.destroy();
    const attempt = this.connect(gen);
    this.attempt = attempt;
  }

  private async connect(gen: number): Promise<void> {
    this.attempts++;
    this.nextAttemptAt = null;
    this.setState("connecting");
    const { clock } = this.opts;
    const abort = new AbortController();
    this.attemptAbort = abort;
    const attempt = {
      atSign: this.atSign,
      timeoutMs: this.connectTimeoutMs,
      signal: abort.signal,
      aborted: (): RemoteUnavailableError => new RemoteUnavailableError("closed", "monitor stopped"),
    };
    let conn: AtConnection | undefined;
    try {
      const { socket } = await dialAtServer(this.opts, attempt);
      conn = new AtConnection(socket, clock, {
        kind: "monitor",
        onNotification: (json) => this.onNotificationJson(gen, json),
        onStrayReply: (reply) => this.log.debug("reply outside a request", { bytes: Buffer.byteLength(reply) }),
      });
      await loginWithPkam(conn, this.opts, attempt);
      if (gen !== this.generation) return conn.destroy();
    } catch (err) {
      conn?.destroy();
      if (gen !== this.generation) return;
      this.log.warn("monitor connect failed", { error: err instanceof Error ? err.name : "unknown", attempt: this.backoff.attempt });
      this.scheduleRetry(gen, err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.attemptAbort === abort) this.attemptAbort = undefined;
    conn.send(this.monitorCommand());
    this.conn = conn;
    this.lastOnlineAt = clock.now();
    conn.onClose((e) => this.onLost(gen, e.reason, e.message));
    if (!conn.isOpen) return;
    this.attempts = 0;
    this.reason = null;
    this.setState("online");
    this.scheduleHeartbeat(gen, conn);
  }

  private monitorCommand(): string {
    const since = this.lastEpoch ?? this.lastOnlineAt;
    return `monitor${since !== undefined ? `:${since}` : ""}${this.opts.regex ? ` ${this.opts.regex}` : ""}`;
  }

  private onLost(gen: number, reason: string, message: string): void {
    if (gen !== this.generation || !this.running) return;
    this.conn = undefined;
    this.clearTimers();
    this.log.info("monitor connection lost", { reason });
    this.scheduleRetry(gen, `monitor connection lost: ${message}`);
  }

  private scheduleRetry(gen: number, reason: string): void {
    const delay = this.backoff.next();
    this.reason = reason;
    this.nextAttemptAt = this.opts.clock.now() + delay;
    this.setState("offline");
    this.retryTimer = this.opts.clock.setTimer(delay, () => {
      if (gen === this.generation && this.running) this.connectNow();
    });
  }

  private scheduleHeartbeat(gen: number, conn: AtConnection): void {
    this.heartbeatTimer = this.opts.clock.setTimer(this.heartbeatMs, () => {
      if (gen !== this.generation) return;
      // A reply that does not come within the timeout fails the connection: onLost marks it offline.
      conn.request("noop:0", { timeoutMs: this.heartbeatTimeoutMs }).then(
        () => {
          if (gen !== this.generation) return;
          this.backoff.reset();
          this.scheduleHeartbeat(gen, conn);
        },
        () => undefined, // the connection has failed; onLost takes it from here
      );
    });
  }

  private onNotificationJson(gen: number, json: string): void {
    if (gen !== this.generation) return;
    const n = parseNotification(json);
    if (!n) {
      this.log.warn("malformed notification dropped", { bytes: Buffer.byteLength(json) });
      return;
    }
    if (!isStatsNotification(n)) this.lastEpoch = Math.max(this.lastEpoch ?? 0, n.epochMillis);
    for (const fn of [...this.notificationListeners]) {
      try {
        fn(n);
      } catch (err) {
        this.log.error("notification listener threw", { error: err instanceof Error ? err.name : "unknown" });
      }
    }
  }

  private setState(s: MonitorState): void {
    if (this.state === s) return;
    // "Offline for 5 min" counts from when it went away, not from the latest failed attempt.
    if ((s === "online") !== (this.state === "online")) this.stateSince = this.opts.clock.now();
    this.state = s;
    for (const fn of [...this.stateListeners]) {
      try {
        fn(s);
      } catch (err) {
        this.log.error("state listener threw", { error: err instanceof Error ? err.name : "unknown" });
      }
    }
  }

  private clearTimers(): void {
    this.retryTimer?.dispose();
    this.retryTimer = undefined;
    this.heartbeatTimer?.dispose();
    this.heartbeatTimer = undefined;
  }
}
