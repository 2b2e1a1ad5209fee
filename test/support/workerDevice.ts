// A worker's request side in process: a device of test/sync/support/devHarness.ts (its own store
// file, TLS connections and monitor against the dev-server) plus what daemon/worker/main.ts wires
// around it: the value cipher with its lookup connection, the status publisher and the context
// the keys.* and conflicts.* handlers run with. Tests call the handlers as the worker does.
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import { rejectedInEffect } from "../../daemon/core/syncState.js";
import type { Clock, Disposable } from "../../daemon/ports.js";
import { followSharedKeys } from "../../daemon/worker/followSharedKeys.js";
import { Inbox } from "../../daemon/worker/Inbox.js";
import type { TlsRemote } from "../../daemon/remote/TlsRemote.js";
import { PlaintextCache } from "../../daemon/worker/PlaintextCache.js";
import { StatusPublisher } from "../../daemon/worker/StatusPublisher.js";
import { WorkerCipherContext } from "../../daemon/worker/WorkerCipherContext.js";
import type { WorkerContext } from "../../daemon/worker/WorkerContext.js";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import type { SyncStatus } from "../../shared/status.js";
import { keysOf, rawRemote, type Device, type DevServerSuite } from "../sync/support/devHarness.js";

/** Wall time moved on by `advance` (timers stay on real time): for expiry without sleeping. */
export class OffsetClock implements Clock {
  private offset = 0;
  private readonly real = new SystemClock();

  now(): number {
    return this.real.now() + this.offset;
  }

  setTimer(ms: number, fn: () => void): Disposable {
    return this.real.setTimer(ms, fn);
  }

  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface WorkerDevice {
  readonly device: Device;
  readonly ctx: WorkerContext;
  readonly clock: OffsetClock;
  /** The last status the publisher pushed. */
  lastStatus(): SyncStatus | undefined;
  /** Resolves once the work the worker queued in the background (shared-key repairs) is done. */
  settled(): Promise<void>;
}

/**
 * Registers, inside a `describe` using devHarness's useDevServer, the factory of worker devices
 * for `atSign`, started; their extra connections and publishers are closed after each test (the devices
 * themselves by the harness).
 */
export function useWorkerDevices(s: DevServerSuite, atSign: string): (name: string, opts?: { keys?: AtKeys }) => WorkerDevice {
  const open: Array<{ lookup: TlsRemote; status: StatusPublisher; inbox: Inbox; sharing: Disposable }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.sharing.dispose();
      await o.inbox.drained();
      o.status.close();
      await o.lookup.close();
    }
  });
  return (name, opts = {}) => {
    const device = s.device(name);
    const keys = opts.keys ?? keysOf(s.dev, atSign);
    const clock = new OffsetClock();
    const lookup = rawRemote(s.dev, atSign);
    const cipher = new ValueCipher(keys, new WorkerCipherContext({
      atSign, encryptionPublicKey: keys.encryptionPublicKey, store: device.store, local: device.driver.local, remote: lookup, clock,
    }));
    let last: SyncStatus | undefined;
    const status = new StatusPublisher({
      clock, keyStore: "file", read: () => device.driver.facts(), publish: (st) => (last = st), rejected: () => rejectedInEffect(device.store.rejectedRows()),
    });
    // As main.ts: every driver event asks for a recomputation (no monitor here: always reachable);
    // changes of our shared-key copies re-encrypt what they left behind, in the serial inbox.
    device.driver.on(() => status.schedule());
    const inbox = new Inbox();
    const sharing = followSharedKeys({ atSign, events: device.driver, cipher, run: (task) => void inbox.run(task), logger: nullLogger });
    open.push({ lookup, status, inbox, sharing });
    device.start();
    const ctx: WorkerContext = {
      atSign, store: device.store, driver: device.driver, cipher, status, logger: nullLogger, clock, lookups: lookup, plain: new PlaintextCache(),
    };
    return { device, ctx, clock, lastStatus: () => last, settled: () => inbox.drained() };
  };
}
