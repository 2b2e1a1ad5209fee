// notify and its companions, delivered in-process to atSigns the same dev-server hosts
// (a real server would connect to the other atServer). Also the autoNotify of shared keys.
import { randomUUID } from "node:crypto";
import { normalizeAtSign, parseAtKey } from "../../protocol/atKey.js";
import { syntaxError } from "../connection/ServerError.js";
import { buildMeta, METADATA_FRAGMENT } from "../store/buildMeta.js";
import type { StoredMeta } from "../store/StoredMeta.js";
import { notificationJson, type AtNotification } from "../monitor/NotificationHub.js";
import type { AtSignServer, Verb } from "./types.js";
import { checkedFragment } from "./checkedFragment.js";

function clientMetadata(meta: StoredMeta | undefined): Record<string, string | number | null> {
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

/** Delivers `n` to its recipient when this dev-server hosts it; records it as sent. */
function deliver(server: AtSignServer, n: Omit<AtNotification, "type">): boolean {
  if (n.to === server.atSign) {
    server.hub.add({ ...n, type: "self" });
    return true;
  }
  const peer = server.peer(n.to);
  peer?.hub.add({ ...n, type: "received" });
  const sent: AtNotification = { ...n, type: "sent" };
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
    isEncrypted: meta?.isEncrypted ?? false,
    metadata: clientMetadata(meta),
  });
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
    const body = groups["atKey"] ?? "";
    const now = server.now();
    const meta = buildMeta(server.atSign, undefined, checkedFragment(groups), now);
    const id = groups["id"] ?? randomUUID();
    const ttln = groups["ttln"] !== undefined ? Number(groups["ttln"]) : undefined;
    const n: Omit<AtNotification, "type"> = {
      id,
      from: server.atSign,
      to,
      key: text ? `${to}:${body}` : `${to}:${body}${owner}`.toLowerCase(),
      value: groups["value"] ?? null,
      operation: groups["operation"]?.toLowerCase() === "delete" ? "delete" : "update",
      epochMillis: now,
      messageType: text ? "MessageType.text" : "MessageType.key",
      isEncrypted: meta.isEncrypted ?? false,
      metadata: clientMetadata(meta),
    };
    if (ttln !== undefined && ttln > 0) n.expiresAt = now + ttln;
    deliver(server, n);
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

export const notifyListVerb: Verb = {
  name: "notify:list",
  accept: (c) => c.startsWith("notify:list"),
  requiresAuth: true,
  usage: "notify:list",
  syntax: /^notify:list(:(?<fromDate>\d{4}-\d{2}-\d{2}))?(:(?<toDate>\d{4}-\d{2}-\d{2}))?(:(?<regex>.+))?$/i,
  handle({ groups, server }) {
    let regex: RegExp | undefined;
    try {
      regex = groups["regex"] !== undefined ? new RegExp(groups["regex"]) : undefined;
    } catch {
      throw syntaxError(notifyListVerb.usage);
    }
    const list = server.hub.received().filter((n) => !regex || regex.test(n.key));
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
    const n = server.hub.get(groups["notificationId"] ?? "");
    return n ? `data:${notificationJson(n)}` : "data:null";
  },
};

export const notifyRemoveVerb: Verb = {
  name: "notify:remove",
  accept: (c) => c.startsWith("notify:remove:"),
  requiresAuth: true,
  usage: "notify:remove:<notificationId>",
  syntax: /^notify:remove:(?<notificationId>\S+)$/i,
  handle() {
    return "data:success";
  },
};
