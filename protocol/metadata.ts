// atKey metadata: the wire fragment of update commands and the shapes servers return
// (atprotocol.md §3.2).
import type { KeyMetadata } from "../shared/types.js";
import { AtProtocolError } from "./errors.js";

/** Metadata as the protocol carries it: what apps see (shared/ `KeyMetadata`) plus the fields
 * only atServers and the sync engine handle. */
export interface AtMetadata extends KeyMetadata {
  sharedKeyStatus?: string;
}

export type FragmentField =
  | "ttl" | "ttb" | "ttr" | "ccd" | "dataSignature" | "sharedKeyStatus" | "isBinary" | "isEncrypted"
  | "sharedKeyEnc" | "pubKeyCS" | "encoding" | "encKeyName" | "encAlgo" | "ivNonce" | "skeEncKeyName"
  | "skeEncAlgo";

/** The order the server's update regex demands (at_commons `metadataFragment`). */
export const FRAGMENT_FIELDS: readonly FragmentField[] = Object.freeze([
  "ttl", "ttb", "ttr", "ccd", "dataSignature", "sharedKeyStatus", "isBinary", "isEncrypted",
  "sharedKeyEnc", "pubKeyCS", "encoding", "encKeyName", "encAlgo", "ivNonce", "skeEncKeyName",
  "skeEncAlgo",
] as const);

const NUMBER_FIELDS = ["ttl", "ttb", "ttr", "version"] as const;
const BOOLEAN_FIELDS = ["ccd", "isBinary", "isEncrypted"] as const;
const STRING_FIELDS = [
  "dataSignature", "sharedKeyStatus", "sharedKeyEnc", "pubKeyCS", "encoding", "encKeyName", "encAlgo",
  "ivNonce", "skeEncKeyName", "skeEncAlgo", "createdBy", "updatedBy", "createdAt", "updatedAt",
  "availableAt", "expiresAt", "refreshAt", "status",
] as const;

const FRAGMENT_VALUE = /^[^:@\s]+$/u;

/**
 * `:ttl:1000:isEncrypted:true`: the defined fields in wire order. Throws AT0022 for a
 * value the server's regex would refuse (`:`, `@` or whitespace inside).
 */
export function metadataFragment(meta: Partial<AtMetadata>): string {
  let out = "";
  for (const field of FRAGMENT_FIELDS) {
    const v = meta[field];
    if (v === undefined) continue;
    if (typeof v === "number" && !Number.isInteger(v)) {
      throw new AtProtocolError("AT0022", `metadata ${field} must be an integer`);
    }
    const text = String(v);
    if (!FRAGMENT_VALUE.test(text)) throw new AtProtocolError("AT0022", `metadata ${field} has a character the wire forbids`);
    out += `:${field}:${text}`;
  }
  return out;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^-?\d+$/u.test(v.trim())) return Number.parseInt(v, 10);
  return undefined;
}

function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

/**
 * Metadata as `sync:from` (every value a string) or `llookup:meta` (native types)
 * return it. Nulls, the string "null" and values of the wrong type are left out, so
 * one odd field never loses the entry that carries it.
 */
export function metadataFromWire(obj: Record<string, unknown>): AtMetadata {
  const meta: AtMetadata = {};
  for (const f of NUMBER_FIELDS) {
    const n = toNumber(obj[f]);
    if (n !== undefined) meta[f] = n;
  }
  for (const f of BOOLEAN_FIELDS) {
    const b = toBoolean(obj[f]);
    if (b !== undefined) meta[f] = b;
  }
  for (const f of STRING_FIELDS) {
    const v = obj[f];
    if (typeof v === "string" && v !== "null") meta[f] = v;
  }
  return meta;
}

/** Dart `DateTime.toString()` of a UTC time: `2026-11-22 10:47:49.209Z`. */
export function formatDartDate(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new AtProtocolError("AT0022", "invalid date");
  const iso = d.toISOString();
  // Years outside 0..9999 come out of toISOString as ±YYYYYY; Dart does the same shape.
  return iso.replace("T", " ");
}

const DART_DATE = /^([+-]?\d{4,6})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/u;

/** The digits of `s` from `at` to `at + n` as a number, or -1 if any is not a digit. */
function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * `2026-11-22 10:47:49.209Z`, the form every atServer writes, read without the regex (a pull
 * reads one per entry); anything else is -1 and goes the general way.
 */
function canonicalDartDate(s: string): number {
  if (s.length !== 24 || s.charCodeAt(23) !== 0x5a /* Z */ || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return -1;
  const sep = s.charCodeAt(10);
  if ((sep !== 0x20 && sep !== 0x54) || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a || s.charCodeAt(19) !== 0x2e) return -1;
  const y = digitsAt(s, 0, 4);
  const mo = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  const sec = digitsAt(s, 17, 2);
  const ms = digitsAt(s, 20, 3);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || ms < 0) return -1;
  const t = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  return Number.isNaN(t) ? -1 : t;
}

/** Milliseconds since the epoch of a Dart date string (microseconds are dropped). */
export function parseDartDate(s: string): number {
  const fast = canonicalDartDate(s);
  if (fast !== -1) return fast;
  const m = DART_DATE.exec(s.trim());
  if (!m) throw new AtProtocolError("AT0022", "invalid date");
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const ms = frac ? Number.parseInt(frac.padEnd(3, "0").slice(0, 3), 10) : 0;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  if (zone && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  if (Number.isNaN(t)) throw new AtProtocolError("AT0022", "invalid date");
  return t;
}
