// The `keys.list` cursor: opaque to apps, it holds the last key a page examined and a digest of
// the query it belongs to, so a cursor given with another regex, namespace or showHidden is refused
// instead of quietly listing from the middle of another listing.
import { createHash } from "node:crypto";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";

export interface ListQuery {
  regex?: string;
  namespace?: string;
  showHidden?: boolean;
}

const VERSION = 1;

function digest(q: ListQuery): string {
  const text = JSON.stringify([q.regex ?? null, q.namespace?.toLowerCase() ?? null, q.showHidden === true]);
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}

function bad(message: string): AtsyncError {
  return new AtsyncError(ErrorCode.InvalidParams, `invalid params: 'cursor' ${message}`, { path: "cursor" });
}

export function encodeCursor(after: string, q: ListQuery): string {
  return Buffer.from(JSON.stringify({ v: VERSION, a: after, q: digest(q) })).toString("base64url");
}

/** The key the next page starts after; InvalidParams for a cursor keys.list did not make, or made for another query. */
export function decodeCursor(cursor: string, q: ListQuery): string {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw bad("is not a cursor keys.list returned");
  }
  const c = v as { v?: unknown; a?: unknown; q?: unknown } | null;
  if (typeof c !== "object" || c === null || c.v !== VERSION || typeof c.a !== "string" || typeof c.q !== "string") {
    throw bad("is not a cursor keys.list returned");
  }
  if (c.q !== digest(q)) throw bad("belongs to a listing with another regex, namespace or showHidden: give the same ones on every page");
  return c.a;
}
