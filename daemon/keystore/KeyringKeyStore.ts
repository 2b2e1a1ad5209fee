// Keys in the OS keychain through @napi-rs/keyring: Keychain on macOS, the Credential Manager on
// Windows, and on Linux the Secret Service only. Never the kernel keyring (keyutils): it forgets
// everything at logout or reboot, which would silently un-onboard every atSign.
// Keychains cannot enumerate their entries reliably, so an index entry lists the atSigns.
import { AsyncEntry, type EntryOptions } from "@napi-rs/keyring";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { protectAtKeys } from "../../protocol/protectAtKeys.js";
import { KeyStoreError, KeyStoreErrorCode, type KeyStore } from "./KeyStore.js";
import { withProcessLock } from "./processLock.js";
import { checkKeysFor, normalizeKeyStoreAtSign, parseStoredAtKeys } from "./storedAtKeys.js";

export const KEYRING_SERVICE = "atsyncd";
/** The index entry's account name; it cannot clash with an atSign, which starts with "@". */
export const KEYRING_INDEX_ACCOUNT = "atsyncd:index";
/** A throw-away entry openKeyStore writes and removes to check that the keychain stores. */
export const KEYRING_PROBE_ACCOUNT = "atsyncd:probe";

/** Pins Linux entries to the Secret Service: requiring it throws instead of falling back to keyutils. */
export const KEYRING_ENTRY_OPTIONS: EntryOptions = Object.freeze({ linux: Object.freeze({ store: "secret-service" as const }) });

export class KeyringKeyStore implements KeyStore {
  readonly kind = "keychain" as const;
  readonly service: string;
  private readonly platform: NodeJS.Platform;

  /** `service` is the keychain service name (tests use their own, so real entries stay untouched). */
  constructor(opts: { service?: string; platform?: NodeJS.Platform } = {}) {
    this.service = opts.service ?? KEYRING_SERVICE;
    this.platform = opts.platform ?? process.platform;
  }

  get description(): string {
    return `OS keychain (${keychainName(this.platform)}), service "${this.service}"`;
  }

  async get(atSign: string): Promise<AtKeys | undefined> {
    const name = normalizeKeyStoreAtSign(atSign);
    const text = await this.op(`read the keys of ${name}`, (e) => e.getPassword(), name);
    if (text === null) return undefined;
    return protectAtKeys(parseStoredAtKeys(text, `The keychain entry of ${name}`));
  }

  async set(atSign: string, keys: AtKeys): Promise<void> {
    const checked = checkKeysFor(atSign, keys);
    const name = checked.atSign;
    await this.serial(async () => {
      await this.op(`store the keys of ${name}`, (e) => e.setPassword(JSON.stringify(checked.keys)), name);
      try {
        const index = await this.readIndex();
        if (!index.includes(name)) await this.writeIndex([...index, name]);
      } catch (e) {
        // Listed nowhere means onboarded nowhere: take the entry back out rather than half-store it.
        await this.op(`remove the keys of ${name}`, (en) => en.deleteCredential(), name).catch(() => undefined);
        throw e;
      }
    });
  }

  async delete(atSign: string): Promise<boolean> {
    const name = normalizeKeyStoreAtSign(atSign);
    return this.serial(async () => {
      const deleted = await this.op(`remove the keys of ${name}`, (e) => e.deleteCredential(), name);
      const index = await this.readIndex();
      if (index.includes(name)) await this.writeIndex(index.filter((a) => a !== name));
      return deleted || index.includes(name);
    });
  }

  async list(): Promise<string[]> {
    return this.serial(() => this.readIndex());
  }

  /** The atSigns in the index entry. */
  private async readIndex(): Promise<string[]> {
    const text = await this.op("read the list of atSigns", (e) => e.getPassword(), KEYRING_INDEX_ACCOUNT);
    if (text === null) return [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) {
      throw new KeyStoreError(
        KeyStoreErrorCode.Corrupt,
        `The keychain's atsyncd index (service "${this.service}", account "${KEYRING_INDEX_ACCOUNT}") is damaged; delete it and onboard again.`,
      );
    }
    return [...new Set(value)].sort();
  }

  private async writeIndex(atSigns: string[]): Promise<void> {
    const sorted = [...new Set(atSigns)].sort();
    if (sorted.length === 0) {
      await this.op("update the list of atSigns", (e) => e.deleteCredential(), KEYRING_INDEX_ACCOUNT);
      return;
    }
    await this.op("update the list of atSigns", (e) => e.setPassword(JSON.stringify(sorted)), KEYRING_INDEX_ACCOUNT);
  }

  /** The index is read-modify-write: keep this process's updates in order, across every instance on this service. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return withProcessLock(`keyring:${this.service}`, fn);
  }

  private async op<T>(what: string, fn: (entry: AsyncEntry) => Promise<T>, account: string): Promise<T> {
    try {
      return await fn(new AsyncEntry(this.service, account, KEYRING_ENTRY_OPTIONS));
    } catch (e) {
      throw keychainError(what, this.platform, e);
    }
  }
}

export function keychainName(platform: NodeJS.Platform): string {
  switch (platform) {
    case "darwin":
      return "macOS Keychain";
    case "win32":
      return "Windows Credential Manager";
    default:
      return "Secret Service";
  }
}

/** The keyring's messages describe the backend ("unlock prompt was dismissed"), never the secret. */
export function keychainError(what: string, platform: NodeJS.Platform, e: unknown): KeyStoreError {
  if (KeyStoreError.isKeyStoreError(e)) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new KeyStoreError(
    KeyStoreErrorCode.KeychainFailed,
    `Could not ${what} in the ${keychainName(platform)}: ${detail}`,
    { cause: e },
  );
}
