// The AES keys of shared data (atprotocol.md §6.2). For data alice shares with bob, one key K
// per pair: alice's copy `shared_key.bob@alice` and bob's copy `@bob:shared_key@alice`, each K
// RSA-encrypted under its reader's public key. For data bob shares with alice, bob's wrapped key
// travels in `sharedKeyEnc`, or is found as `cached:@alice:shared_key@bob` or on the server.
import { inspect } from "node:util";
import { generateAesKeyB64, md5Hex, rsaDecrypt, rsaEncrypt } from "../../protocol/crypto.js";
import { redactedLabel } from "../../protocol/protectAtKeys.js";
import { ErrorCode } from "../../shared/errors.js";
import type { CipherContext, CipherKeys } from "./CipherContext.js";
import { cipherError } from "./cipherError.js";

/** Bob's copy's time-to-refresh, as the SDK writes it. */
export const THEIR_COPY_TTR = 3_888_000;
const UNWRAP_CACHE_SIZE = 256;

/** `@bob` → `bob`: the form inside `shared_key.bob@alice`. */
function bare(atSign: string): string {
  return atSign.startsWith("@") ? atSign.slice(1) : atSign;
}

export function myCopyKey(me: string, sharedWith: string): string {
  return `shared_key.${bare(sharedWith)}${me}`;
}

export function theirCopyKey(me: string, sharedWith: string): string {
  return `${sharedWith}:shared_key${me}`;
}

export function cachedCopyFromKey(me: string, owner: string): string {
  return `cached:${me}:shared_key${owner}`;
}

export class SharedKeys {
  /** Unwrapped keys by their wrapped form: RSA decryption is costly (BigInt on Node 20). */
  private readonly unwrapped = new Map<string, string>();
  /** One creation per reader at a time, so two puts cannot mint two keys. */
  private readonly creating = new Map<string, Promise<string>>();

  constructor(
    private readonly keys: CipherKeys,
    private readonly ctx: CipherContext,
  ) {}

  /**
   * The AES key for data we share with `sharedWith`, creating it and both copies when there is
   * none, and bob's wrapped copy with the checksum of the public key it was made for.
   */
  async forSharingWith(sharedWith: string): Promise<{ aesKey: string; sharedKeyEnc: string; pubKeyCS: string }> {
    const aesKey = (await this.ownKey(sharedWith)) ?? (await this.createOnce(sharedWith));
    const theirPublicKey = await this.publicKeyOf(sharedWith);
    const theirKey = theirCopyKey(this.keys.atSign, sharedWith);
    let sharedKeyEnc = (await this.ctx.getLocal(theirKey))?.value ?? (await this.ctx.fetchRemote(theirKey));
    if (sharedKeyEnc === undefined || sharedKeyEnc === "" || sharedKeyEnc === "null") {
      sharedKeyEnc = this.wrap(theirPublicKey, aesKey, `the shared key for ${sharedWith}`);
      await this.ctx.putLocal(theirKey, sharedKeyEnc, { ttr: THEIR_COPY_TTR });
    }
    return { aesKey, sharedKeyEnc, pubKeyCS: md5Hex(theirPublicKey) };
  }

  /** Holds keys: logs and inspection show only the atSign. */
  [inspect.custom](): string {
    return redactedLabel("SharedKeys", this.keys.atSign);
  }

  toJSON(): string {
    return redactedLabel("SharedKeys", this.keys.atSign);
  }

  /** Our own AES key for data shared with `sharedWith`, or undefined when none exists yet. */
  async ownKey(sharedWith: string): Promise<string | undefined> {
    const mine = myCopyKey(this.keys.atSign, sharedWith);
    const wrapped = (await this.ctx.getLocal(mine))?.value ?? (await this.ctx.fetchRemote(mine));
    if (wrapped === undefined || wrapped === "" || wrapped === "null") return undefined;
    return this.unwrap(wrapped, `our shared key for ${sharedWith} (${mine})`);
  }

