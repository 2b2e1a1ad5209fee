// Where onboarded atSigns' keys live between daemon runs: the OS keychain, or a 0600 file
// when no keychain answers. Implementations never put key material in logs or errors.
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { AtsyncError, ErrorCode, InternalCode } from "../../shared/errors.js";

export type KeyStoreKind = "keychain" | "file";

export interface KeyStore {
  readonly kind: KeyStoreKind;
  /** One line for `status` and `doctor`, e.g. "OS keychain (Secret Service), service atsyncd". */
  readonly description: string;
  /** The keys of an onboarded atSign, or undefined when it is not onboarded. */
  get(atSign: string): Promise<AtKeys | undefined>;
  /** Stores (or replaces) the keys of `atSign`; keys.atSign must name the same atSign. */
  set(atSign: string, keys: AtKeys): Promise<void>;
  /** Forgets `atSign`; resolves false when it was not stored. */
  delete(atSign: string): Promise<boolean>;
  /** The onboarded atSigns, normalized (`@alice`), sorted. */
  list(): Promise<string[]>;
}

/** The key store's codes; what each means is in shared/errors.ts. */
export const KeyStoreErrorCode = {
  Corrupt: InternalCode.KEYSTORE_CORRUPT,
  InsecurePermissions: InternalCode.KEYSTORE_INSECURE_PERMISSIONS,
  KeychainFailed: InternalCode.KEYSTORE_KEYCHAIN_FAILED,
  Io: InternalCode.KEYSTORE_IO,
  BadAtSign: InternalCode.KEYSTORE_BAD_ATSIGN,
  BadKeys: InternalCode.KEYSTORE_BAD_KEYS,
} as const;
export type KeyStoreErrorCode = (typeof KeyStoreErrorCode)[keyof typeof KeyStoreErrorCode];

const wireCode: Record<KeyStoreErrorCode, ErrorCode> = {
  KEYSTORE_CORRUPT: ErrorCode.KeyStoreUnavailable,
  KEYSTORE_INSECURE_PERMISSIONS: ErrorCode.KeyStoreUnavailable,
  KEYSTORE_KEYCHAIN_FAILED: ErrorCode.KeyStoreUnavailable,
  KEYSTORE_IO: ErrorCode.KeyStoreUnavailable,
  KEYSTORE_BAD_ATSIGN: ErrorCode.InvalidAtSign,
  KEYSTORE_BAD_KEYS: ErrorCode.InvalidAtKeys,
};

/**
 * A key-store failure. The message names the atSign or path and the problem, never key material.
 * It is an AtsyncError (KeyStoreUnavailable, InvalidAtSign or InvalidAtKeys) so the RPC layer
 * passes it to the CLI as is; `reason` (also in `data.reason`) says which store problem it was.
 */
export class KeyStoreError extends AtsyncError {
  constructor(
    readonly reason: KeyStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(wireCode[reason], message, { reason });
    if (options?.cause !== undefined) this.cause = options.cause;
  }

  static isKeyStoreError(e: unknown, reason?: KeyStoreErrorCode): e is KeyStoreError {
    return e instanceof KeyStoreError && (reason === undefined || e.reason === reason);
  }
}
