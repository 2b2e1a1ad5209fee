// The forms of an atKey (atprotocol.md §3.1) and the rules that depend on them.
import { AtProtocolError } from "./errors.js";

export type AtKeyKind = "public" | "self" | "shared" | "cached" | "private" | "privatekey" | "local";

export interface ParsedAtKey {
  raw: string;
  kind: AtKeyKind;
  /** "@alice"; empty only for owner-less `privatekey:` keys such as `privatekey:at_pkam_publickey`. */
  owner: string;
  sharedWith?: string;
  entity: string;
  namespace?: string;
  hidden: boolean;
  cached: boolean;
}

/** Server limits on a key's length (UTF-16 units, as Dart counts). */
export const MAX_KEY_LENGTH = 248;
export const MAX_CACHED_KEY_LENGTH = 255;

const ATSIGN_BODY = "[^:@\\s]+";
const ENTITY = "[^:@\\s]+";
// [scope:]entity[@owner], where scope is public, @someone, privatekey, private or local.
const KEY = new RegExp(
  `^(?:(?<scope>public|privatekey|private|local|@${ATSIGN_BODY}):)?(?<entity>${ENTITY})(?:@(?<owner>${ATSIGN_BODY}))?$`,
  "u",
);
const NAMESPACE = /\.(\w+)$/u;

/** Adds the leading `@` and lowercases: `Alice` → `@alice`. */
export function normalizeAtSign(s: string): string {
  const t = s.trim().toLowerCase();
  return t.startsWith("@") ? t : `@${t}`;
}

function invalid(key: string, why: string): AtProtocolError {
  return new AtProtocolError("AT0016", `invalid atKey (${why}): ${key.slice(0, 300)}`);
}

/** Parses any key form of §3.1; throws AtProtocolError AT0016 when it is none of them. */
export function parseAtKey(key: string): ParsedAtKey {
  let rest = key.trim().toLowerCase();
  let cached = false;
  if (rest.startsWith("cached:")) {
    cached = true;
    rest = rest.slice("cached:".length);
  }
  const m = KEY.exec(rest);
  const g = m?.groups;
  if (!g || g["entity"] === undefined) throw invalid(key, "unrecognised form");
  const scope = g["scope"];
  const entity = g["entity"];
  const ownerBody = g["owner"];
  if (ownerBody === undefined && scope !== "privatekey") throw invalid(key, "no owner atSign");
  const owner = ownerBody === undefined ? "" : `@${ownerBody}`;

  let kind: AtKeyKind;
  let sharedWith: string | undefined;
  if (scope === undefined) kind = "self";
  else if (scope.startsWith("@")) {
    kind = "shared";
    sharedWith = scope;
  } else kind = scope as AtKeyKind;

  if (cached) {
    if (kind !== "shared" && kind !== "public") throw invalid(key, "cached keys are shared or public");
    kind = "cached";
  }
  const ns = NAMESPACE.exec(entity)?.[1];
  const parsed: ParsedAtKey = { raw: key, kind, owner, entity, hidden: entity.startsWith("_"), cached };
  if (sharedWith !== undefined) parsed.sharedWith = sharedWith;
  if (ns !== undefined) parsed.namespace = ns;
  return parsed;
}

/**
 * Whether the server's commit log records this key (at_commit_log.dart `commit`):
 * `private:`, `privatekey:`, `local:` and `public:_x` (one underscore) are never
 * committed, so they never sync; `public:__x` is.
 */
export function isCommittedKey(key: string): boolean {
  const k = key.trim().toLowerCase();
  if (k.startsWith("private:") || k.startsWith("privatekey:") || k.startsWith("local:")) return false;
  if (k.startsWith("public:_") && !k.startsWith("public:__")) return false;
  return true;
}

// at_commons reservedKey with the `shared_key` body: [@bob:|public:|privatekey:]shared_key[@alice]
const RESERVED_SHARED_KEY = /^(?:(?:@[^:@\s]+|public|privatekey):)?shared_key(?:@[^:@\s]+)?$/u;

/**
 * Keys `sync:from` and `stats:3` include whatever the regex (`_alwaysIncludeInSync`):
 * reserved shared_key keys, `public:publickey…`, and public keys without a `.`.
 */
export function isAlwaysIncludedInSync(key: string): boolean {
  const k = key.trim().toLowerCase();
  if (RESERVED_SHARED_KEY.test(k)) return true;
  if (k.startsWith("public:publickey")) return true;
  return k.startsWith("public:") && !k.includes(".");
}
