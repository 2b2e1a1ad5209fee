// RSA PKCS#1 v1.5 decryption with the padding checked by hand. Node 20 (since the
// CVE-2023-46809 fix) refuses RSA_PKCS1_PADDING in privateDecrypt, and where OpenSSL has
// implicit rejection Node allows it but answers a wrong key with a pseudo-random message
// instead of an error; yet the atPlatform wraps every shared key with it (atprotocol.md §6.2).
// The check is not constant-time; a client decrypting its own data offers no oracle.
import type { KeyObject } from "node:crypto";
import { CryptoError } from "./cryptoError.js";

function b64urlToBigInt(s: unknown): bigint {
  if (typeof s !== "string" || s.length === 0) throw new CryptoError("CRYPTO_BAD_KEY", "RSA private key lacks CRT parameters");
  const hex = Buffer.from(s, "base64url").toString("hex");
  return BigInt(`0x${hex || "0"}`);
}

interface PrivateKeyNumbers {
  n: bigint;
  e: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qi: bigint;
  /** The modulus length in bytes, as the key encodes it. */
  modulusBytes: number;
}

/** The parameters of an RSA private key; CRYPTO_BAD_KEY when one is missing. */
function privateKeyNumbers(key: KeyObject): PrivateKeyNumbers {
  const jwk = key.export({ format: "jwk" });
  return {
    n: b64urlToBigInt(jwk.n),
    e: b64urlToBigInt(jwk.e),
    d: b64urlToBigInt(jwk.d),
    p: b64urlToBigInt(jwk.p),
    q: b64urlToBigInt(jwk.q),
    dp: b64urlToBigInt(jwk.dp),
    dq: b64urlToBigInt(jwk.dq),
    qi: b64urlToBigInt(jwk.qi),
    modulusBytes: Buffer.from(String(jwk.n), "base64url").length,
  };
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function bigIntToBytes(n: bigint, length: number): Buffer {
  const hex = n.toString(16);
  if (hex.length > length * 2) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "RSA decryption failed");
  return Buffer.from(hex.padStart(length * 2, "0"), "hex");
}

/**
 * True when the private key's parameters agree with each other (n = p·q, e·d ≡ 1, the CRT
 * exponents and coefficient derived from d, p and q). A damaged key often still parses, and
 * still signs (OpenSSL re-checks a CRT result and falls back to d), yet decrypts wrongly here.
 */
export function rsaPrivateKeyIsConsistent(key: KeyObject): boolean {
  try {
    const { n, e, d, p, q, dp, dq, qi } = privateKeyNumbers(key);
    if (p < 2n || q < 2n || p * q !== n) return false;
    if ((e * d) % (p - 1n) !== 1n || (e * d) % (q - 1n) !== 1n) return false;
    return dp === d % (p - 1n) && dq === d % (q - 1n) && (qi * q) % p === 1n;
  } catch {
    return false;
  }
}

/** Decrypts one PKCS#1 v1.5 block with the private key, using the CRT parameters. */
export function rsaPkcs1DecryptManual(key: KeyObject, ciphertext: Buffer): Buffer {
  const { n, p, q, dp, dq, qi, modulusBytes: k } = privateKeyNumbers(key);
  if (ciphertext.length !== k) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "RSA ciphertext has the wrong length");
  const c = BigInt(`0x${ciphertext.toString("hex")}`);
  if (c >= n) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "RSA decryption failed");
  const m1 = modPow(c, dp, p);
  const m2 = modPow(c, dq, q);
  const h = (((m1 - m2) % p) + p) % p * qi % p;
  return pkcs1v15Unpad(bigIntToBytes(m2 + h * q, k));
}

/** The message inside a raw decrypted block EM = 0x00 || 0x02 || PS (>= 8 nonzero bytes) || 0x00 || M. */
export function pkcs1v15Unpad(em: Buffer): Buffer {
  if (em.length < 11 || em[0] !== 0x00 || em[1] !== 0x02) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "RSA decryption failed");
  const sep = em.indexOf(0x00, 2);
  if (sep < 10) throw new CryptoError("CRYPTO_DECRYPT_FAILED", "RSA decryption failed");
  return em.subarray(sep + 1);
}
