// Every AES key this device shared data with one recipient under, with the wrap of it that
// went into the values' sharedKeyEnc. `shared_key.bob@alice` holds one key, and it converges
// like any key: when another device's copy wins, or a new key is minted for bob's new public
// key, values encrypted under the old one must still decrypt (and be re-encrypted). The ring
// lives in `private:atsyncd_shared_keys.bob@alice`, which never syncs (the server never commits
// `private:` keys), AES-encrypted with the self encryption key.
import { inspect } from "node:util";
import { aesDecrypt, aesEncrypt, randomIvB64 } from "../../protocol/crypto.js";
import { redactedLabel } from "../../protocol/protectAtKeys.js";
import type { CipherContext, CipherKeys } from "./CipherContext.js";
import { ringKey } from "./sharedKeyNames.js";

export interface RingEntry {
  aesKey: string;
  /** The key wrapped for the recipient's public key, as the values carry it in sharedKeyEnc. */
  sharedKeyEnc: string;
  /** MD5 of the recipient's public key it was wrapped for. */
  pubKeyCS: string;
}

/** Oldest entries go first past this many: by then every value was re-encrypted long ago. */
const MAX_ENTRIES = 256;

function isEntry(v: unknown): v is RingEntry {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e["aesKey"] === "string" && typeof e["sharedKeyEnc"] === "string" && typeof e["pubKeyCS"] === "string";
}

export class SharedKeyRing {
  private readonly rings = new Map<string, RingEntry[]>();

  constructor(
    private readonly keys: Pick<CipherKeys, "atSign" | "selfEncryptionKey">,
    private readonly ctx: CipherContext,
  ) {}

  /** Holds keys: logs and inspection show only the atSign. */
  [inspect.custom](): string {
    return redactedLabel("SharedKeyRing", this.keys.atSign);
  }

  toJSON(): string {
    return redactedLabel("SharedKeyRing", this.keys.atSign);
  }

  /** The entries for `sharedWith`, oldest first. */
  async entries(sharedWith: string): Promise<readonly RingEntry[]> {
    const loaded = this.rings.get(sharedWith);
    if (loaded !== undefined) return loaded;
    const ring = await this.load(sharedWith);
    this.rings.set(sharedWith, ring);
    return ring;
  }

  /** The AES key whose wrap a value carries in sharedKeyEnc, if this device made that wrap. */
  async byWrap(sharedWith: string, sharedKeyEnc: string | undefined): Promise<string | undefined> {
    if (sharedKeyEnc === undefined) return undefined;
    return (await this.entries(sharedWith)).find((e) => e.sharedKeyEnc === sharedKeyEnc)?.aesKey;
  }

  async find(sharedWith: string, aesKey: string, pubKeyCS: string): Promise<RingEntry | undefined> {
    return (await this.entries(sharedWith)).find((e) => e.aesKey === aesKey && e.pubKeyCS === pubKeyCS);
  }

  /** Adds an entry and writes the ring durably before the key is used. */
  async add(sharedWith: string, entry: RingEntry): Promise<void> {
    const ring = [...(await this.entries(sharedWith)), entry].slice(-MAX_ENTRIES);
    const ivNonce = randomIvB64();
    const value = aesEncrypt(this.keys.selfEncryptionKey, JSON.stringify(ring), ivNonce);
    await this.ctx.putLocal(ringKey(this.keys.atSign, sharedWith), value, { isEncrypted: true, ivNonce });
    this.rings.set(sharedWith, ring);
  }

  private async load(sharedWith: string): Promise<RingEntry[]> {
    const stored = await this.ctx.getLocal(ringKey(this.keys.atSign, sharedWith));
    if (stored === undefined) return [];
    try {
      const parsed: unknown = JSON.parse(aesDecrypt(this.keys.selfEncryptionKey, stored.value, stored.metadata.ivNonce));
      return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
    } catch {
      // Not readable with our self key (another key set's leftover): start a new ring.
      return [];
    }
  }
}
