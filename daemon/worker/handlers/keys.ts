// keys.*: values are decrypted only here, on get, and encrypted here on put; a put is
// answered once its transaction has committed (durable), before any push. A key is served only
// while live by its ttb and ttl (keyLifetime.ts): before or after, it answers as a missing key.
import { parseAtKey } from "../../../protocol/atKey.js";
import type { AtMetadata } from "../../../protocol/metadata.js";
import { AtsyncError, ErrorCode } from "../../../shared/errors.js";
import { KeysDelete, KeysGet, KeysGetMeta, KeysList, KeysPut, KeysPutMany } from "../../../shared/methods.js";
import type { KeyMetadata, KeysGetMetaResult, KeysGetResult, KeysListResult, KeysPutManyResult, KeysPutResult, PutMetadata } from "../../../shared/types.js";
import { DEFAULT_LIST_LIMIT } from "../../../shared/protocol.js";
import { MAX_COMMAND_BYTES } from "../../remote/TlsRemote.js";
import type { KeyRecord } from "../../core/types.js";
import type { LocalWrite } from "../../ports.js";
import { isLive, withLifetime } from "../keyLifetime.js";
import { decodeCursor, encodeCursor } from "../listCursor.js";
import { cipherTag } from "../PlaintextCache.js";
import type { WorkerContext } from "../WorkerContext.js";

function notFound(key: string): AtsyncError {
  return new AtsyncError(ErrorCode.KeyNotFound, `no such key: ${key}`, { key });
}

export function toKeyMetadata(m: Partial<AtMetadata>): KeyMetadata {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined && v !== null && k !== "sharedKeyStatus") out[k] = v;
  return out as KeyMetadata;
}

/** Room left in an `update` command for its verb, metadata fragment and the batch wrapper. */
const COMMAND_OVERHEAD_BYTES = 8192;

/**
 * Encryption and base64 grow a value by a third: a value the RPC accepted may no longer fit in
 * one atServer command. Refuse it now, while the app can hear it, rather than store a write that
 * could only ever be rejected at push.
 */
function checkFitsOneCommand(key: string, stored: string): void {
  const bytes = Buffer.byteLength(stored) + Buffer.byteLength(key) + COMMAND_OVERHEAD_BYTES;
  if (bytes > MAX_COMMAND_BYTES) {
    throw new AtsyncError(ErrorCode.ValueTooLarge,
      `${key}: the value is ${Buffer.byteLength(stored)} bytes as stored (encrypted, base64), and an atServer command holds at most ${MAX_COMMAND_BYTES} bytes`,
      { key, storedBytes: Buffer.byteLength(stored), maxCommandBytes: MAX_COMMAND_BYTES });
  }
}

function putMeta(m: PutMetadata | undefined): Partial<AtMetadata> {
  return m === undefined ? {} : { ...m };
}

/** The stored key if it is live now, else undefined (missing, not yet available, or expired). */
function liveRecord(ctx: WorkerContext, key: string): KeyRecord | undefined {
  const rec = ctx.store.get(key);
  return rec !== undefined && isLive(rec, ctx.clock.now()) ? rec : undefined;
}

/**
 * The name of the local copy of another atSign's key we may read: what it shares with us
 * (`@alice:k.wavi@bob`) and its public keys arrive as `cached:` keys (the atServer caches a key
 * shared with a ttr and commits it, notify_verb_handler.dart _storeCachedKeys; lookups cache
 * here). Undefined for our own keys and for cached names.
 */
export function cachedCopyOf(me: string, key: string): string | undefined {
  let parsed;
  try {
    parsed = parseAtKey(key);
  } catch {
    return undefined;
  }
  if (parsed.cached || parsed.owner === me) return undefined;
  if (parsed.kind === "public" || (parsed.kind === "shared" && parsed.sharedWith === me)) return `cached:${key.toLowerCase()}`;
  return undefined;
}

/** The live record an app's read of `key` finds: the key itself, else its cached copy. */
function readable(ctx: WorkerContext, key: string): KeyRecord | undefined {
  const rec = liveRecord(ctx, key);
  if (rec !== undefined) return rec;
  const copy = cachedCopyOf(ctx.atSign, key);
  return copy === undefined ? undefined : liveRecord(ctx, copy);
}

/** What a put stores: encrypted, and with availableAt/expiresAt from this worker's clock. */
async function encryptedPut(ctx: WorkerContext, key: string, value: string, metadata: PutMetadata | undefined): Promise<{ value: string; metadata: AtMetadata }> {
  const enc = await ctx.cipher.encryptForPut(key, value, putMeta(metadata));
  checkFitsOneCommand(key, enc.value);
  return { value: enc.value, metadata: withLifetime(enc.metadata, ctx.clock.now()) as AtMetadata };
}

