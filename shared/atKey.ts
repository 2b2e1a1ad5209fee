// Pure atSign / atKey shape checks for the RPC edge (atprotocol.md §3.1). The worker
// applies the server's exact rules; these catch garbage early with a clear code.
// Every pattern has the `u` flag: demo atSigns contain an emoji (`@alice🛠`).

/** `@` then no `:`, `@`, whitespace or path separator (an atSign names its store file). */
export const ATSIGN_PATTERN = /^@[^:@\s/\\]+$/u;

/**
 * `[cached:][public:|@other:]entity@owner`. `privatekey:` and `local:` keys never sync
 * and are not reachable through the RPC.
 */
export const ATKEY_PATTERN = /^(?:cached:)?(?:public:|@[^:@\s]+:)?[^:@\s]+@[^:@\s]+$/u;

/** The server refuses longer keys (248, or 255 with `cached:`); counted in UTF-16 units as Dart does. */
export const MAX_ATKEY_LENGTH = 255;

export interface AtKeyParts {
  cached: boolean;
  /** "public", "self", or the atSign the key is shared with. */
  scope: "public" | "self" | string;
  entity: string;
  owner: string;
}

export function parseAtKey(key: string): AtKeyParts | undefined {
  if (!ATKEY_PATTERN.test(key)) return undefined;
  let rest = key;
  const cached = rest.startsWith("cached:");
  if (cached) rest = rest.slice("cached:".length);
  let scope = "self";
  if (rest.startsWith("public:")) {
    scope = "public";
    rest = rest.slice("public:".length);
  } else if (rest.startsWith("@")) {
    const colon = rest.indexOf(":");
    scope = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const at = rest.lastIndexOf("@");
  return { cached, scope, entity: rest.slice(0, at), owner: rest.slice(at) };
}

/** The namespace: the `\w+` text after the entity's last `.`, if any. */
export function keyNamespace(key: string): string | undefined {
  const parts = parseAtKey(key);
  if (!parts) return undefined;
  const dot = parts.entity.lastIndexOf(".");
  if (dot < 0) return undefined;
  const ns = parts.entity.slice(dot + 1);
  return /^\w+$/u.test(ns) ? ns : undefined;
}

/** The atSign that owns a key (`@alice` for `@bob:phone.wavi@alice`). */
export function keyOwner(key: string): string | undefined {
  return parseAtKey(key)?.owner;
}
