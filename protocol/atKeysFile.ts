// The .atKeys file (atprotocol.md §2.4): RSA keys AES-encrypted under the plain
// selfEncryptionKey with a zero IV. Errors name the field that failed, never its content.
import { createPublicKey } from "node:crypto";
import { normalizeAtSign } from "./atKey.js";
import { CodedError } from "./CodedError.js";
import { aesDecrypt, aesEncrypt, rsaPrivateKey, rsaPublicKey } from "./crypto.js";
import { protectAtKeys } from "./protectAtKeys.js";
import { rsaPrivateKeyIsConsistent } from "./rsaPkcs1.js";

export interface AtKeys {
  atSign: string;
  pkamPublicKey: string;
  pkamPrivateKey?: string;
  encryptionPublicKey: string;
  encryptionPrivateKey: string;
  selfEncryptionKey: string;
  apkamSymmetricKey?: string;
  enrollmentId?: string;
}

export type AtKeysErrorCode = "ATKEYS_INVALID_JSON" | "ATKEYS_MISSING_FIELD" | "ATKEYS_BAD_KEY" | "ATKEYS_NO_ATSIGN";

export class AtKeysError extends CodedError<AtKeysErrorCode> {}

type Fields = Record<string, unknown>;

function parseJson(text: string): Fields {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input, which holds key material.
    throw new AtKeysError("ATKEYS_INVALID_JSON", "the .atKeys file is not valid JSON");
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new AtKeysError("ATKEYS_INVALID_JSON", "the .atKeys file is not a JSON object");
  }
  return obj as Fields;
}

function optionalString(fields: Fields, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length === 0) throw new AtKeysError("ATKEYS_MISSING_FIELD", `field ${name} is not a non-empty string`);
  return v;
}

function requiredString(fields: Fields, name: string): string {
  const v = optionalString(fields, name);
  if (v === undefined) throw new AtKeysError("ATKEYS_MISSING_FIELD", `the .atKeys file has no ${name}`);
  return v;
}

function checkAesKey(b64: string, name: string): void {
  if (Buffer.from(b64, "base64").length !== 32) throw new AtKeysError("ATKEYS_BAD_KEY", `${name} is not a 32-byte base64 AES key`);
}

function decryptKey(fields: Fields, name: string, selfKey: string, kind: "public" | "private"): string {
  const ciphertext = requiredString(fields, name);
  let plain: string;
  try {
    plain = aesDecrypt(selfKey, ciphertext);
    if (kind === "public") rsaPublicKey(plain);
    else rsaPrivateKey(plain);
  } catch {
    throw new AtKeysError("ATKEYS_BAD_KEY", `${name} does not decrypt to an RSA ${kind} key (wrong selfEncryptionKey or corrupt file)`);
  }
  return plain;
}

function checkPair(publicKey: string, privateKey: string, name: string): void {
  const key = rsaPrivateKey(privateKey);
  if (!rsaPrivateKeyIsConsistent(key)) {
    throw new AtKeysError("ATKEYS_BAD_KEY", `the ${name} private key is damaged (its RSA parameters do not agree)`);
  }
  const derived = createPublicKey(key).export({ type: "spki", format: "der" });
  if (!derived.equals(rsaPublicKey(publicKey).export({ type: "spki", format: "der" }))) {
    throw new AtKeysError("ATKEYS_BAD_KEY", `the ${name} private key does not match its public key`);
  }
}

function findAtSign(fields: Fields): string {
  const name = Object.keys(fields).find((k) => k.startsWith("@") && k.length > 1);
  if (name === undefined) throw new AtKeysError("ATKEYS_NO_ATSIGN", "the .atKeys file names no atSign; give one");
  return normalizeAtSign(name);
}

/** Decodes and checks a .atKeys file; `atSign` defaults to the file's `"@…"` field. The result prints redacted (protectAtKeys). */
export function decodeAtKeysFile(text: string, atSign?: string): AtKeys {
  const fields = parseJson(text);
  const selfEncryptionKey = requiredString(fields, "selfEncryptionKey");
  checkAesKey(selfEncryptionKey, "selfEncryptionKey");
  const keys: AtKeys = {
    atSign: atSign !== undefined ? normalizeAtSign(atSign) : findAtSign(fields),
    pkamPublicKey: decryptKey(fields, "aesPkamPublicKey", selfEncryptionKey, "public"),
    encryptionPublicKey: decryptKey(fields, "aesEncryptPublicKey", selfEncryptionKey, "public"),
    encryptionPrivateKey: decryptKey(fields, "aesEncryptPrivateKey", selfEncryptionKey, "private"),
    selfEncryptionKey,
  };
  checkPair(keys.encryptionPublicKey, keys.encryptionPrivateKey, "encryption");
  // The PKAM private key is absent when it lives in a secure element.
  if (optionalString(fields, "aesPkamPrivateKey") !== undefined) {
    keys.pkamPrivateKey = decryptKey(fields, "aesPkamPrivateKey", selfEncryptionKey, "private");
    checkPair(keys.pkamPublicKey, keys.pkamPrivateKey, "PKAM");
  }
  const apkamSymmetricKey = optionalString(fields, "apkamSymmetricKey");
  if (apkamSymmetricKey !== undefined) {
    checkAesKey(apkamSymmetricKey, "apkamSymmetricKey");
    keys.apkamSymmetricKey = apkamSymmetricKey;
  }
  const enrollmentId = optionalString(fields, "enrollmentId");
  if (enrollmentId !== undefined) keys.enrollmentId = enrollmentId;
  return protectAtKeys(keys);
}

/** The .atKeys JSON, fields in the order the Dart onboarding writer uses. */
export function encodeAtKeysFile(keys: AtKeys): string {
  const se = keys.selfEncryptionKey;
  const out: Record<string, string> = { aesPkamPublicKey: aesEncrypt(se, keys.pkamPublicKey) };
  if (keys.pkamPrivateKey !== undefined) out["aesPkamPrivateKey"] = aesEncrypt(se, keys.pkamPrivateKey);
  out["aesEncryptPublicKey"] = aesEncrypt(se, keys.encryptionPublicKey);
  out["aesEncryptPrivateKey"] = aesEncrypt(se, keys.encryptionPrivateKey);
  out["selfEncryptionKey"] = se;
  out[normalizeAtSign(keys.atSign)] = se;
  if (keys.apkamSymmetricKey !== undefined) out["apkamSymmetricKey"] = keys.apkamSymmetricKey;
  if (keys.enrollmentId !== undefined) out["enrollmentId"] = keys.enrollmentId;
  return JSON.stringify(out);
}
