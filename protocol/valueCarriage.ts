// Which values the one-line `update` command carries exactly (shared by the cipher, which
// base64-encodes the others, and the daemon's write route, which refuses them).

/** What Dart's `String.trim()` removes (Unicode White_Space and the BOM): the atServer trims every command. */
const TRIMMED = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";

/**
 * A public value the one-line `update` carries exactly: no line terminator (the server's value
 * regex `.+` stops at \n, \r, U+2028 and U+2029, and so does `batch:`'s), no leading or trailing
 * white space (the command is trimmed) and no `~NL~` (the batch's escape of a newline, which
 * at_commons `VerbUtil.getFormattedValue` turns back into one).
 */
const NOT_CARRIED = new RegExp(`[\\n\\r\\u2028\\u2029]|^[${TRIMMED}]|[${TRIMMED}]$|~NL~`, "u");

export function carriedAsIs(value: string): boolean {
  return !NOT_CARRIED.test(value);
}

/** The value as the command carries it: as is, or base64 with encoding:base64 (as the SDK sends such values). */
export function carriedForm<M extends object>(value: string, metadata: M): { value: string; metadata: M & { encoding?: string } } {
  if (carriedAsIs(value)) return { value, metadata };
  return { value: Buffer.from(value, "utf8").toString("base64"), metadata: { ...metadata, encoding: "base64" } };
}
