// The `notification: {json}` line a monitor connection streams (monitor_verb_handler.dart),
// written by the dev-server and read by the daemon: one shape and codec for both sides.

/** Metadata of a notification: strings, and numbers for ttl/ttb/ttr, as the atServer sends them. */
export type NotificationMetadata = Record<string, string | number | null>;

/** A notification as it is on the wire (MapForClient). */
export interface AtNotification {
  id: string;
  from: string;
  to: string;
  /** The notification key: `@bob:phone.wavi@alice`, or the text of a text message. */
  key: string;
  value: string | null;
  operation: string;
  epochMillis: number;
  messageType?: string;
  isEncrypted?: boolean;
  metadata?: NotificationMetadata | null;
}

/** The JSON a client sees, in the atServer's key order; absent optional fields are left out. */
export function notificationJson(n: AtNotification): string {
  return JSON.stringify({
    id: n.id,
    from: n.from,
    to: n.to,
    key: n.key,
    value: n.value,
    operation: n.operation,
    epochMillis: n.epochMillis,
    messageType: n.messageType,
    isEncrypted: n.isEncrypted,
    metadata: n.metadata,
  });
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The notification, or undefined when the JSON lacks a required field. Metadata values become strings. */
export function parseNotification(json: string): AtNotification | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  const id = typeof o["id"] === "number" ? String(o["id"]) : str(o["id"]);
  const from = str(o["from"]);
  const to = str(o["to"]);
  const key = str(o["key"]);
  const operation = str(o["operation"]);
  const epoch = o["epochMillis"];
  const epochMillis = typeof epoch === "number" ? epoch : typeof epoch === "string" ? Number(epoch) : Number.NaN;
  if (id === undefined || from === undefined || to === undefined || key === undefined || operation === undefined) return undefined;
  if (!Number.isFinite(epochMillis)) return undefined;
  const value = o["value"];
  const n: AtNotification = { id, from, to, key, value: typeof value === "string" ? value : null, operation, epochMillis };
  const messageType = str(o["messageType"]);
  if (messageType !== undefined) n.messageType = messageType;
  if (typeof o["isEncrypted"] === "boolean") n.isEncrypted = o["isEncrypted"];
  const meta = o["metadata"];
  if (meta === null) n.metadata = null;
  else if (typeof meta === "object" && !Array.isArray(meta)) {
    const m: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (typeof v === "string" || v === null) m[k] = v;
      else if (typeof v === "number" || typeof v === "boolean") m[k] = String(v);
    }
    n.metadata = m;
  }
  return n;
}

/** Stats notifications (id -1) are synthesized each time, never stored or replayed. */
export function isStatsNotification(n: AtNotification): boolean {
  return n.id === "-1" || n.key.startsWith("statsNotification.");
}
