// The stored form of one atSign's keys (the AtKeys object as JSON), validated on the way in,
// so a damaged entry fails here with the field's name rather than later inside a PKAM login.
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { normalizeAtSign } from "../../protocol/atKey.js";
import { KeyStoreError, KeyStoreErrorCode } from "./KeyStore.js";

const REQUIRED = ["atSign", "pkamPublicKey", "encryptionPublicKey", "encryptionPrivateKey", "selfEncryptionKey"] as const;
const OPTIONAL = ["pkamPrivateKey", "apkamSymmetricKey", "enrollmentId"] as const;

/** Checks that `value` has the AtKeys shape and copies only the known fields. `where` names the entry in errors. */
export function toStoredAtKeys(
  value: unknown,
  where: string,
  reason: KeyStoreErrorCode = KeyStoreErrorCode.Corrupt,
): AtKeys {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new KeyStoreError(reason, `${where}: not a keys object.`);
  }
  const obj = value as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const field of REQUIRED) {
    const v = obj[field];
    if (typeof v !== "string" || v.length === 0) {
      throw new KeyStoreError(reason, `${where}: the field ${field} is missing.`);
    }
    out[field] = v;
  }
  for (const field of OPTIONAL) {
    const v = obj[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") {
      throw new KeyStoreError(reason, `${where}: the field ${field} is not text.`);
    }
    out[field] = v;
  }
  return out as unknown as AtKeys;
}

/** Parses one stored entry; the JSON parser's own message is dropped because it quotes the text. */
export function parseStoredAtKeys(text: string, where: string): AtKeys {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyStoreError(KeyStoreErrorCode.Corrupt, `${where}: not valid JSON.`);
  }
  return toStoredAtKeys(value, where);
}

/** Normalizes `atSign` and checks that the keys belong to it. */
export function checkKeysFor(atSign: string, keys: AtKeys): { atSign: string; keys: AtKeys } {
  const name = normalizeKeyStoreAtSign(atSign);
  const stored = toStoredAtKeys(keys, `The keys given for ${name}`, KeyStoreErrorCode.BadKeys);
  if (normalizeAtSign(stored.atSign) !== name) {
    throw new KeyStoreError(
      KeyStoreErrorCode.BadKeys,
      `The keys given for ${name} belong to ${normalizeAtSign(stored.atSign)}.`,
    );
  }
  return { atSign: name, keys: { ...stored, atSign: name } };
}

export function normalizeKeyStoreAtSign(atSign: string): string {
  const name = normalizeAtSign(atSign.trim());
  // "@" alone, or anything with whitespace or a second "@", cannot be an atSign.
  if (name.length < 2 || /[\s@:]/u.test(name.slice(1))) {
    throw new KeyStoreError(KeyStoreErrorCode.BadAtSign, `"${atSign}" is not an atSign.`);
  }
  return name;
}
