// Notifications of one atSign: kept (in memory) for monitor replay and notify:status, and
// written to every monitor connection whose regex matches (monitor_verb_handler.dart).
import { notificationJson, type AtNotification, type NotificationMetadata } from "../../protocol/notification.js";
import type { ClientRegex } from "../verbs/clientRegex.js";
import type { Conn } from "../verbs/types.js";

export type NotificationType = "received" | "sent" | "self";

/** A notification as the hub keeps it: the wire shape, narrowed, plus what only the server knows. */
export interface KeptNotification extends AtNotification {
  operation: "update" | "delete";
  messageType: "MessageType.key" | "MessageType.text";
  isEncrypted: boolean;
  metadata: NotificationMetadata | null;
  type: NotificationType;
  /** ttln: when it stops being delivered. */
  expiresAt?: number;
  /** A sent notification whose recipient this dev-server does not host (notify:status errored). */
  undelivered?: boolean;
}

interface MonitorSub {
  conn: Conn;
  regex: ClientRegex;
  self: boolean;
}

const MAX_KEPT = 10_000;

export class NotificationHub {
  private readonly kept: KeptNotification[] = [];
  private readonly byId = new Map<string, KeptNotification>();
  private readonly monitors = new Map<number, MonitorSub>();

  constructor(private readonly atSign: string) {}

  /** Keeps a notification and delivers it to the monitors that want it. */
  add(n: KeptNotification): void {
    this.kept.push(n);
    this.byId.set(n.id, n);
    if (this.kept.length > MAX_KEPT) {
      const old = this.kept.shift();
      if (old) this.byId.delete(old.id);
    }
    for (const sub of this.monitors.values()) this.deliver(sub, n);
  }

  get(id: string): KeptNotification | undefined {
    return this.byId.get(id);
  }

  /** Forgets a notification (notify:remove); unknown ids are fine. */
  remove(id: string): void {
    const n = this.byId.get(id);
    if (!n) return;
    this.byId.delete(id);
    this.kept.splice(this.kept.indexOf(n), 1);
  }

  /** Received notifications, oldest first (notify:list). */
  received(): KeptNotification[] {
    return this.kept.filter((n) => n.type === "received");
  }

  /** Starts streaming to `conn`; with `sinceMillis`, first replays what is newer than it. */
  subscribe(conn: Conn, regex: ClientRegex, self: boolean, sinceMillis: number | undefined, now: number): void {
    const sub: MonitorSub = { conn, regex, self };
    this.monitors.set(conn.id, sub);
    if (sinceMillis === undefined) return;
    const replay = this.kept
      .filter((n) => n.epochMillis > sinceMillis && (n.type === "received" || (self && n.type === "self")))
      .filter((n) => n.expiresAt === undefined || n.expiresAt > now)
      .sort((a, b) => a.epochMillis - b.epochMillis);
    // The replay filter matches the key only, not the sender (monitor_verb_handler retain).
    for (const n of replay) this.deliver(sub, n, false);
  }

  unsubscribe(conn: Conn): void {
    this.monitors.delete(conn.id);
  }

  monitorCount(): number {
    return this.monitors.size;
  }

  /** The statsNotification every monitor gets, whatever its regex. */
  stats(lastCommitId: string, op: "update" | "delete", now: number): void {
    if (this.monitors.size === 0) return;
    // The stats line carries no metadata key.
    const json = notificationJson({
      id: "-1",
      from: this.atSign,
      to: this.atSign,
      key: `statsNotification.${this.atSign}`,
      value: lastCommitId,
      operation: op,
      epochMillis: now,
      messageType: "MessageType.key",
      isEncrypted: false,
    });
    for (const sub of this.monitors.values()) {
      if (!sub.conn.closed) sub.conn.writeRaw(`notification: ${json}\n`);
    }
  }

  private deliver(sub: MonitorSub, n: KeptNotification, orSender = true): void {
    if (sub.conn.closed) return;
    if (n.type === "sent") return;
    if (n.type === "self" && !sub.self) return;
    let wanted: boolean;
    try {
      wanted = sub.regex.matches(orSender ? [n.key, n.from.replaceAll("@", "")] : [n.key]).includes(true);
    } catch {
      // Its regex overran the time budget: drop the monitor rather than stall every writer.
      this.monitors.delete(sub.conn.id);
      sub.conn.close();
      return;
    }
    if (!wanted) return;
    sub.conn.writeRaw(`notification: ${notificationJson(n)}\n`);
  }
}
