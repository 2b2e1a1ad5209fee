// The value cipher's view of this worker (daemon/crypto/CipherContext.ts): local reads and
// writes go to the store (writes as ordinary local changes, so they sync), lookups the store
// cannot answer go to the atServer over the worker's lookup connection.
import { normalizeAtSign, parseAtKey } from "../../protocol/atKey.js";
import { AtProtocolError } from "../../protocol/errors.js";
import type { AtMetadata } from "../../protocol/metadata.js";
import type { CipherContext, StoredValue } from "../crypto/CipherContext.js";
import type { AtRemote, Clock } from "../ports.js";
import type { LocalWrites } from "../sync/LocalWrites.js";
import type { ReadonlyStore } from "./WorkerContext.js";

export interface WorkerCipherContextOptions {
  atSign: string;
  /** Our own encryption public key: no lookup needed for it. */
  encryptionPublicKey: string;
  /** Read here; written through `local`. */
  store: ReadonlyStore;
  local: LocalWrites;
  /** A connection for lookups, apart from the sync's, so a get never waits behind a long pull. */
  remote: AtRemote;
  clock: Clock;
  lookupTimeoutMs?: number;
}

/** AT codes meaning "there is no such key", which a lookup reports as undefined. */
const NOT_FOUND = new Set(["AT0015", "AT0011"]);

function absent(v: string): boolean {
  return v === "" || v === "null";
}

export class WorkerCipherContext implements CipherContext {
  private readonly me: string;

  constructor(private readonly o: WorkerCipherContextOptions) {
    this.me = normalizeAtSign(o.atSign);
  }

  now(): number {
    return this.o.clock.now();
  }

  async lookupPublicKey(atSign: string): Promise<string> {
    const who = normalizeAtSign(atSign);
    if (who === this.me) return this.o.encryptionPublicKey;
    let value: string | undefined;
    try {
      // Past any copy the atServers cached: the cipher asks only when it wants to know if it changed.
      value = await this.ask(`plookup:bypassCache:true:publickey${who}`);
    } catch (err) {
      const cached = this.o.store.get(`cached:public:publickey${who}`);
      // The atServer cannot answer now (offline, timeout): the copy this device has.
      if (cached !== undefined && !absent(cached.value)) return cached.value;
      throw err;
    }
    if (value === undefined) throw new Error(`${who} has no public encryption key`);
    return value;
  }

  listLocal(prefix: string): Promise<string[]> {
    return Promise.resolve(this.o.store.listKeys({ prefix: prefix.toLowerCase() }));
  }

  getLocal(atKey: string): Promise<StoredValue | undefined> {
    const rec = this.o.store.get(atKey);
    return Promise.resolve(rec === undefined ? undefined : { value: rec.value, metadata: rec.metadata });
  }

  putLocal(atKey: string, value: string, metadata: Partial<AtMetadata>): Promise<void> {
    this.o.local.put(atKey, value, metadata as AtMetadata);
    return Promise.resolve();
  }

  async fetchRemote(atKey: string): Promise<string | undefined> {
    const key = parseAtKey(atKey);
    if (key.owner === this.me) return this.ask(`llookup:${key.raw}`);
    // Shared with us by its owner: the owner's atServer answers `lookup` through ours.
    if (key.sharedWith === this.me) return this.ask(`lookup:${key.entity}${key.owner}`);
    return undefined;
  }

  private async ask(command: string): Promise<string | undefined> {
    try {
      const data = await this.o.remote.request(command, { timeoutMs: this.o.lookupTimeoutMs ?? 15_000 });
      return absent(data) ? undefined : data;
    } catch (err) {
      if (err instanceof AtProtocolError && NOT_FOUND.has(err.code)) return undefined;
      throw err;
    }
  }
}
