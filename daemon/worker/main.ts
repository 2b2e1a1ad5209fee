// The worker thread's composition root (house-style §3): one atSign, its store, its
// connections, its sync driver and cipher, wired once here and served over the port.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { SystemClock } from "../adapters/SystemClock.js";
import { DATA_DIR, ensurePrivateDir } from "../config/ensurePrivateDir.js";
import { rejectedInEffect } from "../core/syncState.js";
import type { SyncLoopState } from "../core/syncLoopState.js";
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from "../status/bounds.js";
import { ConnectionHealth } from "../status/ConnectionHealth.js";
import { HealthTrackingRemote } from "../status/HealthTrackingRemote.js";
import type { SyncFilter } from "../core/types.js";
import { ValueCipher } from "../crypto/ValueCipher.js";
import { createLogger, type LogLevel } from "../log/createLogger.js";
import type { Logger } from "../ports.js";
import { Backoff } from "../backoff.js";
import { Monitor } from "../remote/Monitor.js";
import { RootResolver } from "../remote/RootResolver.js";
import { TlsRemote } from "../remote/TlsRemote.js";
import { SqliteStore } from "../store/SqliteStore.js";
import { StoreError } from "../store/StoreError.js";
import { SyncDriver } from "../sync/SyncDriver.js";
import { followSharedKeys } from "./followSharedKeys.js";
import { forwardNotifications, lastNotificationKey, parseLastNotification } from "./forwardNotifications.js";
import { packReplies, receiveWorkerData, WorkerExitCode, type WorkerData, type WorkerToMain } from "./protocol.js";
import { MessageBatcher } from "./MessageBatcher.js";
import { NotificationOutbox } from "./NotificationOutbox.js";
import { OnDemandRemote } from "./OnDemandRemote.js";
import { PlaintextCache } from "./PlaintextCache.js";
import { StatusPublisher } from "./StatusPublisher.js";
import { storePath } from "./storePath.js";
import { toEventInput } from "./toEventInput.js";
import { WorkerCipherContext } from "./WorkerCipherContext.js";
import { readWorkerExtras } from "./workerExtras.js";
import { WorkerServer } from "./WorkerServer.js";
import { syncErrorCode } from "./toWireError.js";
import { testStartGate } from "./testStartGate.js";
import { ErrorCode, InternalCode } from "../../shared/errors.js";

const port = parentPort;
if (port === null) throw new Error("daemon/worker/main.js runs only as a worker thread");


function die(logger: Logger, code: number, message: string): never {
  logger.error(message, { exitCode: code });
  process.exit(code);
}

function openStore(logger: Logger, path: string, clock: SystemClock): SqliteStore {
  try {
    const uid = process.getuid?.();
    if (uid === undefined) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    else ensurePrivateDir(dirname(path), uid, DATA_DIR);
    return SqliteStore.open({ path, clock });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof StoreError && err.code === InternalCode.STORE_SCHEMA_TOO_NEW) die(logger, WorkerExitCode.SchemaTooNew, `store is from a newer atsyncd: ${message}`);
    die(logger, WorkerExitCode.StoreCorrupt, `cannot open the store: ${message}`);
  }
}