/**
 * The result itself when the value is in the plaintext cache (the usual hot read: no promise), else
 * a promise of it once decrypted; a failure is always a rejected promise, as from an async function.
 */
export function keysGet(ctx: WorkerContext, raw: unknown): KeysGetResult | Promise<KeysGetResult> {
  try {
    return readValue(ctx, raw);
  } catch (err) {
    return Promise.reject(err);
  }
}

function readValue(ctx: WorkerContext, raw: unknown): KeysGetResult | Promise<KeysGetResult> {
  const p = KeysGet.validate(raw, "");
  const rec = readable(ctx, p.key);
  if (rec === undefined) throw notFound(p.key);
  const tag = ctx.plain !== undefined ? cipherTag(rec.metadata) : "";
  const cached = ctx.plain?.get(rec.atKey, rec.value, tag);
  if (cached !== undefined) return { key: rec.atKey, value: cached, metadata: toKeyMetadata(rec.metadata) };
  return ctx.cipher.decryptForGet(rec.atKey, rec.value, rec.metadata).then((value) => {
    // A value returned as stored may be one we cannot decrypt yet (its shared key not synced):
    // not kept, so it is tried again once the key is here.
    if (value !== rec.value) ctx.plain?.set(rec.atKey, rec.value, tag, value);
    return { key: rec.atKey, value, metadata: toKeyMetadata(rec.metadata) };
  });
}

export function keysGetMeta(ctx: WorkerContext, raw: unknown): KeysGetMetaResult {
  const p = KeysGetMeta.validate(raw, "");
  const rec = readable(ctx, p.key);
  if (rec === undefined) throw notFound(p.key);
  return { key: rec.atKey, metadata: toKeyMetadata(rec.metadata) };
}

export async function keysPut(ctx: WorkerContext, raw: unknown): Promise<KeysPutResult> {
  const p = KeysPut.validate(raw, "");
  const enc = await encryptedPut(ctx, p.key, p.value, p.metadata);
  const r = ctx.driver.local.put(p.key, enc.value, enc.metadata);
  ctx.status.schedule();
  return { key: r.atKey };
}

export function keysDelete(ctx: WorkerContext, raw: unknown): { key: string } {
  const p = KeysDelete.validate(raw, "");
  if (ctx.store.get(p.key) === undefined) throw notFound(p.key);
  const r = ctx.driver.local.delete(p.key);
  ctx.status.schedule();
  return { key: r.atKey };
}

/** Keys the atServer's `scan` hides unless asked (atprotocol.md §4 scan). */
function hidden(key: string): boolean {
  const k = key.startsWith("cached:") ? key.slice(7) : key;
  return k.startsWith("_") || k.startsWith("public:_") || k.startsWith("private:") || k.startsWith("privatekey:");
}

/**
 * One page: the store's page of keys after the cursor's, less hidden and not-live ones (so a page
 * may hold fewer than `limit`), and a cursor at the last key the store examined. Pages follow the
 * keys' order, each strictly after the last: no key is listed twice in one listing, and a key
 * present from the first page to the last is listed once; one written or deleted meanwhile is
 * listed if it was there when the listing passed its place.
 */
export function keysList(ctx: WorkerContext, raw: unknown): KeysListResult {
  const p = KeysList.validate(raw, "");
  const after = p.cursor === undefined ? "" : decodeCursor(p.cursor, p);
  const page = ctx.store.listKeyPage({
    ...(p.regex !== undefined ? { regex: p.regex } : {}),
    ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
  }, after, p.limit ?? DEFAULT_LIST_LIMIT);
  const now = ctx.clock.now();
  const keys = page.keys.filter((k) => (p.showHidden === true || !hidden(k.atKey)) && isLive({ metadata: k.lifetime ?? {}, updatedAtMs: k.updatedAtMs }, now)).map((k) => k.atKey);
  return { keys, nextCursor: page.next === null ? null : encodeCursor(page.next, p) };
}

/** Encrypts every item first (that may look up keys), then writes all of them in one transaction. */
export async function keysPutMany(ctx: WorkerContext, raw: unknown): Promise<KeysPutManyResult> {
  const p = KeysPutMany.validate(raw, "");
  const writes: LocalWrite[] = [];
  for (const item of p.items) {
    if (item.op === "delete") {
      writes.push({ atKey: item.key, delete: true });
    } else {
      writes.push({ atKey: item.key, ...(await encryptedPut(ctx, item.key, item.value, item.metadata)) });
    }
  }
  const results = ctx.driver.local.putMany(writes);
  ctx.status.schedule();
  return { keys: results.map((r) => r.atKey) };
}