  /** The AES key of a value `owner` shared with us, from its metadata or the lookups of §6.2. */
  async fromSharer(owner: string, atKey: string, meta: { sharedKeyEnc?: string; pubKeyCS?: string }): Promise<string> {
    if (meta.pubKeyCS !== undefined && meta.pubKeyCS !== md5Hex(this.keys.encryptionPublicKey)) {
      throw cipherError(
        ErrorCode.DecryptionFailed,
        `${atKey} was encrypted for another public key of ${this.keys.atSign} (pubKeyCS does not match ours); ` +
          `${owner} has to share it again.`,
      );
    }
    let wrapped = meta.sharedKeyEnc;
    if (wrapped === undefined || wrapped === "" || wrapped === "null") {
      const cached = cachedCopyFromKey(this.keys.atSign, owner);
      wrapped = (await this.ctx.getLocal(cached))?.value;
      if (wrapped === undefined) wrapped = await this.ctx.fetchRemote(`${this.keys.atSign}:shared_key${owner}`);
    }
    if (wrapped === undefined || wrapped === "" || wrapped === "null") {
      throw cipherError(
        ErrorCode.DecryptionFailed,
        `${owner} has not shared a key with ${this.keys.atSign}, so ${atKey} cannot be decrypted.`,
      );
    }
    return this.unwrap(wrapped, `the shared key of ${atKey}`);
  }

  private async createOnce(sharedWith: string): Promise<string> {
    const pending = this.creating.get(sharedWith);
    if (pending) return pending;
    const run = this.create(sharedWith).finally(() => this.creating.delete(sharedWith));
    this.creating.set(sharedWith, run);
    return run;
  }

  private async create(sharedWith: string): Promise<string> {
    // Someone may have made it while we waited our turn.
    const existing = await this.ownKey(sharedWith);
    if (existing !== undefined) return existing;
    const aesKey = generateAesKeyB64();
    const theirPublicKey = await this.publicKeyOf(sharedWith);
    const mine = this.wrap(this.keys.encryptionPublicKey, aesKey, `the shared key for ${sharedWith}`);
    const theirs = this.wrap(theirPublicKey, aesKey, `the shared key for ${sharedWith}`);
    // Our copy first: with it, a half-done creation can always be completed (their copy is
    // remade from it); the reverse would leave bob a key we can no longer read.
    await this.ctx.putLocal(myCopyKey(this.keys.atSign, sharedWith), mine, {});
    await this.ctx.putLocal(theirCopyKey(this.keys.atSign, sharedWith), theirs, { ttr: THEIR_COPY_TTR });
    this.remember(mine, aesKey);
    return aesKey;
  }

  private async publicKeyOf(atSign: string): Promise<string> {
    try {
      return await this.ctx.lookupPublicKey(atSign);
    } catch (e) {
      throw cipherError(
        ErrorCode.EncryptionFailed,
        `Cannot share with ${atSign}: its public encryption key could not be found (${e instanceof Error ? e.message : String(e)}).`,
      );
    }
  }

  private wrap(publicKey: string, aesKey: string, what: string): string {
    try {
      return rsaEncrypt(publicKey, aesKey);
    } catch {
      throw cipherError(ErrorCode.EncryptionFailed, `Cannot encrypt ${what}: the public key is not a usable RSA key.`);
    }
  }

  private unwrap(wrapped: string, what: string): string {
    const hit = this.unwrapped.get(wrapped);
    if (hit !== undefined) return hit;
    let aesKey: string;
    try {
      aesKey = rsaDecrypt(this.keys.encryptionPrivateKey, wrapped);
    } catch {
      throw cipherError(
        ErrorCode.DecryptionFailed,
        `Cannot decrypt ${what} with the encryption key of ${this.keys.atSign}: it was made for another key.`,
      );
    }
    if (Buffer.from(aesKey, "base64").length !== 32) {
      throw cipherError(ErrorCode.DecryptionFailed, `${what} does not hold a 256-bit AES key.`);
    }
    this.remember(wrapped, aesKey);
    return aesKey;
  }

  private remember(wrapped: string, aesKey: string): void {
    if (this.unwrapped.size >= UNWRAP_CACHE_SIZE) {
      const oldest = this.unwrapped.keys().next().value;
      if (oldest !== undefined) this.unwrapped.delete(oldest);
    }
    this.unwrapped.set(wrapped, aesKey);
  }
}
