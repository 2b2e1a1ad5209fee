// The metadata an update or update:meta leaves behind: fields missing from the command keep
// their old values, the literal "null" unsets a string field (abstract_update_verb_handler.dart
// _unsetOrRetainMetadata), then AtMetadataBuilder derives the dates from "now". The exception is
// isBinary and isEncrypted: at_commons Metadata declares them `bool x = false`, so a command
// that leaves them out sets them to false, and the retain-from-existing merge never sees a null.
import type { StoredMeta } from "./StoredMeta.js";

/** The metadata fragment fields in wire order (§3.2), as named groups of the verb regexes. */
export const FRAGMENT_NAMES = [
  "ttl", "ttb", "ttr", "ccd", "dataSignature", "sharedKeyStatus", "isBinary", "isEncrypted",
  "sharedKeyEnc", "pubKeyCS", "encoding", "encKeyName", "encAlgo", "ivNonce", "skeEncKeyName", "skeEncAlgo",
] as const;
export type FragmentName = (typeof FRAGMENT_NAMES)[number];
export type FragmentValues = Partial<Record<FragmentName, string>>;

const NUMERIC: ReadonlySet<string> = new Set(["ttl", "ttb", "ttr"]);
const BOOLEAN: ReadonlySet<string> = new Set(["ccd", "isBinary", "isEncrypted"]);
/** Non-nullable in at_commons Metadata: absent from the command means false, not "keep". */
const RESET_WHEN_MISSING: ReadonlySet<string> = new Set(["isBinary", "isEncrypted"]);

/** The regex text of K:verb/syntax.dart metadataFragment. */
export const METADATA_FRAGMENT = FRAGMENT_NAMES.map((n) =>
  NUMERIC.has(n) ? `(:${n}:(?<${n}>-?\\d+))?` : BOOLEAN.has(n) ? `(:${n}:(?<${n}>true|false))?` : `(:${n}:(?<${n}>[^:@\\s]+))?`,
).join("");

export function fragmentFromGroups(groups: Record<string, string | undefined>): FragmentValues {
  const out: FragmentValues = {};
  for (const n of FRAGMENT_NAMES) {
    const v = groups[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

type Mutable = Record<string, string | number | boolean | undefined>;

/** Dates must stay representable (Dart DateTime and JS Date share the ±8.64e15 ms range). */
const MAX_DURATION_MS = 8_000_000_000_000_000;

/**
 * AtMetadataUtil.validateTTL/validateTTB and validateTTR: ttl and ttb are >= 0, ttr is -1 or
 * >= 1 (0 means none). Returns the message of the InvalidSyntaxException, or undefined.
 */
export function fragmentProblem(frag: FragmentValues): string | undefined {
  const n = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const ttl = n(frag.ttl);
  const ttb = n(frag.ttb);
  const ttr = n(frag.ttr);
  if (ttl !== undefined && (ttl < 0 || ttl > MAX_DURATION_MS)) return "Valid value for TTL should be greater than or equal to 0";
  if (ttb !== undefined && (ttb < 0 || ttb > MAX_DURATION_MS)) return "Valid value for TTB should be greater than or equal to 0";
  if (ttr !== undefined && (ttr <= -2 || ttr > MAX_DURATION_MS / 1000)) return "Valid values for TTR are -1 and greater than or equal to 1";
  return undefined;
}

export function buildMeta(atSign: string, existing: StoredMeta | undefined, frag: FragmentValues, now: number): StoredMeta {
  const merged: Mutable = {};
  for (const n of FRAGMENT_NAMES) {
    const given = frag[n];
    if (given === undefined) {
      merged[n] = RESET_WHEN_MISSING.has(n) ? false : existing?.[n];
    } else if (given === "null") {
      merged[n] = undefined;
    } else if (NUMERIC.has(n)) {
      merged[n] = Number.parseInt(given, 10);
    } else if (BOOLEAN.has(n)) {
      // The regexes match without case, and AtMetadataUtil.getBoolVerbParams compares
      // `arg.toLowerCase() == 'true'`: the Python SDK's `:ccd:True` is true.
      merged[n] = given.toLowerCase() === "true";
    } else {
      merged[n] = given;
    }
  }
  const meta: StoredMeta = {
    createdBy: existing?.createdBy ?? atSign,
    updatedBy: atSign,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    status: "active",
    version: existing?.version === undefined ? 0 : existing.version + 1,
  };
  const ttl = merged.ttl as number | undefined;
  const ttb = merged.ttb as number | undefined;
  const ttr = merged.ttr as number | undefined;
  if (ttl !== undefined && ttl >= 0) {
    meta.ttl = ttl;
    if (ttl !== 0) meta.expiresAt = now + ttl + (ttb ?? 0);
  }
  if (ttb !== undefined && ttb >= 0) {
    meta.ttb = ttb;
    meta.availableAt = now + ttb;
  }
  if (ttr !== undefined && (ttr > 0 || ttr === -1)) {
    meta.ttr = ttr;
    // AtMetadataBuilder adds ttr as seconds, not ms: kept as the real server does it.
    if (ttr !== -1) meta.refreshAt = now + ttr * 1000;
  }
  // validateCacheMetadata: a ttr without ccd means no cascade delete.
  if (merged["ttr"] !== undefined) merged["ccd"] ??= false;
  merged["isBinary"] ??= false;
  merged["isEncrypted"] ??= false;
  const rest = meta as Mutable;
  for (const n of FRAGMENT_NAMES) {
    if (n === "ttl" || n === "ttb" || n === "ttr") continue;
    if (merged[n] !== undefined) rest[n] = merged[n];
  }
  return meta;
}
