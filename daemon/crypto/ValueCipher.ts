// Key-type-aware encryption of app values (atprotocol.md §6): what `put` stores and what `get`
// returns, for self, public and shared keys, interoperable with the Dart SDK.
import { inspect } from "node:util";
import { parseAtKey, normalizeAtSign, type ParsedAtKey } from "../../protocol/atKey.js";
import { aesDecrypt, aesEncrypt, randomIvB64, rsaSign, rsaVerify } from "../../protocol/crypto.js";
import type { AtMetadata } from "../../protocol/metadata.js";
import { redactedLabel } from "../../protocol/protectAtKeys.js";
import { carriedForm } from "../../protocol/valueCarriage.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { CipherContext, CipherKeys } from "./CipherContext.js";
import { cipherError } from "./cipherError.js";
import { recipientOfMyCopy } from "./sharedKeyNames.js";
import { SharedKeys } from "./SharedKeys.js";

/** Metadata fields the cipher owns: an app's own values for them are dropped on put. */
const CIPHER_FIELDS = ["isEncrypted", "ivNonce", "sharedKeyEnc", "pubKeyCS", "dataSignature", "encoding"] as const;

/** Reserved key bodies (atprotocol.md §3.1) that hold an atSign's keys: an app's put must not replace them. */
const RESERVED_ENTITIES = new Set(["publickey", "signing_publickey", "signing_privatekey", "at_pkam_publickey", "privatekey", "self_encryption_key", "at_secret"]);

export interface EncryptedPut {
  value: string;
  metadata: Partial<AtMetadata>;
}

type Route =
  | { kind: "self" }
  | { kind: "public" }
  | { kind: "sharedByMe"; sharedWith: string }
  | { kind: "sharedWithMe"; owner: string }
  | { kind: "raw" };

export class ValueCipher {
  private readonly me: string;
  private readonly shared: SharedKeys;

  constructor(
    private readonly keys: CipherKeys,
    private readonly ctx: CipherContext,
  ) {
    this.me = normalizeAtSign(keys.atSign);
    this.shared = new SharedKeys({ ...keys, atSign: this.me }, ctx);
  }

  /** Holds keys: logs and inspection show only the atSign. */
  [inspect.custom](): string {
    return redactedLabel("ValueCipher", this.me);
  }

  toJSON(): string {
    return redactedLabel("ValueCipher", this.me);
  }

  /** The value and metadata to store for an app's put of `plaintext` under `atKey`. */
  async encryptForPut(atKey: string, plaintext: string, metadata: Partial<AtMetadata> = {}): Promise<EncryptedPut> {
    const key = this.parse(atKey);
    if (key.owner !== this.me) {
      throw cipherError(ErrorCode.ReadOnlyKey, `${atKey} belongs to ${key.owner}; only ${this.me}'s keys can be written.`);
    }
    const meta: Partial<AtMetadata> = { ...metadata };
    for (const f of CIPHER_FIELDS) delete meta[f];
    const route = this.route(key, "put");
    switch (route.kind) {
      case "self": {
        const ivNonce = randomIvB64();
        return { value: this.aes("encrypt", atKey, this.keys.selfEncryptionKey, plaintext, ivNonce), metadata: { ...meta, isEncrypted: true, ivNonce } };
      }
      case "public": {
        // The SDK signs the value as given, then base64-encodes it if the command cannot carry it.
        if (plaintext.length === 0) {
          throw cipherError(ErrorCode.InvalidParams, `${atKey}: an atServer cannot store an empty public value (the update command needs one).`);
        }
        const dataSignature = this.sign(atKey, plaintext);
        return carriedForm(plaintext, { ...meta, dataSignature });
      }
      case "sharedByMe": {
        const { aesKey, sharedKeyEnc, pubKeyCS } = await this.shared.forSharingWith(route.sharedWith);
        const ivNonce = randomIvB64();
        const value = this.aes("encrypt", atKey, aesKey, plaintext, ivNonce);
        return { value, metadata: { ...meta, isEncrypted: true, sharedKeyEnc, pubKeyCS, ivNonce } };
      }
      case "sharedWithMe":
      case "raw":
        throw cipherError(ErrorCode.ReadOnlyKey, `${atKey} cannot be written by an app.`);
    }
  }

