// Devices against a real dev-server over TLS: each device is a SyncDriver with its own store
// file, TlsRemote and Monitor, as the worker will wire them.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer, type DevServer, type DevServerOptions } from "../../../atserver/index.js";
import { decodeAtKeysFile, type AtKeys } from "../../../protocol/atKeysFile.js";
import { SystemClock } from "../../../daemon/adapters/SystemClock.js";
import { nullLogger } from "../../../daemon/adapters/nullLogger.js";
import type { ConflictPolicy, SyncFilter } from "../../../daemon/core/types.js";
import type { AtRemote } from "../../../daemon/ports.js";
import { Backoff } from "../../../daemon/backoff.js";
import { RemoteUnavailableError } from "../../../daemon/remote/errors.js";
import { Monitor } from "../../../daemon/remote/Monitor.js";
import { RootResolver } from "../../../daemon/remote/RootResolver.js";
import { TlsRemote } from "../../../daemon/remote/TlsRemote.js";
import { SqliteStore } from "../../../daemon/store/SqliteStore.js";
import { SyncDriver } from "../../../daemon/sync/SyncDriver.js";

export const clock = new SystemClock();

export function keysOf(dev: DevServer, atSign: string): AtKeys {
  const entry = dev.info.atSigns[atSign];
  if (!entry) throw new Error(`dev-server does not serve ${atSign}`);
  return decodeAtKeysFile(readFileSync(entry.atKeys, "utf8"), atSign);
}

export function rawRemote(dev: DevServer, atSign: string): TlsRemote {
  const ca = readFileSync(dev.info.ca, "utf8");
  const resolver = new RootResolver({ root: dev.info.root, ca, clock });
  return new TlsRemote({ atSign, keys: keysOf(dev, atSign), resolver, ca, clock, logger: nullLogger, requestTimeoutMs: 10_000 });
}

/**
 * Wraps a remote to cut the real connection around one matching command: "before" drops the
 * connections and fails without sending; "after" lets the server answer, then drops and fails,
 * so the server applied a command whose reply the client never saw.
 */
export class CuttingRemote implements AtRemote {
  private rule: { match: (c: string) => boolean; when: "before" | "after" | "hang" | "tap"; skip: number; onCut?: () => void | Promise<void> } | null = null;
  cuts = 0;
  /** True once a "hang" rule's command was answered by the server (the client never sees the reply). */
  hung = false;

  constructor(private readonly inner: AtRemote, private readonly dev: DevServer, private readonly atSign: string) {}

  /**
   * `onCut` runs after the server answered ("after", "hang") or before failing ("before"), so a
   * test can act at that exact point (a local write while the push is in flight, a reset mid-pull).
   * "tap" cuts nothing. "hang": the server applies the command and the reply never comes, until the caller aborts:
   * the moment a process is killed mid-push.
   */
  cutOnce(match: (c: string) => boolean, when: "before" | "after" | "hang" | "tap", skip = 0, onCut?: () => void | Promise<void>): void {
    this.rule = { match, when, skip, onCut };
  }

  get connected(): boolean {
    return this.inner.connected;
  }

