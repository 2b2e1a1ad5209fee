// The values keys.get decrypted last, so a hot key is not AES-decrypted on every get. An entry
// is used only while the stored ciphertext and the metadata decryption reads (nonce, flags,
// shared key) are exactly the ones it was decrypted from: any write (local or pulled) changes them, so there is nothing to invalidate. Bounded
// in bytes; least recently used first out. Plaintext stays in this worker's memory, as it does
// while a get is answered; it is never logged (inspect shows only the counts).
import { inspect } from "node:util";

interface Entry {
  cipher: string;
  tag: string;
  plain: string;
  bytes: number;
}

export class PlaintextCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes = 1 << 20) {}

  get size(): number {
    return this.entries.size;
  }

  /** What the entries are counted as holding, in bytes (at most the bound). */
  get bytesHeld(): number {
    return this.bytes;
  }

  /** The plaintext of `cipher` for `atKey`, if cached; `tag` names the rest of what decryption read (cipherTag). */
  get(atKey: string, cipher: string, tag: string): string | undefined {
    const e = this.entries.get(atKey);
    if (e === undefined) return undefined;
    if (e.cipher !== cipher || e.tag !== tag) {
      this.drop(atKey, e);
      return undefined;
    }
    // Re-inserting moves it to the most recently used end.
    this.entries.delete(atKey);
    this.entries.set(atKey, e);
    return e.plain;
  }

  set(atKey: string, cipher: string, tag: string, plain: string): void {
    const old = this.entries.get(atKey);
    if (old !== undefined) this.drop(atKey, old);
    // Strings are UTF-16 in V8: two bytes a code unit is the honest bound.
    const bytes = 2 * (atKey.length + cipher.length + plain.length) + 64;
    if (bytes > this.maxBytes / 8) return;
    this.entries.set(atKey, { cipher, tag, plain, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k, e);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  [inspect.custom](): string {
    return `PlaintextCache(${this.entries.size} entries, ${this.bytes} bytes)`;
  }

  toJSON(): string {
    return `PlaintextCache(${this.entries.size} entries)`;
  }

  private drop(atKey: string, e: Entry): void {
    this.entries.delete(atKey);
    this.bytes -= e.bytes;
  }
}

/** What, besides the ciphertext, decides a decryption: two values with equal tags decrypt alike. */
export function cipherTag(m: { ivNonce?: unknown; isEncrypted?: unknown; encoding?: unknown; sharedKeyEnc?: unknown }): string {
  return `${String(m.ivNonce)}|${String(m.isEncrypted)}|${String(m.encoding)}|${String(m.sharedKeyEnc)}`;
}
