// Failures of the crypto helpers. Messages name what failed, never the key or data.

export type CryptoErrorCode = "CRYPTO_BAD_KEY" | "CRYPTO_BAD_INPUT" | "CRYPTO_DECRYPT_FAILED";

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.name = "CryptoError";
    this.code = code;
  }
}
