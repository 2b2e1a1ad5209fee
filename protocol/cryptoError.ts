// Failures of the crypto helpers. Messages name what failed, never the key or data.
import { CodedError } from "./CodedError.js";

export type CryptoErrorCode = "CRYPTO_BAD_KEY" | "CRYPTO_BAD_INPUT" | "CRYPTO_DECRYPT_FAILED";

export class CryptoError extends CodedError<CryptoErrorCode> {}
