// Notifications other atSigns send us (not the statsNotifications that drive sync) become
// `notification.received` events, decrypted when they were encrypted for us.
import type { AtMetadata } from "../../protocol/metadata.js";
import type { ValueCipher } from "../crypto/ValueCipher.js";
import type { AtNotification, Disposable, Logger } from "../ports.js";
import { isStatsNotification } from "../remote/parseNotification.js";
import type { Monitor } from "../remote/Monitor.js";
import type { WorkerToMain } from "./protocol.js";

/** The last notification forwarded: where the monitor resumes after a restart (`monitor:<epochMillis>`). */
export interface LastNotification {
  epochMillis: number;
  id: string;
}

export interface ForwardOptions {
  atSign: string;
  monitor: Monitor;
  cipher: ValueCipher;
  logger: Logger;
  post(msg: WorkerToMain): void;
  /** The last one forwarded before this run (persisted), so a replay does not forward it again. */
  last?: LastNotification;
  /** Keeps the last one forwarded, durably. */
  remember?(last: LastNotification): void;
}

/** The local key that holds the last notification forwarded; `private:` never syncs. */
export function lastNotificationKey(atSign: string): string {
  return `private:atsyncd_last_notification${atSign}`;
}

/** Reads what `remember` kept; undefined when nothing (or nothing readable) was. */
export function parseLastNotification(value: string | undefined): LastNotification | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as Partial<LastNotification>;
    return typeof v.epochMillis === "number" && Number.isFinite(v.epochMillis) && typeof v.id === "string" ? { epochMillis: v.epochMillis, id: v.id } : undefined;
  } catch {
    return undefined;
  }
}

function metaOf(n: AtNotification): Partial<AtMetadata> {
  const m = n.metadata ?? {};
  const pick = (k: string): string | undefined => {
    const v = m[k];
    return typeof v === "string" && v !== "" && v !== "null" ? v : undefined;
  };
  const out: Partial<AtMetadata> = {};
  const sharedKeyEnc = pick("sharedKeyEnc");
  const pubKeyCS = pick("pubKeyCS");
  const ivNonce = pick("ivNonce");
  if (sharedKeyEnc !== undefined) out.sharedKeyEnc = sharedKeyEnc;
  if (pubKeyCS !== undefined) out.pubKeyCS = pubKeyCS;
  if (ivNonce !== undefined) out.ivNonce = ivNonce;
  if (n.isEncrypted !== undefined) out.isEncrypted = n.isEncrypted;
  return out;
}

/**
 * The value as subscribers get it. One flagged isEncrypted is decrypted, or null when it cannot
 * be (subscribers still learn that it arrived); any other is decrypted if it can be and passed
 * on as sent if not, whatever the flag says (ValueCipher.decryptForGet; an older server or the
 * C SDK may leave the flag false on encrypted values).
 */
async function plainValue(o: ForwardOptions, n: AtNotification): Promise<string | null> {
  if (n.messageType === "MessageType.text") return plainText(o, n);
  if (n.value === null || n.operation === "delete") return null;
  try {
    return await o.cipher.decryptForGet(n.key, n.value, metaOf(n));
  } catch {
    return n.isEncrypted === true ? null : n.value;
  }
}

/** A text notification's text (its key after `@to:`), decrypted when it came encrypted for us. */
async function plainText(o: ForwardOptions, n: AtNotification): Promise<string | null> {
  const prefix = `${n.to}:`;
  const text = n.key.toLowerCase().startsWith(prefix.toLowerCase()) ? n.key.slice(prefix.length) : n.key;
  if (n.isEncrypted !== true) return text;
  try {
    return await o.cipher.decryptFromSharer(n.from, `a text notification from ${n.from}`, text, metaOf(n));
  } catch {
    return null;
  }
}

export function forwardNotifications(o: ForwardOptions): Disposable {
  const before = o.last;
  let newest = before?.epochMillis ?? Number.NEGATIVE_INFINITY;
  // One at a time, in the order they arrived: one whose decryption waits on the network (the
  // sharer's key) holds back those after it, and each is kept for the resume only once it has
  // been forwarded, so a crash meanwhile replays it rather than skipping it.
  let chain = Promise.resolve();
  const forward = async (n: AtNotification): Promise<void> => {
    const value = await plainValue(o, n);
    o.post({
      type: "event",
      event: {
        kind: "notification.received", atSign: o.atSign, from: n.from, key: n.key,
        operation: n.operation === "delete" ? "delete" : "update", value, notificationId: n.id, at: n.epochMillis,
      },
    });
    if (n.epochMillis >= newest) {
      newest = n.epochMillis;
      o.remember?.({ epochMillis: n.epochMillis, id: n.id });
    }
  };
  return o.monitor.onNotification((n) => {
    if (isStatsNotification(n) || n.to.toLowerCase() !== o.atSign) return;
    // The replay (monitor:<epochMillis>) that starts this run may bring again what the last run forwarded.
    if (before !== undefined && (n.epochMillis < before.epochMillis || n.id === before.id)) return;
    chain = chain
      .then(() => forward(n))
      .catch((err: unknown) => o.logger.warn("notification not forwarded", { error: err instanceof Error ? err.name : "unknown" }));
  });
}
