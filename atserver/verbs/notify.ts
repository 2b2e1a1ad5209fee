// notify and its companions, delivered in-process to atSigns the same dev-server hosts
// (a real server would connect to the other atServer). Also the autoNotify of shared keys.
import { randomUUID } from "node:crypto";
import { normalizeAtSign, parseAtKey } from "../../protocol/atKey.js";
import { ServerError, syntaxError } from "../connection/ServerError.js";
import { buildMeta, METADATA_FRAGMENT, type FragmentValues } from "../store/buildMeta.js";
import type { StoredMeta } from "../store/StoredMeta.js";
import { notificationJson, type NotificationMetadata } from "../../protocol/notification.js";
import type { KeptNotification } from "../monitor/NotificationHub.js";
import type { AtSignServer, Verb } from "./types.js";
import { checkedFragment } from "./checkedFragment.js";
import { ClientRegex, unexpectedRegexError } from "./clientRegex.js";

function clientMetadata(meta: StoredMeta | undefined): NotificationMetadata {
  return {
    ttr: meta?.ttr ?? null,
    ttl: meta?.ttl ?? null,
    ttb: meta?.ttb ?? null,
    sharedKeyEnc: meta?.sharedKeyEnc ?? null,
    pubKeyCS: meta?.pubKeyCS ?? null,
    dataSignature: meta?.dataSignature ?? null,
    encKeyName: meta?.encKeyName ?? null,
    encAlgo: meta?.encAlgo ?? null,
    ivNonce: meta?.ivNonce ?? null,
    skeEncKeyName: meta?.skeEncKeyName ?? null,
    skeEncAlgo: meta?.skeEncAlgo ?? null,
  };
}

/** What the recipient's server keeps of a notified key's metadata (_getAtMetadataForNotification). */
const CACHED_FIELDS = ["ttl", "ttb", "ttr", "ccd", "sharedKeyEnc", "pubKeyCS", "encKeyName", "encAlgo", "ivNonce", "skeEncKeyName", "skeEncAlgo"] as const;

/**
 * The recipient's side of a key notification (notify_verb_handler.dart
 * _handlePolAuthenticatedConnection): an update carrying a ttr and a value is stored and
 * committed as `cached:<key>` (_storeCachedKeys), which is how the recipient's sync receives
 * keys shared with it; a delete removes that copy only when it was cached with ccd true
 * (_removeCachedKey). Either commit sends the recipient's monitors a stats notification.
 */
function cacheOnRecipient(peer: AtSignServer, n: Omit<KeptNotification, "type">, meta: StoredMeta | undefined): void {
  if (n.messageType !== "MessageType.key") return;
  const cachedKey = `cached:${n.key}`;
  const existing = peer.store.get(cachedKey);
  if (n.operation === "delete") {
    if (existing?.meta.ccd !== true) return;
    peer.afterWrite(peer.store.remove(cachedKey), "delete");
    return;
  }
  if (meta?.ttr === undefined || n.value === null) return;
  const frag: FragmentValues = { isEncrypted: String(n.isEncrypted) };
  for (const f of CACHED_FIELDS) {
    const v = meta[f];
    if (v !== undefined) frag[f] = String(v);
  }
  const cachedMeta = buildMeta(peer.atSign, existing?.meta, frag, peer.now());
  peer.afterWrite(peer.store.put(cachedKey, n.value, cachedMeta, "*"), "update");
}

/**
 * notify_verb_handler.dart _getIsEncrypted: a key notification is encrypted unless its key is
 * public, whatever the command says ("for legacy reasons": the C SDK never sends the flag); a
 * text notification is what its isEncrypted says (SecondaryUtil.getBoolFromString, any case).
 * `atKey` is the command's atKey group (`public:x.wavi`, or `x.wavi` after `@bob:`), and the
 * handler tests it with `startsWith('public')`, colon or not: a shared key whose name begins
 * with "public" (`@bob:publicity.wavi@alice`) is delivered with isEncrypted false, its value
 * still the ciphertext.
 */
export function notificationIsEncrypted(text: boolean, atKey: string, flag: string | undefined): boolean {
  if (text) return flag?.toLowerCase() === "true";
  return !atKey.toLowerCase().startsWith("public");
}

