// Notifications our atSign sends (notifications.send). Each is kept durably first, like a write,
// as `private:atsyncd_notify.<id>@alice` (never committed, so it never syncs), AES-encrypted with
// the self encryption key; then sent with its own id (`notify:id:<id>:…`), and its delivery
// followed with `notify:status:<id>`. One asked for while offline waits there and goes out when
// the connection is back (flush). Values and texts are encrypted for the recipient with the key
// shared with it, as the SDK's NotificationRequestTransformer does (sharedKeyEnc, pubKeyCS, ivNonce).
import { randomUUID } from "node:crypto";
import { parseAtKey } from "../../protocol/atKey.js";
import { aesDecrypt, aesEncrypt, randomIvB64 } from "../../protocol/crypto.js";
import { AtProtocolError } from "../../protocol/errors.js";
import { metadataFragment, type AtMetadata } from "../../protocol/metadata.js";
import { AtsyncError, ErrorCode, InternalCode, UnreachableAtCodes } from "../../shared/errors.js";
import type { EventInput } from "../../shared/events.js";
import type { NotificationStatus, NotificationsSendParams, NotificationsSendResult } from "../../shared/types.js";
import type { ValueCipher } from "../crypto/ValueCipher.js";
import type { AtRemote, Clock, Logger } from "../ports.js";
import type { LocalWrites } from "../sync/LocalWrites.js";
import type { ReadonlyStore } from "./WorkerContext.js";

const PREFIX = "private:atsyncd_notify.";
/** How often, and for how long, a sent notification's status is asked. */
const FOLLOW_DELAYS_MS = [200, 500, 1000, 2000, 4000, 8000, 15_000, 30_000];
const REQUEST_TIMEOUT_MS = 15_000;
/** Retries of what waits while the atServer cannot be reached (besides each return to online). */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** What is kept of a notification until it is sent: what the app asked, with the full key. */
type Queued = Pick<NotificationsSendParams, "to" | "value" | "delete" | "text" | "ttr" | "ccd" | "ttln"> & {
  id: string;
  /** The full key (`@bob:k.wavi@alice`) of a key notification. */
  key?: string;
  queuedAt: number;
};

export interface NotificationOutboxOptions {
  atSign: string;
  selfEncryptionKey: string;
  store: ReadonlyStore;
  local: LocalWrites;
  cipher: ValueCipher;
  remote: AtRemote;
  clock: Clock;
  logger: Logger;
  publish(e: EventInput): void;
}

function isUnreachable(err: unknown): boolean {
  if (err instanceof AtProtocolError) return UnreachableAtCodes.has(err.code) && err.code !== "AT0007";
  return (err as { code?: unknown } | null)?.code === InternalCode.REMOTE_UNAVAILABLE;
}

export class NotificationOutbox {
  private readonly waiters = new Map<string, Array<(s: NotificationStatus) => void>>();
  private readonly timers = new Set<{ dispose(): void }>();
  /** Ids whose attempt is out now: a flush meanwhile leaves them to it, so none goes out twice. */
  private readonly inFlight = new Set<string>();
  private flushing: Promise<void> | undefined;
  private retry: { dispose(): void } | undefined;
  private retryMs = RETRY_MIN_MS;
  private closed = false;

  constructor(private readonly o: NotificationOutboxOptions) {}

  /** Keeps the notification, then tries to send it now; "queued" when the atServer cannot be reached. */
  async send(p: NotificationsSendParams): Promise<NotificationsSendResult> {
    const q = this.toQueued(p);
    this.keep(q);
    const status = await this.trySend(q);
    // Kept until the atServer can be reached: the app hears it now, and "sent" once it goes out.
    if (status === "queued") this.announce(q, "queued");
    return { notificationId: q.id, status };
  }

  /** Resolves with the notification's final status (delivered, errored, expired). */
  settled(id: string): Promise<NotificationStatus> {
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /** Sends what waits, oldest first; stops at the first that cannot reach the atServer. */
  flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    const run = this.sendWaiting().finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
    this.flushing = run;
    return run;
  }

  private async sendWaiting(): Promise<void> {
    for (const q of this.pending()) {
      if (this.closed) return;
      // Being sent by send() now, or sent since this list was read: not again.
      if (this.inFlight.has(q.id) || this.o.store.get(this.storeKey(q.id)) === undefined) continue;
      const s = await this.trySend(q).catch(() => "errored" as const);
      if (s === "queued") return;
    }
    this.retryMs = RETRY_MIN_MS;
  }

