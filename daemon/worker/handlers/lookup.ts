// keys.lookup: another atSign's key, asked of its atServer through ours (atprotocol.md §4:
// `plookup:all:` for a public key, `lookup:all:` for one shared with us), checked (a public
// value's dataSignature), decrypted, and cached here as `cached:<key>` when its ttr allows. A
// fresh cached copy answers without the network; while the atServer cannot be asked, any copy
// answers, with its age and whether it is past its time to refresh. Nothing is cached from a
// lookup that failed or did not verify. The copy follows the real server's cache
// (cache_manager.dart): its ttr counts from when it was fetched, and the owner's atServer saying
// the key is gone (or no longer cacheable, for a public one) drops it.
import { parseAtKey, type ParsedAtKey } from "../../../protocol/atKey.js";
import { AtProtocolError } from "../../../protocol/errors.js";
import { formatDartDate, metadataFromWire, type AtMetadata } from "../../../protocol/metadata.js";
import { AtsyncError, ErrorCode, InternalCode, UnreachableAtCodes } from "../../../shared/errors.js";
import { KeysLookup } from "../../../shared/methods.js";
import type { KeysLookupResult } from "../../../shared/types.js";
import type { KeyRecord } from "../../core/types.js";
import { isLive } from "../keyLifetime.js";
import type { WorkerContext } from "../WorkerContext.js";
import { toKeyMetadata } from "./keys.js";

const LOOKUP_TIMEOUT_MS = 15_000;

interface Target {
  /** The key as apps name it: `public:name.wavi@bob`, `@alice:k.wavi@bob`. */
  key: string;
  owner: string;
  /** Its local copy: `cached:<key>`. */
  copy: string;
  command: string;
  isPublic: boolean;
}

function parsed(key: string): ParsedAtKey {
  try {
    return parseAtKey(key);
  } catch {
    throw new AtsyncError(ErrorCode.InvalidAtKey, `${key} is not an atKey`, { key });
  }
}

function targetOf(me: string, key: string, bypassCache: boolean): Target {
  const k = parsed(key);
  if (k.cached) throw new AtsyncError(ErrorCode.InvalidAtKey, `${key} is a cached copy: look up the key itself (${key.slice("cached:".length)})`, { key });
  if (k.owner === me) throw new AtsyncError(ErrorCode.InvalidParams, `${key} is ${me}'s own key: read it with keys.get`, { key });
  const bypass = bypassCache ? "bypassCache:true:" : "";
  const body = `${k.entity}${k.owner}`;
  if (k.kind === "public") {
    return { key: `public:${body}`, owner: k.owner, copy: `cached:public:${body}`, command: `plookup:${bypass}all:${body}`, isPublic: true };
  }
  if (k.kind === "self" || (k.kind === "shared" && k.sharedWith === me)) {
    return { key: `${me}:${body}`, owner: k.owner, copy: `cached:${me}:${body}`, command: `lookup:${bypass}all:${body}`, isPublic: false };
  }
  throw new AtsyncError(ErrorCode.InvalidParams, `${key} is shared with ${String(k.sharedWith)}, not with ${me}: only its recipient can look it up`, { key });
}

/**
 * Whether a copy is past its time to refresh: ttr seconds after this device made it. Not the
 * owner's refreshAt, which counts from the owner's write: a key older than its ttr would be
 * stale the moment it was fetched. The real server stamps its cached copy's refreshAt from its
 * own clock when it stores it (AtMetadataBuilder setTTR), as copyMetadata does here.
 */
function isStale(rec: KeyRecord, now: number): boolean {
  const ttr = rec.metadata.ttr;
  if (ttr === -1) return false;
  return ttr === undefined || ttr <= 0 || now >= rec.updatedAtMs + ttr * 1000;
}

/** The ttr rules of caching (AtMetadataUtil.validateTTR): -1 forever, > 0 that long, else not at all. */
function cacheable(meta: AtMetadata): boolean {
  return meta.ttr !== undefined && (meta.ttr === -1 || meta.ttr > 0);
}

/** The metadata of the copy made at `now`: the owner's, with refreshAt counted from now (none for ttr -1). */
function copyMetadata(meta: AtMetadata, now: number): AtMetadata {
  const copy: AtMetadata = { ...meta };
  delete copy.refreshAt;
  if (meta.ttr !== undefined && meta.ttr > 0) copy.refreshAt = formatDartDate(now + meta.ttr * 1000);
  return copy;
}

/**
 * Drops the copy of a key its owner's atServer no longer gives (cache_manager.dart remoteLookUp,
 * maintainCache): gone or not live (KeyNotFound, data:null), or, for a public key, now without a
 * ttr. Never the copy of an atSign's encryption public key, which the server keeps for good. The
 * delete of a cached: key goes to our atServer too (the SDK pushes those), whose own copy the
 * real server's lookup would have dropped the same way.
 */
function dropCopy(ctx: WorkerContext, t: Target): void {
  if (t.copy.startsWith("cached:public:publickey@")) return;
  if (ctx.store.get(t.copy) !== undefined) ctx.driver.local.delete(t.copy);
}

