// A worker's request side in process: a device of test/sync/support/devHarness.ts (its own store
// file, TLS connections and monitor against the dev-server) plus what daemon/worker/main.ts wires
// around it: the value cipher with its lookup connection, the status publisher and the context
// the keys.* and conflicts.* handlers run with. Tests call the handlers as the worker does.
import { nullLogger } from "../../daemon/adapters/nullLogger.js";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { ValueCipher } from "../../daemon/crypto/ValueCipher.js";
import type { Clock, Disposable } from "../../daemon/ports.js";
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
}

/**
 * Registers, inside a `describe` using devHarness's useDevServer, the factory of worker devices
 * for `atSign`, started; their extra connections and publishers are closed after each test (the devices
 * themselves by the harness).
 */
export function useWorkerDevices(s: DevServerSuite, atSign: string): (name: string, opts?: { keys?: AtKeys }) => WorkerDevice {
  const open: Array<{ lookup: TlsRemote; status: StatusPublisher }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
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
      atSign, encryptionPublicKey: keys.encryptionPublicKey, store: device.store, local: device.driver.local, remote: lookup,
    }));
    let last: SyncStatus | undefined;
    const status = new StatusPublisher({
      clock, keyStore: "file", read: () => device.driver.status(), publish: (st) => (last = st), rejected: () => device.store.rejectedInEffect(),
    });
    open.push({ lookup, status });
    // As main.ts: state changes move the publisher's state, everything else asks for a recomputation.
    device.driver.on((e) => (e.type === "state.changed" ? status.stateChanged(e.state) : status.schedule()));
    device.start();
    const ctx: WorkerContext = {
      atSign, store: device.store, driver: device.driver, cipher, status, logger: nullLogger, clock, plain: new PlaintextCache(),
    };
    return { device, ctx, clock, lastStatus: () => last };
  };
}