  /**
   * The plaintext of a stored value, as an app's get returns it. A value flagged isEncrypted is
   * decrypted or refused; any other non-public value is decrypted if it can be and returned as
   * stored if not, as the SDK's GetResponseTransformer does ("for old data, try decrypting the
   * value"): the C SDK writes every self and shared key with isEncrypted:false. Only the
   * cipher's own refusals fall back; a lookup that failed (offline) is reported, not hidden.
   */
  async decryptForGet(atKey: string, storedValue: string, metadata: Partial<AtMetadata> = {}): Promise<string> {
    const key = this.parse(atKey);
    const route = this.route(key, "get");
    if (metadata.isEncrypted === true || route.kind === "public" || route.kind === "raw") return this.decryptRoute(atKey, route, storedValue, metadata);
    try {
      return await this.decryptRoute(atKey, route, storedValue, metadata);
    } catch (e) {
      if (AtsyncError.is(e)) return storedValue;
      throw e;
    }
  }

  /**
   * A text `owner` encrypted for us with the key it shares with us (an encrypted text
   * notification: its text is the ciphertext, its metadata carries sharedKeyEnc and ivNonce).
   */
  async decryptFromSharer(owner: string, what: string, ciphertext: string, metadata: Partial<AtMetadata>): Promise<string> {
    const iv = metadata.ivNonce === undefined || metadata.ivNonce === "" || metadata.ivNonce === "null" ? undefined : metadata.ivNonce;
    const aesKey = await this.shared.fromSharer(normalizeAtSign(owner), what, metadata);
    return this.aes("decrypt", what, aesKey, ciphertext, iv);
  }

  /**
   * Checks another atSign's public value against its dataSignature: RSA PKCS#1 v1.5 SHA-256 over
   * the value as its owner put it, made with the owner's encryption private key
   * (put_request_transformer.dart), verified with the public key its atServer holds now. A value
   * without a signature passes; one that does not verify is refused with SignatureInvalid.
   */
  async verifyPublic(atKey: string, plaintext: string, dataSignature: string | undefined): Promise<void> {
    if (dataSignature === undefined || dataSignature === "" || dataSignature === "null") return;
    const owner = this.parse(atKey).owner;
    const publicKey = await this.ctx.lookupPublicKey(owner);
    let ok: boolean;
    try {
      ok = rsaVerify(publicKey, plaintext, dataSignature, "sha256");
    } catch {
      ok = false;
    }
    if (!ok) {
      throw cipherError(ErrorCode.SignatureInvalid, `${atKey}: its dataSignature does not verify with the public key of ${owner}, so it is not returned`);
    }
  }

  private async decryptRoute(atKey: string, route: Route, storedValue: string, metadata: Partial<AtMetadata>): Promise<string> {
    const iv = metadata.ivNonce === undefined || metadata.ivNonce === "" || metadata.ivNonce === "null" ? undefined : metadata.ivNonce;
    switch (route.kind) {
      case "self":
        return this.aes("decrypt", atKey, this.keys.selfEncryptionKey, storedValue, iv);
      case "public":
        return metadata.encoding === "base64" ? Buffer.from(storedValue, "base64").toString("utf8") : storedValue;
      case "sharedByMe":
        return this.shared.readOwn(route.sharedWith, metadata.sharedKeyEnc, (aesKey) => this.aes("decrypt", atKey, aesKey, storedValue, iv));
      case "sharedWithMe": {
        const aesKey = await this.shared.fromSharer(route.owner, atKey, metadata);
        return this.aes("decrypt", atKey, aesKey, storedValue, iv);
      }
      case "raw":
        return storedValue;
    }
  }

