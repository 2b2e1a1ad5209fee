// Errors of the local store, with codes the worker maps to its exit behaviour (house-style §13).
import { CodedError } from "../../protocol/CodedError.js";

export type StoreErrorCode =
  | "STORE_CORRUPT"
  | "STORE_SCHEMA_TOO_NEW"
  | "STORE_KEY_NOT_FOUND"
  | "STORE_BAD_KEY";

export class StoreError extends CodedError<StoreErrorCode> {
  /** Corrupt or too-new files are fatal for the worker; the rest are the caller's mistakes. */
  get fatal(): boolean {
    return this.code === "STORE_CORRUPT" || this.code === "STORE_SCHEMA_TOO_NEW";
  }
}
