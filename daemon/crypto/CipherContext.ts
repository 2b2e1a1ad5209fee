// The narrow port through which the value cipher reaches the worker's store and atServer:
// shared-key encryption needs a few lookups and writes (atprotocol.md §6.2).
import type { AtKeys } from "../../protocol/atKeysFile.js";
import type { AtMetadata } from "../../protocol/metadata.js";

/** The keys the cipher uses; never logged, never put in an error. */
export type CipherKeys = Pick<AtKeys, "atSign" | "encryptionPublicKey" | "encryptionPrivateKey" | "selfEncryptionKey">;

/** A key as the local store holds it: the value exactly as the server stores it, and its metadata. */
export interface StoredValue {
  value: string;
  metadata: Partial<AtMetadata>;
}

export interface CipherContext {
  /** The worker's time (its Clock): how long a looked-up public key is trusted. */
  now(): number;
  /**
   * The encryption public key (base64 SPKI) of another atSign as its atServer has it now
   * (`plookup:bypassCache:true:publickey@bob`), else, while the atServer cannot be reached, the
   * local `cached:public:publickey@bob`. Rejects when the atSign has none.
   */
  lookupPublicKey(atSign: string): Promise<string>;
  /** One key of the local store (e.g. `shared_key.bob@alice`, `cached:@alice:shared_key@bob`), or undefined. */
  getLocal(atKey: string): Promise<StoredValue | undefined>;
  /** The live keys of the local store that start with `prefix` (e.g. `@bob:`), sorted. */
  listLocal(prefix: string): Promise<string[]>;
  /**
   * Writes a key as an ordinary local change, which then syncs to the atServer like any put
   * (`shared_key.bob@alice`, `@bob:shared_key@alice`; a `private:` key stays on this device).
   */
  putLocal(atKey: string, value: string, metadata: Partial<AtMetadata>): Promise<void>;
  /**
   * The key's value on the atServer when the local store does not have it (yet): our own key
   * by `llookup:<atKey>`, a key another atSign shared with us (`@alice:shared_key@bob`) by
   * `lookup:shared_key@bob`. Resolves undefined when the server has none.
   */
  fetchRemote(atKey: string): Promise<string | undefined>;
}
