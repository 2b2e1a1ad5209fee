// Scrubs secrets out of log records before they are formatted (house-style §22).
// Two nets: fields whose *name* says secret are replaced whole; inside every string,
// PEM blocks and long base64/hex runs (keys, signatures, ciphertexts, cram digests) are cut.

export const REDACTED = "[redacted]";

/** Field names (compared lowercased, without `_`/`-`) whose values are always dropped. */
const SECRET_NAMES = new Set([
  "value", "atkeys", "keys", "privatekey", "pkamprivatekey", "encryptionprivatekey",
  "selfencryptionkey", "apkamsymmetrickey", "symmetrickey", "aeskey", "sharedkey",
  "signature", "pkamsignature", "secret", "cramsecret", "password", "passphrase",
  "token", "authorization", "plaintext", "decrypted", "ciphertext", "workerdata",
]);
const SECRET_SUFFIXES = ["privatekey", "secret", "password", "token", "signature", "symmetrickey", "encryptionkey"];

export function isSecretFieldName(name: string): boolean {
  const n = name.toLowerCase().replace(/[_-]/g, "");
  return SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

export interface RedactOptions {
  /** Base64/hex runs at least this long are cut (default 48: shorter than any key or signature we handle). */
  minBlobLength?: number;
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(?:-----END [A-Z0-9 ]+-----|$)/g;

export function redactText(s: string, opts: RedactOptions = {}): string {
  const min = opts.minBlobLength ?? 48;
  // Standard and URL-safe alphabets; hex is a subset. Padding is swallowed with the run.
  const blob = new RegExp(`[A-Za-z0-9+/_-]{${min},}={0,2}`, "g");
  return s
    .replace(PEM, "[redacted PEM]")
    .replace(blob, (m) => (looksRandom(m) ? `[redacted ${m.length} chars]` : m));
}

// Random bytes in base64 nearly always mix digits and both cases; hex digests are all hex.
// Paths and words (lowercase, few digits) stay readable.
function looksRandom(run: string): boolean {
  return /^[0-9a-fA-F]+$/.test(run) || (/[0-9]/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run));
}

function redactError(err: Error, opts: RedactOptions, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: redactText(err.message, opts) };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (err.stack !== undefined) out.stack = redactText(err.stack, opts);
  if (err.cause !== undefined) out.cause = redactValue(err.cause, opts, depth + 1, seen);
  return out;
}

const MAX_DEPTH = 6;

/** Returns a JSON-safe copy of `v` with secrets removed. Never throws. */
export function redactValue(v: unknown, opts: RedactOptions = {}, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof v === "string") return redactText(v, opts);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "function" || typeof v === "symbol") return undefined;
  if (typeof v !== "object" || v === null) return v;
  if (seen.has(v)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[too deep]";
  seen.add(v);
  try {
    if (v instanceof Error) return redactError(v, opts, depth, seen);
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map((x) => redactValue(x, opts, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = isSecretFieldName(k) ? REDACTED : redactValue(x, opts, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(v);
  }
}

/** Redacts the top-level fields of a record (a log entry's fields), keeping names. */
export function redactFields(fields: Record<string, unknown>, opts: RedactOptions = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(fields)) {
    if (x === undefined) continue;
    out[k] = isSecretFieldName(k) ? REDACTED : redactValue(x, opts);
  }
  return out;
}
