// The AES keys of shared data (atprotocol.md §6.2). For data alice shares with bob, one key K
// per pair: alice's copy `shared_key.bob@alice` and bob's copy `@bob:shared_key@alice`, each K
// RSA-encrypted under its reader's public key. For data bob shares with alice, bob's wrapped key
// travels in `sharedKeyEnc`, or is found as `cached:@alice:shared_key@bob` or on the server.
//
// `shared_key.bob@alice` syncs like any key, so the K in effect can change under us: another
// device minted its own at the same time and won, or bob's public key changed and a new K was
// minted for it. Every K this device used is kept in its ring (SharedKeyRing), so what it
// encrypted stays readable, and ValueCipher.repairSharedWith re-encrypts it under the K in effect.
import { inspect } from "node:util";
import { generateAesKeyB64, md5Hex, rsaDecrypt, rsaEncrypt } from "../../protocol/crypto.js";
import { redactedLabel } from "../../protocol/protectAtKeys.js";
import { ErrorCode } from "../../shared/errors.js";
import type { CipherContext, CipherKeys } from "./CipherContext.js";
import { cipherError } from "./cipherError.js";
import { SharedKeyRing, type RingEntry } from "./SharedKeyRing.js";
import { cachedCopyFromKey, myCopyKey, theirCopyKey } from "./sharedKeyNames.js";

export { cachedCopyFromKey, myCopyKey, theirCopyKey } from "./sharedKeyNames.js";

/** Bob's copy's time-to-refresh, as the SDK writes it. */
export const THEIR_COPY_TTR = 3_888_000;
/** How long a recipient's public key is trusted before it is looked up again (a put after that checks it). */
export const PUBLIC_KEY_RECHECK_MS = 10 * 60_000;
const UNWRAP_CACHE_SIZE = 256;

/** The key to encrypt data for a recipient with, and what its metadata carries. */
export type SharingKey = RingEntry;

interface CurrentKey {
  aesKey: string;
  /** The pubKeyCS of the recipient's key it was minted for, when known. */
  madeFor: string | undefined;
}

function absent(v: string | undefined): v is undefined {
  return v === undefined || v === "" || v === "null";
}

export class SharedKeys {
  /** Unwrapped keys by their wrapped form: RSA decryption is costly (BigInt on Node 20). */
  private readonly unwrapped = new Map<string, string>();
  /** One sharing decision per reader at a time, so two puts cannot mint two keys or two wraps. */
  private readonly turns = new Map<string, Promise<unknown>>();
  private readonly publicKeys = new Map<string, { key: string; checkedAtMs: number }>();
  private readonly ring: SharedKeyRing;

  constructor(
    private readonly keys: CipherKeys,
    private readonly ctx: CipherContext,
  ) {
    this.ring = new SharedKeyRing(keys, ctx);
  }

  /** Holds keys: logs and inspection show only the atSign. */
  [inspect.custom](): string {
    return redactedLabel("SharedKeys", this.keys.atSign);
  }

  toJSON(): string {
    return redactedLabel("SharedKeys", this.keys.atSign);
  }

  /**
   * The AES key for data we share with `sharedWith`, its wrap for bob's current public key and
   * that key's checksum. A new key (and both copies) is minted when there is none, locally or on
   * the atServer, and when bob's public key is not the one the key in effect was minted for.
   */
  forSharingWith(sharedWith: string): Promise<SharingKey> {
    return this.inTurn(sharedWith, () => this.sharing(sharedWith));
  }

  /**
   * Decrypts a value we shared with `sharedWith`: with the key whose wrap its sharedKeyEnc is
   * (made on this device), else the key in effect, else every key this device ever used for bob.
   */
  async readOwn(sharedWith: string, sharedKeyEnc: string | undefined, decrypt: (aesKey: string) => string): Promise<string> {
    const tried = new Set<string>();
    let last: unknown;
    const attempt = (aesKey: string | undefined): string | undefined => {
      if (aesKey === undefined || tried.has(aesKey)) return undefined;
      tried.add(aesKey);
      try {
        return decrypt(aesKey);
      } catch (e) {
        last = e;
        return undefined;
      }
    };
    const exact = attempt(await this.ring.byWrap(sharedWith, sharedKeyEnc));
    if (exact !== undefined) return exact;
    const current = attempt((await this.current(sharedWith))?.aesKey);
    if (current !== undefined) return current;
    for (const e of await this.ring.entries(sharedWith)) {
      const old = attempt(e.aesKey);
      if (old !== undefined) return old;
    }
    if (last !== undefined) throw last;
    throw cipherError(ErrorCode.DecryptionFailed, `${this.keys.atSign} has no shared key for ${sharedWith}.`);
  }

  /**
   * The key this device encrypted a value under, when it is not the key in effect: such a value
   * is re-encrypted (ValueCipher.repairSharedWith). Undefined for values under the key in effect
   * and for values this device did not encrypt (it cannot know their key; their writer can).
   */
  async staleKeyOf(sharedWith: string, sharedKeyEnc: string | undefined): Promise<string | undefined> {
    const used = await this.ring.byWrap(sharedWith, sharedKeyEnc);
    if (used === undefined) return undefined;
    return used === (await this.current(sharedWith))?.aesKey ? undefined : used;
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
    if (absent(wrapped)) {
      const cached = cachedCopyFromKey(this.keys.atSign, owner);
      wrapped = (await this.ctx.getLocal(cached))?.value;
      if (wrapped === undefined) wrapped = await this.ctx.fetchRemote(`${this.keys.atSign}:shared_key${owner}`);
    }
    if (absent(wrapped)) {
      throw cipherError(
        ErrorCode.DecryptionFailed,
        `${owner} has not shared a key with ${this.keys.atSign}, so ${atKey} cannot be decrypted.`,
      );
    }
    return this.unwrap(wrapped, `the shared key of ${atKey}`);
  }

