// Errors of the local store, with codes the worker maps to its exit behaviour (house-style §13).

export type StoreErrorCode =
  | "STORE_CORRUPT"
  | "STORE_SCHEMA_TOO_NEW"
  | "STORE_KEY_NOT_FOUND"
  | "STORE_BAD_KEY";

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = "StoreError";
    this.code = code;
  }

  /** Corrupt or too-new files are fatal for the worker; the rest are the caller's mistakes. */
  get fatal(): boolean {
    return this.code === "STORE_CORRUPT" || this.code === "STORE_SCHEMA_TOO_NEW";
  }
}
