// Metadata as the server keeps it (P:model/at_meta_data.dart), with dates as epoch ms, and
// its two wire shapes: native JSON for llookup and notifications, all-strings for sync:from.
import { formatDartDate, type AtMetadata } from "../../protocol/metadata.js";

/** The fields kept as epoch ms here and written as Dart date strings on the wire. */
const DATE_FIELD_NAMES = ["createdAt", "updatedAt", "availableAt", "expiresAt", "refreshAt"] as const;
type DateField = (typeof DATE_FIELD_NAMES)[number];

/** The protocol's metadata (protocol/metadata.ts), with its dates as epoch ms. */
export interface StoredMeta extends Omit<AtMetadata, DateField>, Partial<Record<DateField, number>> {}

const DATE_FIELDS: ReadonlySet<string> = new Set(DATE_FIELD_NAMES);

/** The order of AtMetaData.toJson, which is the order clients see. */
const JSON_ORDER = [
  "createdBy", "updatedBy", "createdAt", "updatedAt", "availableAt", "expiresAt", "refreshAt",
  "status", "version", "ttl", "ttb", "ttr", "ccd", "isBinary", "isEncrypted", "dataSignature",
  "sharedKeyEnc", "pubKeyCS", "encoding", "encKeyName", "encAlgo", "ivNonce", "skeEncKeyName", "skeEncAlgo",
] as const satisfies readonly (keyof StoredMeta)[];

/** llookup:meta / llookup:all: null fields left out, numbers and booleans native, dates as Dart strings. */
export function metaToJson(meta: StoredMeta): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const f of JSON_ORDER) {
    const v = meta[f];
    if (v === undefined) continue;
    out[f] = DATE_FIELDS.has(f) ? formatDartDate(v as number) : v;
  }
  return out;
}

/** sync:from: the same fields, every value a string. */
export function metaToStrings(meta: StoredMeta): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of JSON_ORDER) {
    const v = meta[f];
    if (v === undefined) continue;
    out[f] = DATE_FIELDS.has(f) ? formatDartDate(v as number) : String(v);
  }
  return out;
}

export function parseStoredMeta(text: string): StoredMeta {
  return JSON.parse(text) as StoredMeta;
}

/** Whether the key can be read now: after its ttb and before its ttl (§4 llookup). */
export function isActive(meta: StoredMeta, now: number): boolean {
  if (meta.availableAt !== undefined && meta.availableAt > now) return false;
  if (meta.expiresAt !== undefined && meta.expiresAt < now) return false;
  return true;
}