  /** Tries again later, with a growing delay, while something waits for the atServer. */
  private scheduleRetry(): void {
    if (this.retry !== undefined || this.closed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retry = this.o.clock.setTimer(delay, () => {
      this.retry = undefined;
      void this.flush();
    });
  }

  dispose(): void {
    this.closed = true;
    this.retry?.dispose();
    for (const t of this.timers) t.dispose();
    this.timers.clear();
  }

  private toQueued(p: NotificationsSendParams): Queued {
    const me = this.o.atSign;
    const to = p.to.toLowerCase();
    if (to === me) throw new AtsyncError(ErrorCode.InvalidParams, `a notification goes to another atSign, not to ${me} itself`);
    if ((p.key === undefined) === (p.text === undefined)) {
      throw new AtsyncError(ErrorCode.InvalidParams, "invalid params: give either 'key' (a key notification) or 'text' (a text notification)");
    }
    const q: Queued = { id: randomUUID(), to, queuedAt: this.o.clock.now() };
    if (p.text !== undefined) q.text = p.text;
    if (p.key !== undefined) {
      q.key = this.fullKey(p.key, to);
      if (p.delete === true) q.delete = true;
      else if (p.value !== undefined) q.value = p.value;
    }
    if (p.ttr !== undefined) q.ttr = p.ttr;
    if (p.ccd !== undefined) q.ccd = p.ccd;
    if (p.ttln !== undefined) q.ttln = p.ttln;
    return q;
  }

  /** `k.wavi` → `@bob:k.wavi@alice`; a full key must be ours and shared with the recipient. */
  private fullKey(key: string, to: string): string {
    const me = this.o.atSign;
    const full = key.includes("@") ? key.toLowerCase() : `${to}:${key.toLowerCase()}${me}`;
    let parsed;
    try {
      parsed = parseAtKey(full);
    } catch {
      throw new AtsyncError(ErrorCode.InvalidAtKey, `${key} is not an atKey`, { key });
    }
    if (parsed.kind !== "shared" || parsed.owner !== me || parsed.sharedWith !== to) {
      throw new AtsyncError(ErrorCode.InvalidAtKey, `${key}: a key notification names a key of ${me} shared with ${to} (${to}:name${me})`, { key });
    }
    return full;
  }

  private storeKey(id: string): string {
    return `${PREFIX}${id}${this.o.atSign}`;
  }

  private keep(q: Queued): void {
    const ivNonce = randomIvB64();
    const value = aesEncrypt(this.o.selfEncryptionKey, JSON.stringify(q), ivNonce);
    this.o.local.put(this.storeKey(q.id), value, { isEncrypted: true, ivNonce });
  }

  private pending(): Queued[] {
    const out: Queued[] = [];
    for (const k of this.o.store.listKeys({ prefix: PREFIX })) {
      const rec = this.o.store.get(k);
      if (rec === undefined) continue;
      try {
        out.push(JSON.parse(aesDecrypt(this.o.selfEncryptionKey, rec.value, rec.metadata.ivNonce)) as Queued);
      } catch {
        this.o.logger.warn("an unreadable queued notification was dropped", { key: k });
        this.o.local.delete(k);
      }
    }
    return out.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  /** The notify command, encrypted for the recipient now (its public key may need the network). */
  private async command(q: Queued): Promise<string> {
    const ttln = q.ttln !== undefined ? `:ttln:${q.ttln}` : "";
    if (q.text !== undefined) {
      const enc = await this.o.cipher.encryptForPut(`${q.to}:notification${this.o.atSign}`, q.text);
      return `notify:id:${q.id}:update:messageType:text${ttln}${metadataFragment({ ...enc.metadata, isEncrypted: true })}:${q.to}:${enc.value}`;
    }
    const key = q.key ?? "";
    const body = key.slice(q.to.length + 1);
    const meta: Partial<AtMetadata> = {};
    if (q.ttr !== undefined) meta.ttr = q.ttr;
    if (q.ccd !== undefined) meta.ccd = q.ccd;
    if (q.delete === true || q.value === undefined) {
      return `notify:id:${q.id}:${q.delete === true ? "delete" : "update"}:messageType:key${ttln}${metadataFragment(meta)}:${q.to}:${body}`;
    }
    const enc = await this.o.cipher.encryptForPut(key, q.value, meta);
    return `notify:id:${q.id}:update:messageType:key${ttln}${metadataFragment(enc.metadata)}:${q.to}:${body}:${enc.value}`;
  }

  /** One attempt: "sent" (then followed), "queued" (unreachable, kept), or a failure that drops it. */
  private async trySend(q: Queued): Promise<NotificationStatus> {
    this.inFlight.add(q.id);
    try {
      return await this.attempt(q);
    } finally {
      this.inFlight.delete(q.id);
    }
  }

  private async attempt(q: Queued): Promise<NotificationStatus> {
    let command: string;
    try {
      command = await this.command(q);
    } catch (err) {
      // Encrypting may need the recipient's public key: tell "offline" (kept) from "no such atSign".
      const probe: unknown = await this.o.remote.request(`plookup:publickey${q.to}`, { timeoutMs: REQUEST_TIMEOUT_MS }).then(() => undefined, (e: unknown) => e);
      if (isUnreachable(probe)) return this.queued();
      return this.fail(q, probe ?? err);
    }
    try {
      await this.o.remote.request(command, { timeoutMs: REQUEST_TIMEOUT_MS });
    } catch (err) {
      if (isUnreachable(err)) return this.queued();
      return this.fail(q, err);
    }
    this.forget(q);
    this.announce(q, "sent");
    this.follow(q, 0);
    return "sent";
  }

  private queued(): "queued" {
    this.o.logger.info("notification kept until the atServer can be reached", { retryInMs: this.retryMs });
    this.scheduleRetry();
    return "queued";
  }

  /** Drops a notification that cannot go out (it would fail the same way again), says why, and throws that. */
  private fail(q: Queued, err: unknown): never {
    this.forget(q);
    const e = this.failure(err, q);
    this.announce(q, "errored", e);
    this.settle(q.id, "errored");
    throw e;
  }

  private failure(err: unknown, q: Queued): AtsyncError {
    if (err instanceof AtProtocolError && err.code === "AT0007") {
      return new AtsyncError(ErrorCode.AtSignNotFound, `${q.to} is not an atSign the root directory knows`, { atSign: q.to });
    }
    if (AtsyncError.is(err)) return err instanceof AtsyncError ? err : AtsyncError.fromJSON(err);
    return new AtsyncError(ErrorCode.NotificationUndelivered, `the atServer refused the notification to ${q.to}${err instanceof AtProtocolError ? ` (${err.code})` : ""}`);
  }

  private forget(q: Queued): void {
    if (this.o.store.get(this.storeKey(q.id)) !== undefined) this.o.local.delete(this.storeKey(q.id));
  }

  private follow(q: Queued, attempt: number): void {
    const delay = FOLLOW_DELAYS_MS[attempt];
    if (this.closed) return;
    // Followed long enough: whoever waits hears it is sent, its delivery unconfirmed.
    if (delay === undefined) return this.settle(q.id, "sent");
    const timer = this.o.clock.setTimer(delay, () => {
      this.timers.delete(timer);
      void this.o.remote.request(`notify:status:${q.id}`, { timeoutMs: REQUEST_TIMEOUT_MS }).then(
        (status) => {
          if (status === "delivered" || status === "errored" || status === "expired") {
            const err = status === "errored" ? new AtsyncError(ErrorCode.NotificationUndelivered, `the notification to ${q.to} could not be delivered: its atServer cannot be reached`) : undefined;
            this.announce(q, status, err);
            this.settle(q.id, status);
          } else this.follow(q, attempt + 1);
        },
        () => this.follow(q, attempt + 1),
      );
    });
    this.timers.add(timer);
  }

  private settle(id: string, status: NotificationStatus): void {
    for (const w of this.waiters.get(id) ?? []) w(status);
    this.waiters.delete(id);
  }

  private announce(q: Queued, status: NotificationStatus, err?: AtsyncError): void {
    this.o.logger.info("notification status", { notificationId: q.id, to: q.to, status, ...(err !== undefined ? { code: err.code } : {}) });
    this.o.publish({
      kind: "notification.statusChanged", atSign: this.o.atSign, to: q.to, notificationId: q.id, status,
      ...(err !== undefined ? { error: { code: err.code, message: err.message } } : {}),
    });
  }
}