/** Delivers `n` to its recipient when this dev-server hosts it; records it as sent. */
function deliver(server: AtSignServer, n: Omit<KeptNotification, "type">, meta?: StoredMeta): boolean {
  if (n.to === server.atSign) {
    server.hub.add({ ...n, type: "self" });
    return true;
  }
  const peer = server.peer(n.to);
  peer?.hub.add({ ...n, type: "received" });
  if (peer) cacheOnRecipient(peer, n, meta);
  const sent: KeptNotification = { ...n, type: "sent" };
  if (!peer) sent.undelivered = true;
  server.hub.add(sent);
  return peer !== undefined;
}

/** autoNotify: an update or delete of `@bob:x@alice` notifies @bob. */
export function notifyShared(
  server: AtSignServer,
  key: string,
  operation: "update" | "delete",
  value: string | null,
  meta: StoredMeta | undefined,
): void {
  let to: string | undefined;
  try {
    const parsed = parseAtKey(key);
    if (parsed.kind === "shared" && !parsed.cached) to = parsed.sharedWith;
  } catch {
    return;
  }
  if (to === undefined || to === server.atSign) return;
  deliver(server, {
    id: randomUUID(),
    from: server.atSign,
    to,
    key,
    value,
    operation,
    epochMillis: server.now(),
    messageType: "MessageType.key",
    // The recipient's server reads the atKey group of the notify the sharer's server sends it.
    isEncrypted: notificationIsEncrypted(false, key.slice(key.indexOf(":") + 1), undefined),
    metadata: clientMetadata(meta),
  }, meta);
}

const NOTIFY = new RegExp(
  "^notify(:id:(?<id>[\\w-]+))?(:(?<operation>update|delete))?(:messageType:(?<messageType>key|text))?" +
    "(:priority:(?<priority>low|medium|high))?(:strategy:(?<strategy>all|latest))?(:latestN:(?<latestN>\\d+))?" +
    "(:notifier:(?<notifier>[^\\s:]+))?(:ttln:(?<ttln>\\d+))?" +
    METADATA_FRAGMENT +
    "(:((?<publicScope>public)|(@(?<forAtSign>[^@:\\s]+))))?:(?<atKey>[^:@]((?!:{2})[^@])+)(@(?<atSign>[^@:\\s]+))?(:(?<value>.+))?$",
  "i",
);

const SPECIAL = ["notify:status:", "notify:list", "notify:fetch:", "notify:remove:", "notify:all:"];

export const notifyVerb: Verb = {
  name: "notify",
  accept: (c) => c.startsWith("notify:") && !SPECIAL.some((p) => c.startsWith(p)),
  requiresAuth: true,
  usage: "notify:@alice:phone@bob",
  syntax: NOTIFY,
  handle({ groups, server }) {
    const forAtSign = groups["forAtSign"];
    if (forAtSign === undefined) throw syntaxError(notifyVerb.usage);
    const to = normalizeAtSign(forAtSign);
    const text = groups["messageType"]?.toLowerCase() === "text";
    const owner = groups["atSign"] !== undefined ? normalizeAtSign(groups["atSign"]) : server.atSign;
    // _isAuthorizedToSendNotification: only the key's owner notifies of it, else a third atSign
    // could overwrite (or delete) what the owner cached on its recipient's server.
    if (owner !== server.atSign) throw new ServerError("AT0009", `${owner} is not authorized to send notification as ${server.atSign}`);
    const body = groups["atKey"] ?? "";
    const now = server.now();
    const frag = checkedFragment(groups);
    const meta = buildMeta(server.atSign, undefined, frag, now);
    const id = groups["id"] ?? randomUUID();
    const ttln = groups["ttln"] !== undefined ? Number(groups["ttln"]) : undefined;
    const n: Omit<KeptNotification, "type"> = {
      id,
      from: server.atSign,
      to,
      // _getFullFormedAtKey: a public key is notified without the recipient in front.
      key: text ? `${to}:${body}` : body.toLowerCase().startsWith("public:") ? `${body}${owner}`.toLowerCase() : `${to}:${body}${owner}`.toLowerCase(),
      value: groups["value"] ?? null,
      operation: groups["operation"]?.toLowerCase() === "delete" ? "delete" : "update",
      epochMillis: now,
      messageType: text ? "MessageType.text" : "MessageType.key",
      isEncrypted: notificationIsEncrypted(text, body.toLowerCase(), frag.isEncrypted),
      metadata: clientMetadata(meta),
    };
    if (ttln !== undefined && ttln > 0) n.expiresAt = now + ttln;
    deliver(server, n, meta);
    return `data:${id}`;
  },
};

