// A CipherContext over plain maps: the worker backs the port with its SqliteStore and AtRemote,
// which are not this area's; these maps stand in for that store and for the atServer.
import type { AtMetadata } from "../../protocol/metadata.js";
import type { CipherContext, StoredValue } from "../../daemon/crypto/CipherContext.js";

export class MemoryCipherContext implements CipherContext {
  readonly local = new Map<string, StoredValue>();
  readonly remote = new Map<string, string>();
  readonly publicKeys = new Map<string, string>();
  readonly writes: Array<{ atKey: string; value: string; metadata: Partial<AtMetadata> }> = [];
  readonly remoteFetches: string[] = [];
  /** The context's time; a test moves it on. */
  timeMs = Date.UTC(2026, 10, 22, 12, 0, 0);

  now(): number {
    return this.timeMs;
  }

  readonly publicKeyLookups: string[] = [];

  /** The writes of keys that sync: without this device's own `private:` shared-key ring. */
  get syncingWrites(): Array<{ atKey: string; value: string; metadata: Partial<AtMetadata> }> {
    return this.writes.filter((w) => !w.atKey.startsWith("private:"));
  }

  async lookupPublicKey(atSign: string): Promise<string> {
    this.publicKeyLookups.push(atSign);
    const key = this.publicKeys.get(atSign);
    if (key === undefined) throw new Error(`public:publickey${atSign} does not exist`);
    return key;
  }

  async getLocal(atKey: string): Promise<StoredValue | undefined> {
    return this.local.get(atKey);
  }

  async listLocal(prefix: string): Promise<string[]> {
    return [...this.local.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async putLocal(atKey: string, value: string, metadata: Partial<AtMetadata>): Promise<void> {
    this.writes.push({ atKey, value, metadata });
    this.local.set(atKey, { value, metadata });
  }

  async fetchRemote(atKey: string): Promise<string | undefined> {
    this.remoteFetches.push(atKey);
    return this.remote.get(atKey);
  }
}