  async request(command: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<string> {
    const rule = this.rule;
    if (!rule || !rule.match(command)) return this.inner.request(command, opts);
    if (rule.skip > 0) {
      rule.skip--;
      return this.inner.request(command, opts);
    }
    this.rule = null;
    this.cuts++;
    if (rule.when === "before") {
      await rule.onCut?.();
      this.dev.dropConnections(this.atSign);
      throw new RemoteUnavailableError("closed", "cut before sending (test)");
    }
    const reply = await this.inner.request(command, opts);
    await rule.onCut?.();
    // "tap": nothing is cut; the test only acts between the server's reply and the client's use of it.
    if (rule.when === "tap") return reply;
    if (rule.when === "hang") {
      this.hung = true;
      const signal = opts?.signal;
      await new Promise<void>((_, reject) => {
        const fail = (): void => reject(new RemoteUnavailableError("closed", "process killed (test)"));
        if (signal?.aborted) fail();
        else signal?.addEventListener("abort", fail, { once: true });
      });
    }
    this.dev.dropConnections(this.atSign);
    throw new RemoteUnavailableError("closed", "cut after the server answered (test)");
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export class Device {
  readonly store: SqliteStore;
  readonly remote: CuttingRemote;
  readonly monitor: Monitor;
  readonly driver: SyncDriver;
  /** Extra pull connections (opts.lanes - 1 of them), each cuttable. */
  readonly lanes: CuttingRemote[] = [];
  private readonly tls: TlsRemote[] = [];

  constructor(
    dev: DevServer, atSign: string, dir: string, name: string,
    opts: { policy?: ConflictPolicy; filter?: SyncFilter; lanes?: number } = {},
  ) {
    const ca = readFileSync(dev.info.ca, "utf8");
    const keys = keysOf(dev, atSign);
    const resolver = new RootResolver({ root: dev.info.root, ca, clock });
    this.store = SqliteStore.open({ path: join(dir, `${name}.db`), clock });
    const tls = (): CuttingRemote => {
      const t = new TlsRemote({ atSign, keys, resolver, ca, clock, logger: nullLogger, requestTimeoutMs: 10_000 });
      this.tls.push(t);
      return new CuttingRemote(t, dev, atSign);
    };
    this.remote = tls();
    for (let i = 1; i < (opts.lanes ?? 1); i++) this.lanes.push(tls());
    this.monitor = new Monitor({ atSign, keys, resolver, ca, clock, logger: nullLogger, heartbeatMs: 5000, backoff: new Backoff({ baseMs: 20, maxMs: 200 }) });
    this.driver = new SyncDriver({
      atSign, remote: this.remote, pullRemotes: this.lanes, store: this.store, clock, logger: nullLogger, notifications: this.monitor,
      backoff: new Backoff({ baseMs: 20, maxMs: 200 }), policy: opts.policy, filter: opts.filter,
    });
  }

  start(): void {
    this.monitor.start();
    this.driver.start();
  }

  /** Goes offline: no sync, no monitor, connection closed; local writes still land in the store. */
  async goOffline(): Promise<void> {
    await this.driver.stop();
    await this.monitor.stop();
  }

  async close(): Promise<void> {
    await this.goOffline();
    for (const t of this.tls) await t.close();
    this.store.close();
  }

  /** key → value of every live key, for convergence checks. */
  contents(): Map<string, string> {
    const m = new Map<string, string>();
    for (const k of this.store.listKeys()) m.set(k, this.store.get(k)?.value ?? "");
    return m;
  }
}

/** syncNow, tolerating retryable failures (a connection another test step cut) a few times. */
export async function syncOk(d: Device): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await d.driver.syncNow();
      return;
    } catch (err) {
      if (attempt >= 5 || (err as { retryable?: unknown }).retryable !== true) throw err;
    }
  }
}

/** Syncs every device a few rounds (each sees the others' pushes), then returns their contents. */
export async function converge(a: Device, b: Device): Promise<[Map<string, string>, Map<string, string>]> {
  for (let round = 0; round < 3; round++) {
    await syncOk(a);
    await syncOk(b);
  }
  return [a.contents(), b.contents()];
}

/** What a dev-server suite's tests see; the hooks set the fields. */
export class DevServerSuite {
  dev!: DevServer;
  /** A raw connection of the suite's atSign, for what the devices do not do. */
  raw!: TlsRemote;
  /** The devices of the current test; each is closed after it (remove one closed already). */
  devices: Device[] = [];
  dir = "";

  constructor(private readonly atSign: string) {}

  device(name: string, opts?: ConstructorParameters<typeof Device>[4]): Device {
    const d = new Device(this.dev, this.atSign, this.dir, name, opts);
    this.devices.push(d);
    return d;
  }

  /** The server's value of `atKey` by llookup, or null when it has none. */
  async serverValue(atKey: string): Promise<string | null> {
    try {
      return await this.raw.request(`llookup:${atKey}`);
    } catch {
      return null;
    }
  }
}

/**
 * Registers the hooks of a suite whose tests run devices of `atSign` against one dev-server
 * (call it inside `describe`): the dev-server and its data dir live for the suite; each test
 * gets a fresh folder for its devices' store files, removed with the devices after it.
 */
export function useDevServer(atSign: string, tmpPrefix: string, server: Omit<DevServerOptions, "dataDir">): DevServerSuite {
  const s = new DevServerSuite(atSign);
  let dataDir = "";

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `${tmpPrefix}-`));
    s.dev = await startDevServer({ dataDir, ...server });
    s.raw = rawRemote(s.dev, atSign);
  });

  after(async () => {
    await s.raw?.close();
    await s.dev?.stop();
    if (dataDir !== "") rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    s.dir = mkdtempSync(join(tmpdir(), `${tmpPrefix}-devices-`));
    s.devices = [];
  });

  afterEach(async () => {
    for (const d of s.devices) await d.close();
    rmSync(s.dir, { recursive: true, force: true });
  });

  return s;
}
