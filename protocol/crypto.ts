// The atPlatform's crypto (atprotocol.md §2, §6): AES-256-CTR with PKCS#7 padding,
// RSA-2048 PKCS#1 v1.5 signatures and encryption. Keys are base64 DER strings exactly
// as in .atKeys files: PKCS#8 private keys, SPKI public keys, 32-byte AES keys.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { CryptoError } from "./cryptoError.js";
import { pkcs1v15Unpad, rsaPkcs1DecryptManual } from "./rsaPkcs1.js";

export { CryptoError } from "./cryptoError.js";
export type { CryptoErrorCode } from "./cryptoError.js";

const BLOCK = 16;
const ZERO_IV = Buffer.alloc(BLOCK);
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function aesKey(keyB64: string): Buffer {
  const key = Buffer.from(keyB64, "base64");
  if (key.length !== 32) throw new CryptoError("CRYPTO_BAD_KEY", "AES key must be 32 bytes of base64");
  return key;
}

function aesIv(ivB64: string | undefined): Buffer {
  if (ivB64 === undefined) return ZERO_IV;
  const iv = Buffer.from(ivB64, "base64");
  if (iv.length !== BLOCK) throw new CryptoError("CRYPTO_BAD_INPUT", "IV must be 16 bytes of base64");
  return iv;
}

/** AES-256-CTR over the PKCS#7-padded UTF-8 plaintext; zero IV when none is given (legacy). */
export function aesEncrypt(keyB64: string, plaintext: string, ivB64?: string): string {
  const data = Buffer.from(plaintext, "utf8");
  const pad = BLOCK - (data.length % BLOCK);
  const padded = Buffer.concat([data, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv("aes-256-ctr", aesKey(keyB64), aesIv(ivB64));
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString("base64");
}

/** Inverse of aesEncrypt; throws CRYPTO_DECRYPT_FAILED when the padding is not valid PKCS#7 or the plaintext not UTF-8. */
export function aesDecrypt(keyB64: string, ciphertextB64: string, ivB64?: string): string {
  const data = Buffer.from(ciphertextB64, "base64");
  if (data.length === 0 || data.length % BLOCK !== 0) {
    throw new CryptoError("CRYPTO_DECRYPT_FAILED", "AES ciphertext is not a whole number of blocks");
  }
  const decipher = createDecipheriv("aes-256-ctr", aesKey(keyB64), aesIv(ivB64));
  const padded = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "AES padding is invalid");
  for (let i = padded.length - pad; i < padded.length; i++) {
    if (padded[i] !== pad) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "AES padding is invalid");
  }
  try {
    return UTF8_STRICT.decode(padded.subarray(0, padded.length - pad));
  } catch {
    // A wrong key or IV passes the padding check one time in 256; its output is rarely UTF-8.
    throw new CryptoError("CRYPTO_DECRYPT_FAILED", "AES plaintext is not UTF-8 (wrong key or IV?)");
  }
}

export function randomIvB64(): string {
  return randomBytes(BLOCK).toString("base64");
}

export function generateAesKeyB64(): string {
  return randomBytes(32).toString("base64");
}

/** Parses a base64 PKCS#8 DER RSA private key; throws CRYPTO_BAD_KEY otherwise. */
export function rsaPrivateKey(privateKeyB64: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(privateKeyB64, "base64"), format: "der", type: "pkcs8" });
  } catch {
    throw new CryptoError("CRYPTO_BAD_KEY", "not a PKCS#8 DER private key");
  }
  if (key.asymmetricKeyType !== "rsa") throw new CryptoError("CRYPTO_BAD_KEY", "not an RSA private key");
  return key;
}

/** Parses a base64 SPKI DER RSA public key; throws CRYPTO_BAD_KEY otherwise. */
export function rsaPublicKey(publicKeyB64: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(publicKeyB64, "base64"), format: "der", type: "spki" });
  } catch {
    throw new CryptoError("CRYPTO_BAD_KEY", "not an SPKI DER public key");
  }
  if (key.asymmetricKeyType !== "rsa") throw new CryptoError("CRYPTO_BAD_KEY", "not an RSA public key");
  return key;
}

/** RSA PKCS#1 v1.5 signature over the UTF-8 data, base64 (the PKAM and dataSignature form). */
export function rsaSign(privateKeyB64: string, data: string, hash: "sha256" | "sha512"): string {
  return sign(hash, Buffer.from(data, "utf8"), rsaPrivateKey(privateKeyB64)).toString("base64");
}

/** False for a wrong or malformed signature; throws only for a key that is not RSA. */
export function rsaVerify(publicKeyB64: string, data: string, signatureB64: string, hash: "sha256" | "sha512"): boolean {
  const key = rsaPublicKey(publicKeyB64);
  try {
    return verify(hash, Buffer.from(data, "utf8"), key, Buffer.from(signatureB64, "base64"));
  } catch {
    return false;
  }
}

/** RSA PKCS#1 v1.5 encryption of the UTF-8 plaintext, base64. */
export function rsaEncrypt(publicKeyB64: string, plaintext: string): string {
  const key = rsaPublicKey(publicKeyB64);
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(plaintext, "utf8")).toString("base64");
}

/**
 * RSA PKCS#1 v1.5 decryption. Node either refuses that padding (Node 20) or, where OpenSSL has
 * implicit rejection, answers a wrong key with a pseudo-random message; so decrypt raw and check
 * the padding here: a wrong key or damaged block always fails, and alike on every Node.
 */
export function rsaDecrypt(privateKeyB64: string, ciphertextB64: string): string {
  const key = rsaPrivateKey(privateKeyB64);
  const data = Buffer.from(ciphertextB64, "base64");
  const k = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (data.length !== k) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "RSA ciphertext has the wrong length");
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, data);
  } catch {
    // Raw RSA is refused nowhere; a failure here is a block not below the modulus.
    return rsaPkcs1DecryptManual(key, data).toString("utf8");
  }
  return pkcs1v15Unpad(em).toString("utf8");
}

/** A fresh RSA-2048 key pair as base64 DER (SPKI public, PKCS#8 private). */
export function generateRsaKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      "rsa",
      {
        modulusLength: 2048,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: "spki", format: "der" },
        privateKeyEncoding: { type: "pkcs8", format: "der" },
      },
      (err, publicKey, privateKey) => {
        if (err) reject(new CryptoError("CRYPTO_BAD_INPUT", "RSA key generation failed"));
        else resolve({ publicKey: publicKey.toString("base64"), privateKey: privateKey.toString("base64") });
      },
    );
  });
}

export function md5Hex(s: string): string {
  return createHash("md5").update(s, "utf8").digest("hex");
}

/** `cram:` digest: lowercase hex of SHA-512(UTF-8(secret + challenge)) (§2.3). */
export function cramDigest(secret: string, challenge: string): string {
  return createHash("sha512").update(secret + challenge, "utf8").digest("hex");
}
