// The names of the keys that hold shared AES keys (atprotocol.md §3.1, §6.2).

/** `@bob` → `bob`: the form inside `shared_key.bob@alice`. */
function bare(atSign: string): string {
  return atSign.startsWith("@") ? atSign.slice(1) : atSign;
}

/** Our own copy, `shared_key.bob@alice`. */
export function myCopyKey(me: string, sharedWith: string): string {
  return `shared_key.${bare(sharedWith)}${me}`;
}

/** The recipient's copy, `@bob:shared_key@alice`. */
export function theirCopyKey(me: string, sharedWith: string): string {
  return `${sharedWith}:shared_key${me}`;
}

/** The copy of a key `owner` shares with us, cached on our atServer. */
export function cachedCopyFromKey(me: string, owner: string): string {
  return `cached:${me}:shared_key${owner}`;
}

/** This device's ring of every key it shared with the recipient under (SharedKeyRing); `private:` never syncs. */
export function ringKey(me: string, sharedWith: string): string {
  return `private:atsyncd_shared_keys.${bare(sharedWith)}${me}`;
}

/** The recipient of `shared_key.bob@alice` when it is our own copy (`@bob`), else undefined. */
export function recipientOfMyCopy(me: string, atKey: string): string | undefined {
  const k = atKey.toLowerCase();
  if (!k.startsWith("shared_key.") || !k.endsWith(me)) return undefined;
  const body = k.slice("shared_key.".length, k.length - me.length);
  return body.length > 0 && !body.includes("@") && !body.includes(":") ? `@${body}` : undefined;
}