function readCa(logger: Logger, path: string | null): string | undefined {
  if (path === null) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    die(logger, WorkerExitCode.ConfigInvalid, `cannot read the CA file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function start(): void {
  const extras = readWorkerExtras(workerData);
  const bootLog = createLogger({ level: extras.logLevel as LogLevel }).child({ component: "worker" });
  let data: WorkerData;
  try {
    data = receiveWorkerData(workerData);
  } catch (err) {
    die(bootLog, WorkerExitCode.ConfigInvalid, `bad workerData: ${err instanceof Error ? err.message : String(err)}`);
  }
  const atSign = data.atSign.toLowerCase();
  // Components are child bindings: a binding given to createLogger would override theirs.
  const base = createLogger({ level: extras.logLevel as LogLevel, bindings: { atSign } });
  const logger = base.child({ component: "worker" });
  if (data.keys.pkamPrivateKey === undefined) die(logger, WorkerExitCode.KeysInvalid, "the stored keys hold no PKAM private key");
  // Replies, events and statuses go to main together at the end of each turn, in the order posted.
  const toMain = new MessageBatcher<WorkerToMain>({
    post: (m) => port?.postMessage(m),
    pack: packReplies,
    failed: (m, err) => logger.error("cannot post to main", { type: m.type, error: err instanceof Error ? err.message : String(err) }),
  });
  const post = (msg: WorkerToMain): void => toMain.push(msg);

  const clock = new SystemClock();
  const cfg = data.config;
  const store = openStore(logger, storePath(data.dataDir, atSign), clock);
  const ca = readCa(logger, cfg.ca);
  const caOpt = ca !== undefined ? { ca } : {};
  const resolver = new RootResolver({ root: `${cfg.rootServer.host}:${cfg.rootServer.port}`, clock, ...caOpt });
  const remoteOpts = { atSign, keys: data.keys, resolver, clock, ...caOpt };
  // Its requests' outcomes are the command connection's health, for the status.
  const syncRemote = new HealthTrackingRemote(new TlsRemote({ ...remoteOpts, logger: base.child({ component: "sync-remote" }) }), clock);
  // Extra connections a long (initial) pull spreads its commit-id ranges over: made for it, closed after it.
  const pullRemotes = [1, 2].map((n) => new OnDemandRemote(() => new TlsRemote({ ...remoteOpts, logger: base.child({ component: `pull-remote-${n}` }) })));
  const lookupRemote = new TlsRemote({ ...remoteOpts, logger: base.child({ component: "lookup-remote" }), requestTimeoutMs: 15_000 });
  // Where the last run's monitor stopped: this one replays what arrived since (monitor:<epochMillis>).
  const lastKey = lastNotificationKey(atSign);
  const last = parseLastNotification(store.get(lastKey)?.value);
  // Its heartbeat bounds how long a gone atServer can still look connected (daemon/status/bounds.ts).
  const monitor = new Monitor({
    ...remoteOpts, logger: base, backoff: new Backoff({ baseMs: 500, maxMs: 30_000 }),
    heartbeatMs: HEARTBEAT_INTERVAL_MS, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
    ...(last !== undefined ? { since: last.epochMillis } : {}),
  });
  const health = new ConnectionHealth(monitor, syncRemote, clock);
  const filter: SyncFilter = {
    ...(cfg.namespaces.length > 0 ? { namespaces: cfg.namespaces } : {}),
    ...(cfg.regex !== null ? { regex: cfg.regex } : {}),
  };
  const driver = new SyncDriver({
    atSign, remote: syncRemote, pullRemotes, store, clock, logger: base.child({ component: "sync" }),
    backoff: new Backoff({ baseMs: 1000, maxMs: 60_000 }), notifications: monitor, policy: cfg.conflictPolicy, filter,
  });
  const cipher = new ValueCipher(data.keys, new WorkerCipherContext({
    atSign, encryptionPublicKey: data.keys.encryptionPublicKey, store, local: driver.local, remote: lookupRemote, clock,
  }));
  const status = new StatusPublisher({
    clock, keyStore: extras.keyStore, read: () => driver.facts(), health: () => health.facts(), logger: base.child({ component: "status" }),
    publish: (s) => post({ type: "status", status: s }),
    stateChanged: (c) => post({ type: "event", event: { kind: "state.changed", atSign, ...c } }),
    rejected: () => rejectedInEffect(store.rejectedRows()),
    onError: (err) => logger.warn("status not computed", { error: err instanceof Error ? err.message : String(err) }),
  });
  health.onChange(() => status.schedule());
  // Back in touch with the atServer: a sync that was backing off tries now, and a pull checks
  // what the monitor may have missed while it was away (its notifications died with it).
  monitor.onStateChange((s) => {
    if (s === "online") driver.retrySoon();
  });
  const outbox = new NotificationOutbox({
    atSign, selfEncryptionKey: data.keys.selfEncryptionKey, store, local: driver.local, cipher, remote: lookupRemote, clock,
    logger: base.child({ component: "notify-out" }), publish: (event) => post({ type: "event", event }),
  });
  const ctx = { atSign, store, driver, cipher, status, logger, clock, lookups: lookupRemote, notifications: outbox, plain: new PlaintextCache(), storeCache: () => store.cacheFacts() };

  driver.on((e) => {
    if (e.type === "state.changed") {
      status.schedule();
      monitorFollows(e.state);
    } else if (e.type === "sync.progress" || (e.type === "key.changed" && e.origin === "remote")) {
      status.scheduleThrottled();
    } else status.schedule();
    if (e.type === "server.reset") logger.warn("the atServer lost data; repairing from this device", { reason: e.reason, requeued: e.requeued });
    const ev = toEventInput(atSign, e);
    if (ev !== undefined) post({ type: "event", event: ev });
  });
  // A login the server refuses fails the same way on every retry (house-style §13): the
  // monitor stops with the sync, and starts again when a sync.now gets past it.
  function monitorFollows(state: SyncLoopState): void {
    if (state.kind === "needs-attention" && syncErrorCode(state.code) === ErrorCode.AuthFailed) {
      logger.warn("the atServer refuses these keys: monitor stopped until a sync.now or a new onboard", { code: state.code });
      void monitor.stop().catch((err: unknown) => logger.warn("monitor stop failed", { error: err instanceof Error ? err.name : "unknown" }));
    } else if (state.kind === "ready") {
      monitor.start();
      // Notifications asked for while offline go out now, in order.
      server.background(() => outbox.flush());
    }
  }
  const notifications = forwardNotifications({
    atSign, monitor, cipher, logger, post, ...(last !== undefined ? { last } : {}),
    remember: (l) => driver.local.put(lastKey, JSON.stringify(l), {}),
  });

  const server = new WorkerServer({
    ctx,
    post,
    flush: () => toMain.flush(),
    logger,
    testHooks: process.env.ATSYNCD_TEST_HOOKS === "1",
    onTrigger: (reason) => {
      if (reason === "network") monitor.reconnectNow();
      driver.requestPull();
    },
    close: async () => {
      notifications.dispose();
      outbox.dispose();
      sharing.dispose();
      health.dispose();
      await driver.stop();
      await monitor.stop();
      await Promise.all([syncRemote, lookupRemote, ...pullRemotes].map((r) => r.close()));
      status.close();
      store.close();
    },
    exit: (code) => {
      // What was answered before the exit still reaches main.
      toMain.flush();
      process.exit(code);
    },
  });
  const sharing = followSharedKeys({
    atSign, events: driver, cipher, run: (task) => server.background(task), logger: base.child({ component: "shared-keys" }),
  });
  port?.on("message", (raw: unknown) => server.receive(raw));

  monitor.start();
  driver.start();
  // A first run has nothing to resume from: the next one replays from this run's start, so what
  // arrives while this worker is down (or before its monitor is up) is not missed.
  if (last === undefined) driver.local.put(lastKey, JSON.stringify({ epochMillis: clock.now(), id: "" }), {});
  post({ type: "status", status: status.flush() });
  post({ type: "ready" });
  logger.info("worker ready");
}

const gate = testStartGate(workerData);
if (gate === undefined) start();
else void gate.then(start);
