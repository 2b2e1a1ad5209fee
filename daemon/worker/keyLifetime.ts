// TTB and TTL on this device (atprotocol.md §3.2, §5.5): a key is served only while it is live,
// as the atServer serves it (`isActive`: available after availableAt, gone after expiresAt).
// Pulled keys carry the server's times; a local put gets them here, as the SDK's
// AtMetadataBuilder sets them; a stored key without them counts from its local write time.
import { formatDartDate, parseDartDate, type AtMetadata } from "../../protocol/metadata.js";

/** The latest time a JS Date (and a Dart DateTime) can hold. */
const MAX_DATE_MS = 8.64e15;

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

function dateOf(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  try {
    return parseDartDate(s);
  } catch {
    return undefined;
  }
}

function dartDate(ms: number): string | undefined {
  return Number.isFinite(ms) && ms <= MAX_DATE_MS ? formatDartDate(ms) : undefined;
}

/**
 * The metadata of a local put made at `nowMs`: availableAt = now + ttb, expiresAt =
 * now + ttl + ttb (a ttl or ttb of 0 means none). Any times the metadata held are replaced.
 */
export function withLifetime(meta: Partial<AtMetadata>, nowMs: number): Partial<AtMetadata> {
  const out: Partial<AtMetadata> = { ...meta };
  delete out.availableAt;
  delete out.expiresAt;
  const ttb = positive(meta.ttb);
  const ttl = positive(meta.ttl);
  const availableAt = ttb === undefined ? undefined : dartDate(nowMs + ttb);
  const expiresAt = ttl === undefined ? undefined : dartDate(nowMs + ttl + (ttb ?? 0));
  if (availableAt !== undefined) out.availableAt = availableAt;
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  return out;
}

/**
 * Whether a stored key is live at `nowMs`. Only a ttb (ttl) above 0 restricts it: the server
 * writes availableAt on every update, ttb 0 included, and a clock a little behind the server's
 * must not hide a key that was never meant to wait. The metadata's time is used when present
 * (the server's, for a pulled key), else the local write time plus ttb (plus ttl).
 */
export function isLive(rec: { metadata: Partial<AtMetadata>; updatedAtMs: number }, nowMs: number): boolean {
  const m = rec.metadata;
  const ttb = positive(m.ttb);
  const ttl = positive(m.ttl);
  if (ttb !== undefined) {
    const availableAt = dateOf(m.availableAt) ?? rec.updatedAtMs + ttb;
    if (nowMs < availableAt) return false;
  }
  if (ttl !== undefined) {
    const expiresAt = dateOf(m.expiresAt) ?? rec.updatedAtMs + ttl + (ttb ?? 0);
    if (nowMs > expiresAt) return false;
  }
  return true;
}
