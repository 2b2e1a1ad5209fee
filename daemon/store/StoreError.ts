// Errors of the local store, with codes the worker maps to its exit behaviour (house-style §13).
import { CodedError } from "../../protocol/CodedError.js";
import { InternalErrors, type InternalCode } from "../../shared/errors.js";

export type StoreErrorCode = Extract<InternalCode, `STORE_${string}`>;

export class StoreError extends CodedError<StoreErrorCode> {
  /** Corrupt or too-new files are fatal for the worker; the rest are the caller's mistakes. */
  get fatal(): boolean {
    return InternalErrors[this.code].class === "fatal";
  }
}