/**
 * The plaintext of a value of `t`: a public one checked against its signature, a shared one
 * decrypted. `offline`: a copy (served from the cache, or while the atServer cannot be asked),
 * whose owner's public key may not be reachable; it was checked when this device fetched it (or
 * came from our own atServer), so only a signature that does not verify refuses it then.
 */
async function plaintextOf(ctx: WorkerContext, t: Target, value: string, meta: AtMetadata, offline = false): Promise<string> {
  if (!t.isPublic) return ctx.cipher.decryptForGet(t.key, value, { ...meta, isEncrypted: meta.isEncrypted ?? true });
  const plain = meta.encoding === "base64" ? Buffer.from(value, "base64").toString("utf8") : value;
  try {
    await ctx.cipher.verifyPublic(t.key, plain, meta.dataSignature);
  } catch (err) {
    if (!offline || AtsyncError.is(err)) throw err;
  }
  return plain;
}

async function fromCopy(ctx: WorkerContext, t: Target, rec: KeyRecord, now: number, offline = false): Promise<KeysLookupResult> {
  const value = await plaintextOf(ctx, t, rec.value, rec.metadata, offline);
  return { key: t.key, value, metadata: toKeyMetadata(rec.metadata), source: "cache", ageMs: Math.max(0, now - rec.updatedAtMs), stale: isStale(rec, now) };
}

function unreachable(err: unknown): boolean {
  if (err instanceof AtProtocolError) return UnreachableAtCodes.has(err.code) && err.code !== "AT0007";
  return (err as { code?: unknown } | null)?.code === InternalCode.REMOTE_UNAVAILABLE;
}

/** What the owner's atServer says, as {value, metadata}; the errors of a failed lookup, each with its code. */
async function ask(ctx: WorkerContext, t: Target): Promise<{ value: string; meta: AtMetadata }> {
  let reply: string;
  try {
    reply = await ctx.lookups.request(t.command, { timeoutMs: LOOKUP_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof AtProtocolError && err.code === "AT0015") {
      throw new AtsyncError(ErrorCode.KeyNotFound, `${t.owner} has no key ${t.key}${t.isPublic ? "" : ` shared with ${ctx.atSign}`}`, { key: t.key });
    }
    if (err instanceof AtProtocolError && err.code === "AT0007") {
      throw new AtsyncError(ErrorCode.AtSignNotFound, `${t.owner} is not an atSign the root directory knows`, { atSign: t.owner });
    }
    throw err;
  }
  // data:null: the key exists but is not live (before its ttb, after its ttl).
  if (reply === "null" || reply === "") throw new AtsyncError(ErrorCode.KeyNotFound, `${t.key} is not available now (before its ttb or after its ttl)`, { key: t.key });
  let obj: { data?: unknown; metaData?: unknown };
  try {
    obj = JSON.parse(reply) as typeof obj;
  } catch {
    throw new AtsyncError(ErrorCode.RemoteUnavailable, `the atServer's answer to a lookup of ${t.key} is not JSON`);
  }
  if (typeof obj.data !== "string") throw new AtsyncError(ErrorCode.KeyNotFound, `${t.owner} has no value for ${t.key}`, { key: t.key });
  const meta = typeof obj.metaData === "object" && obj.metaData !== null ? metadataFromWire(obj.metaData as Record<string, unknown>) : {};
  return { value: obj.data, meta };
}

export async function keysLookup(ctx: WorkerContext, raw: unknown): Promise<KeysLookupResult> {
  const p = KeysLookup.validate(raw, "");
  const bypass = p.bypassCache === true;
  const t = targetOf(ctx.atSign, p.key, bypass);
  const now = ctx.clock.now();
  const stored = ctx.store.get(t.copy);
  const copy = stored !== undefined && isLive(stored, now) ? stored : undefined;
  // A copy within its ttr was checked when it was made: its owner's public key being out of
  // reach now (offline) does not refuse it; a signature that does not verify still does.
  if (copy !== undefined && !bypass && !isStale(copy, now)) return fromCopy(ctx, t, copy, now, true);
  let answer: { value: string; meta: AtMetadata };
  try {
    answer = await ask(ctx, t);
  } catch (err) {
    if (AtsyncError.is(err, ErrorCode.KeyNotFound)) dropCopy(ctx, t);
    if (!unreachable(err)) throw err;
    if (copy !== undefined) return fromCopy(ctx, t, copy, now, true);
    throw new AtsyncError(ErrorCode.RemoteUnavailable, `${t.key}: the atServer cannot be asked now, and this device has no copy of it`, { key: t.key });
  }
  // Checked and decrypted before anything is kept: a value that fails either is never cached.
  const value = await plaintextOf(ctx, t, answer.value, answer.meta);
  if (cacheable(answer.meta)) ctx.driver.local.put(t.copy, answer.value, copyMetadata(answer.meta, now));
  else if (t.isPublic) dropCopy(ctx, t);
  return { key: t.key, value, metadata: toKeyMetadata(answer.meta), source: "atServer", ageMs: 0, stale: false };
}
