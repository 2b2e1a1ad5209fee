// Onboarding and offboarding at run time. Onboarding checks the .atKeys, proves them with a
// PKAM login, stores them, then starts the worker; a failure at any step leaves nothing behind.
import { AtKeysError, decodeAtKeysFile, type AtKeys } from "../../protocol/atKeysFile.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { IdentitiesOnboardResult } from "../../shared/types.js";
import { configFor, normalizeAtSignName, type DaemonConfig } from "../config/DaemonConfig.js";
import type { KeyStore } from "../keystore/KeyStore.js";
import type { Clock, Logger } from "../ports.js";
import type { KeysSource, Supervisor } from "../supervisor/Supervisor.js";
import type { CronTrigger } from "../triggers/CronTrigger.js";
import { proveKeys } from "./proveKeys.js";

export interface IdentitiesOptions {
  config: DaemonConfig;
  keyStore: KeyStore;
  fallbackReason: string | undefined;
  supervisor: Supervisor;
  cron: CronTrigger;
  clock: Clock;
  logger: Logger;
  /** Replaces the PKAM proof (tests of the daemon without an atServer); default proveKeys. */
  prove?: (keys: AtKeys) => Promise<void>;
}

export class Identities {
  private readonly busy = new Set<string>();

  constructor(private readonly o: IdentitiesOptions) {}

  /** Starts the worker of an atSign whose keys are stored (daemon start: read when its turn to start comes). */
  startStored(atSign: string, keys: KeysSource): void {
    this.o.supervisor.add(atSign, keys);
    this.schedule(atSign);
  }

  async onboard(atSign: string, atKeysText: string): Promise<IdentitiesOnboardResult> {
    const name = normalizeAtSignName(atSign);
    if (this.busy.has(name) || this.o.supervisor.has(name)) throw new AtsyncError(ErrorCode.AlreadyOnboarded, `${name} is already onboarded`);
    this.busy.add(name);
    try {
      const keys = this.decode(name, atKeysText);
      await (this.o.prove ?? ((k: AtKeys) => proveKeys(k, configFor(this.o.config, name), this.o.clock, this.o.logger)))(keys);
      await this.o.keyStore.set(name, keys);
      try {
        this.startStored(name, keys);
      } catch (err) {
        await this.o.keyStore.delete(name).catch(() => undefined);
        throw err;
      }
      this.o.logger.info("atSign onboarded", { atSign: name, keyStore: this.o.keyStore.kind });
      const result: IdentitiesOnboardResult = { atSign: name, keyStore: this.o.keyStore.kind };
      if (this.o.fallbackReason !== undefined) result.fallbackReason = this.o.fallbackReason;
      return result;
    } finally {
      this.busy.delete(name);
    }
  }

  async offboard(atSign: string): Promise<{ atSign: string }> {
    const name = normalizeAtSignName(atSign);
    if (this.busy.has(name)) throw new AtsyncError(ErrorCode.AlreadyOnboarded, `${name} is being onboarded or offboarded`);
    if (!this.o.supervisor.has(name)) throw new AtsyncError(ErrorCode.NotOnboarded, `${name} is not onboarded`);
    this.busy.add(name);
    try {
      this.o.cron.delete(name);
      await this.o.supervisor.remove(name);
      await this.o.keyStore.delete(name);
      this.o.logger.info("atSign offboarded", { atSign: name });
      return { atSign: name };
    } finally {
      this.busy.delete(name);
    }
  }

  private decode(name: string, text: string): AtKeys {
    let keys: AtKeys;
    try {
      keys = decodeAtKeysFile(text, name);
    } catch (err) {
      if (err instanceof AtKeysError) throw new AtsyncError(ErrorCode.InvalidAtKeys, `invalid .atKeys for ${name}: ${err.message}`);
      throw new AtsyncError(ErrorCode.InvalidAtKeys, `invalid .atKeys for ${name}`);
    }
    if (keys.pkamPrivateKey === undefined) {
      throw new AtsyncError(ErrorCode.InvalidAtKeys, `the .atKeys of ${name} hold no PKAM private key (is it on a secure element?)`);
    }
    return keys;
  }

  private schedule(atSign: string): void {
    try {
      this.o.cron.set(atSign, configFor(this.o.config, atSign).syncSchedule);
    } catch (err) {
      this.o.logger.warn("sync schedule not set", { atSign, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