  private async sharing(sharedWith: string): Promise<SharingKey> {
    const theirPublicKey = await this.publicKeyOf(sharedWith);
    const pubKeyCS = md5Hex(theirPublicKey);
    const current = await this.current(sharedWith);
    if (current === undefined || (current.madeFor !== undefined && current.madeFor !== pubKeyCS)) {
      return this.mint(sharedWith, theirPublicKey, pubKeyCS);
    }
    const known = await this.ring.find(sharedWith, current.aesKey, pubKeyCS);
    if (known !== undefined) return known;
    // A key minted elsewhere (another device, the SDK), first used here: wrapped for bob's key
    // as we see it now, so bob can read what we write whatever his copy holds.
    const entry: RingEntry = { aesKey: current.aesKey, sharedKeyEnc: this.wrap(theirPublicKey, current.aesKey, sharedWith), pubKeyCS };
    const theirs = theirCopyKey(this.keys.atSign, sharedWith);
    if (absent((await this.ctx.getLocal(theirs))?.value) && absent(await this.ctx.fetchRemote(theirs))) {
      await this.ctx.putLocal(theirs, entry.sharedKeyEnc, { ttr: THEIR_COPY_TTR, pubKeyCS });
    }
    await this.ring.add(sharedWith, entry);
    return entry;
  }

  private async mint(sharedWith: string, theirPublicKey: string, pubKeyCS: string): Promise<SharingKey> {
    const aesKey = generateAesKeyB64();
    const mine = this.wrap(this.keys.encryptionPublicKey, aesKey, sharedWith);
    const entry: RingEntry = { aesKey, sharedKeyEnc: this.wrap(theirPublicKey, aesKey, sharedWith), pubKeyCS };
    // The ring first: whatever happens next, what we encrypt under this key stays readable here.
    // Then our copy (with it, a half-done creation can be completed: their copy is remade from
    // it; the reverse would leave bob a key we can no longer read). Both copies name the public
    // key of bob they were made for, so every device knows when bob's key changed.
    await this.ring.add(sharedWith, entry);
    await this.ctx.putLocal(myCopyKey(this.keys.atSign, sharedWith), mine, { pubKeyCS });
    await this.ctx.putLocal(theirCopyKey(this.keys.atSign, sharedWith), entry.sharedKeyEnc, { ttr: THEIR_COPY_TTR, pubKeyCS });
    this.remember(mine, aesKey);
    return entry;
  }

  /** The key in effect for `sharedWith`: our copy in the store, else on the atServer (before minting one). */
  private async current(sharedWith: string): Promise<CurrentKey | undefined> {
    const mine = myCopyKey(this.keys.atSign, sharedWith);
    const local = await this.ctx.getLocal(mine);
    const wrapped = absent(local?.value) ? await this.ctx.fetchRemote(mine) : local.value;
    if (absent(wrapped)) return undefined;
    const aesKey = this.unwrap(wrapped, `our shared key for ${sharedWith} (${mine})`);
    const stated = local !== undefined && local.value === wrapped ? local.metadata.pubKeyCS : undefined;
    const madeFor = stated ?? (await this.ring.entries(sharedWith)).find((e) => e.aesKey === aesKey)?.pubKeyCS;
    return { aesKey, madeFor };
  }

  /** Bob's public key, looked up again once PUBLIC_KEY_RECHECK_MS passed; the last one known while the lookup fails. */
  private async publicKeyOf(atSign: string): Promise<string> {
    const known = this.publicKeys.get(atSign);
    const now = this.ctx.now();
    if (known !== undefined && now - known.checkedAtMs < PUBLIC_KEY_RECHECK_MS) return known.key;
    let key: string;
    try {
      key = await this.ctx.lookupPublicKey(atSign);
    } catch (e) {
      if (known !== undefined) return known.key;
      throw cipherError(
        ErrorCode.EncryptionFailed,
        `Cannot share with ${atSign}: its public encryption key could not be found (${e instanceof Error ? e.message : String(e)}).`,
      );
    }
    this.publicKeys.set(atSign, { key, checkedAtMs: now });
    return key;
  }

  private async inTurn<T>(sharedWith: string, task: () => Promise<T>): Promise<T> {
    const before = this.turns.get(sharedWith) ?? Promise.resolve();
    const run = before.then(task, task);
    const tail = run.catch(() => undefined);
    this.turns.set(sharedWith, tail);
    void tail.then(() => {
      if (this.turns.get(sharedWith) === tail) this.turns.delete(sharedWith);
    });
    return run;
  }

  private wrap(publicKey: string, aesKey: string, sharedWith: string): string {
    try {
      return rsaEncrypt(publicKey, aesKey);
    } catch {
      throw cipherError(ErrorCode.EncryptionFailed, `Cannot encrypt the shared key for ${sharedWith}: the public key is not a usable RSA key.`);
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