  /**
   * Re-encrypts, under the shared key now in effect for `sharedWith`, the values this device
   * encrypted under another one (a key that lost convergence to another device's, or one made
   * for bob's old public key), so every device of ours and bob can read them. Each goes back as
   * a local write with its metadata kept (ttl, times). Returns how many were re-encrypted.
   */
  async repairSharedWith(sharedWith: string): Promise<number> {
    const who = normalizeAtSign(sharedWith);
    let done = 0;
    for (const atKey of await this.ctx.listLocal(`${who}:`)) {
      // Our own values for bob (bob's copy of the shared key is RSA, not AES).
      if (!atKey.endsWith(this.me) || atKey.startsWith(`${who}:shared_key@`)) continue;
      const stored = await this.ctx.getLocal(atKey);
      if (stored === undefined || stored.metadata.isEncrypted === false) continue;
      const old = await this.shared.staleKeyOf(who, stored.metadata.sharedKeyEnc);
      if (old === undefined) continue;
      const iv = stored.metadata.ivNonce;
      let plaintext: string;
      try {
        plaintext = this.aes("decrypt", atKey, old, stored.value, iv === "" || iv === "null" ? undefined : iv);
      } catch {
        continue; // Not what its sharedKeyEnc says (changed by hand?): left as it is.
      }
      const { aesKey, sharedKeyEnc, pubKeyCS } = await this.shared.forSharingWith(who);
      const ivNonce = randomIvB64();
      const value = this.aes("encrypt", atKey, aesKey, plaintext, ivNonce);
      await this.ctx.putLocal(atKey, value, { ...stored.metadata, isEncrypted: true, sharedKeyEnc, pubKeyCS, ivNonce });
      done++;
    }
    return done;
  }

  /** repairSharedWith for every atSign this device holds our copy of a shared key for. */
  async repairAllSharing(): Promise<number> {
    let done = 0;
    for (const k of await this.ctx.listLocal("shared_key.")) {
      const who = recipientOfMyCopy(this.me, k);
      if (who !== undefined) done += await this.repairSharedWith(who);
    }
    return done;
  }

  private parse(atKey: string): ParsedAtKey {
    try {
      return parseAtKey(atKey);
    } catch (e) {
      throw cipherError(ErrorCode.InvalidAtKey, e instanceof Error ? e.message : `invalid atKey: ${atKey}`);
    }
  }

  private route(key: ParsedAtKey, op: "put" | "get"): Route {
    const entity = key.entity;
    // The wrapped shared keys are RSA ciphertext already; apps see them as stored and never write them.
    if (entity === "shared_key" || entity.startsWith("shared_key.")) {
      if (op === "put") throw cipherError(ErrorCode.ReadOnlyKey, `${key.raw} is a reserved key that atsyncd manages.`);
      return { kind: "raw" };
    }
    if (op === "put" && RESERVED_ENTITIES.has(entity)) {
      throw cipherError(ErrorCode.ReadOnlyKey, `${key.raw} is a reserved key (the atSign's own keys); apps cannot write it.`);
    }
    switch (key.kind) {
      case "self":
      case "local":
        return { kind: "self" };
      case "public":
        return { kind: "public" };
      case "shared":
        if (key.sharedWith === undefined || key.sharedWith === key.owner) return { kind: "self" };
        if (key.owner === this.me) return { kind: "sharedByMe", sharedWith: key.sharedWith };
        return this.sharedWithMe(key);
      case "cached":
        if (key.sharedWith === undefined) return { kind: "public" };
        return this.sharedWithMe(key);
      case "private":
      case "privatekey":
        throw cipherError(ErrorCode.ReadOnlyKey, `${key.raw} is an atServer-internal key; apps cannot ${op} it.`);
    }
  }

  private sharedWithMe(key: ParsedAtKey): Route {
    if (key.sharedWith !== this.me) {
      throw cipherError(ErrorCode.DecryptionFailed, `${key.raw} is shared with ${String(key.sharedWith)}, not with ${this.me}.`);
    }
    return { kind: "sharedWithMe", owner: key.owner };
  }

  private aes(op: "encrypt" | "decrypt", atKey: string, aesKey: string, text: string, iv: string | undefined): string {
    try {
      return op === "encrypt" ? aesEncrypt(aesKey, text, iv) : aesDecrypt(aesKey, text, iv);
    } catch (e) {
      if (AtsyncError.is(e)) throw e;
      const code = op === "encrypt" ? ErrorCode.EncryptionFailed : ErrorCode.DecryptionFailed;
      throw cipherError(code, `Cannot ${op} ${atKey}: ${e instanceof Error ? e.message : "AES failed"}.`);
    }
  }

  private sign(atKey: string, value: string): string {
    try {
      return rsaSign(this.keys.encryptionPrivateKey, value, "sha256");
    } catch {
      throw cipherError(ErrorCode.EncryptionFailed, `Cannot sign ${atKey}: the encryption private key of ${this.me} is not usable.`);
    }
  }
}