export const notifyStatusVerb: Verb = {
  name: "notify:status",
  accept: (c) => c.startsWith("notify:status:"),
  requiresAuth: true,
  usage: "notify:status:<notificationId>",
  syntax: /^notify:status:(?<notificationId>\S+)$/i,
  handle({ groups, server }) {
    const n = server.hub.get(groups["notificationId"] ?? "");
    if (!n) return "data:null";
    if (n.expiresAt !== undefined && n.expiresAt <= server.now()) return "data:expired";
    return n.undelivered ? "data:errored" : "data:delivered";
  },
};

/** A yyyy-mm-dd of notify:list as Dart parses it in UTC, with its time of day; NaN if invalid. */
function dayMillis(date: string, h = 0, m = 0, s = 0): number {
  const [y, mo, d] = date.split("-").map(Number);
  return Date.UTC(y ?? NaN, (mo ?? NaN) - 1, d ?? NaN, h, m, s);
}

export const notifyListVerb: Verb = {
  name: "notify:list",
  accept: (c) => c.startsWith("notify:list"),
  // notify_list_verb_handler: unauthenticated (and not pol) connections simply get nothing.
  requiresAuth: false,
  usage: "notify:list",
  syntax: /^notify:list(:(?<fromDate>\d{4}-\d{2}-\d{2}))?(:(?<toDate>\d{4}-\d{2}-\d{2}))?(:(?<regex>.+))?$/i,
  handle({ groups, conn, server }) {
    const from = groups["fromDate"] !== undefined ? dayMillis(groups["fromDate"]) : undefined;
    // The handler appends " 23:59:99Z", which Dart rolls over to 00:00:39 the next day.
    const to = groups["toDate"] !== undefined ? dayMillis(groups["toDate"], 23, 59, 99) : server.now();
    if (Number.isNaN(from) || Number.isNaN(to)) throw new ServerError("AT0022", "Invalid date format");
    if (from !== undefined && to < from) throw new ServerError("AT0022", "ToDate cannot be less than FromDate");
    if (!conn.session.authenticated) return "data:null";
    const now = server.now();
    let list = server.hub.received().filter((n) => n.expiresAt === undefined || n.expiresAt > now);
    if (from !== undefined) list = list.filter((n) => n.epochMillis >= from && n.epochMillis <= to);
    const source = groups["regex"];
    // RegExp(regex) is built per notification: a bad one fails only when there is one to test,
    // and its FormatException escapes (AT0011, close). The key or the sender may match.
    if (source !== undefined && list.length > 0) {
      const regex = ClientRegex.compile(source, notifyListVerb.usage, unexpectedRegexError);
      list = list.filter((n) => regex.matches([n.key, n.from.replaceAll("@", "")]).includes(true));
    }
    if (list.length === 0) return "data:null";
    return `data:[${list.map(notificationJson).join(",")}]`;
  },
};

export const notifyFetchVerb: Verb = {
  name: "notify:fetch",
  accept: (c) => c.startsWith("notify:fetch:"),
  requiresAuth: true,
  usage: "notify:fetch:<notificationId>",
  syntax: /^notify:fetch:(?<notificationId>\S+)$/i,
  handle({ groups, server }) {
    const id = groups["notificationId"] ?? "";
    const n = server.hub.get(id);
    // notify_fetch_verb_handler: an unknown id reads as an expired notification.
    return n ? `data:${notificationJson(n)}` : `data:${JSON.stringify({ id, notificationStatus: "NotificationStatus.expired" })}`;
  },
};

export const notifyRemoveVerb: Verb = {
  name: "notify:remove",
  accept: (c) => c.startsWith("notify:remove:"),
  requiresAuth: true,
  usage: "notify:remove:<notificationId>",
  syntax: /^notify:remove:(?<notificationId>\S+)$/i,
  handle({ groups, server }) {
    server.hub.remove(groups["notificationId"] ?? "");
    return "data:success";
  },
};
