// The main thread's composition root (house-style §3): config and paths, the data-dir lock,
// the key store, one worker per onboarded atSign, the RPC server with every method, the
// event hub, and the triggers. `stop()` undoes all of it in the reverse order.
import { homedir } from "node:os";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { AtsyncError, ErrorCode } from "../shared/errors.js";
import { ATSYNCD_VERSION } from "../shared/version.js";
import { SystemClock } from "./adapters/SystemClock.js";
import { configFor, type AtSignConfig, type DaemonConfig } from "./config/DaemonConfig.js";
import { DataDirLock } from "./config/DataDirLock.js";
import { DATA_DIR, ensurePrivateDir, SOCKET_DIR } from "./config/ensurePrivateDir.js";
import { loadConfig } from "./config/loadConfig.js";
import { resolvePaths, type DaemonPaths } from "./config/paths.js";
import { Identities } from "./mainThread/Identities.js";
import { registerMethods } from "./mainThread/registerMethods.js";
import { statusOf } from "./mainThread/statusOf.js";
import { openKeyStore } from "./keystore/openKeyStore.js";
import type { KeyStore } from "./keystore/KeyStore.js";
import { createLogger } from "./log/createLogger.js";
import type { Logger } from "./ports.js";
import { EventHub } from "./rpc/EventHub.js";
import { RpcServer } from "./rpc/RpcServer.js";
import { Supervisor } from "./supervisor/Supervisor.js";
import { AppConsent } from "./web/AppConsent.js";
import { AppGrants } from "./web/AppGrants.js";
import { PageSessions } from "./web/PageSessions.js";
import { StatusPage } from "./web/StatusPage.js";
import { WebListener } from "./web/WebListener.js";
import { CronTrigger } from "./triggers/CronTrigger.js";
import { NetworkMonitor } from "./triggers/NetworkMonitor.js";
import type { WorkerData } from "./worker/protocol.js";
import type { WorkerExtras } from "./worker/workerExtras.js";

export const DAEMON_VERSION = ATSYNCD_VERSION;

/**
 * The young generation of each worker's V8 isolate, in MB a semi-space. Left to V8, a sync's
 * allocations grow it to 8 MB and it stays there: 6 MB of RSS per atSign for nothing (bench/memory.ts).
 */
const WORKER_SEMI_SPACE_MB = 1;

/**
 * Applies to isolates made from now on (the workers), not to this thread's heap, which V8 has
 * already sized. A run that set the flag itself (node --max-semi-space-size) keeps its choice.
 */
function limitWorkerYoungGeneration(): void {
  if (process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) return;
  setFlagsFromString(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
}

export interface DaemonOptions {
  dataDir?: string;
  socket?: string;
  configFile?: string;
  /** "file" skips the OS keychain (dev mode, tests). */
  keyStore?: "keychain" | "file";
  /** Laid over the config's defaults (dev mode points every atSign at the embedded root). */
  defaultsOverride?: Partial<AtSignConfig>;
  /** Serves test-only methods (`debug.crashWorker`). */
  testHooks?: boolean;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Watch the network for changes (default true). */
  watchNetwork?: boolean;
  /** Started by `atsyncd run --dev` (reported by `daemon.describe`: the file key store is by design there). */
  dev?: boolean;
  /** Serve browser apps on ws://127.0.0.1:PORT (0: any free port); over the config's `web`. */
  webPort?: number;
}

function workerEntry(): { url: URL; execArgv: string[] } {
  // From dist/ the worker is compiled JS; from source (tsx) it needs the loader too.
  const fromSource = fileURLToPath(import.meta.url).endsWith(".ts");
  // A daemon run under --cpu-prof (benchmarks) profiles its workers too.
  const prof = process.execArgv.filter((a) => a.startsWith("--cpu-prof"));
  return fromSource
    ? { url: new URL("./worker/main.ts", import.meta.url), execArgv: ["--import", "tsx", ...prof] }
    : { url: new URL("./worker/main.js", import.meta.url), execArgv: prof };
}

export class Daemon {
  private stopping: Promise<void> | undefined;
  private readonly stoppedWaiters: Array<() => void> = [];

  private constructor(
    readonly paths: DaemonPaths,
    readonly config: DaemonConfig,
    readonly keyStore: KeyStore,
    readonly identities: Identities,
    private readonly parts: {
      lock: DataDirLock;
      rpc: RpcServer;
      web: WebListener | undefined;
      hub: EventHub;
      supervisor: Supervisor;
      cron: CronTrigger;
      network: NetworkMonitor | undefined;
      logger: Logger;
      disposeMethods: () => void;
    },
  ) {}

  get socketPath(): string {
    return this.paths.socketPath;
  }

  get logger(): Logger {
    return this.parts.logger;
  }

  /**
   * Starts everything. Throws DataDirLockedError (another daemon has the data dir), a
   * ConfigError, or an AtsyncError from the socket (DaemonAlreadyRunning, SocketUnavailable).
   */
  static async start(opts: DaemonOptions = {}): Promise<Daemon> {
    const env = opts.env ?? process.env;
    const uid = process.getuid?.();
    const paths = resolvePaths(
      { platform: process.platform, env, home: homedir(), uid: uid ?? 0 },
      { dataDir: opts.dataDir, socket: opts.socket, configFile: opts.configFile },
    );
    // Before anything is read or started: a socket or data directory another user made (or can
    // write) is refused now. DataDirLock and RpcServer.listen check theirs again as they use them.
    if (uid !== undefined) {
      ensurePrivateDir(paths.socketDir, uid, SOCKET_DIR);
      ensurePrivateDir(paths.dataDir, uid, DATA_DIR);
    }
    const config = loadConfig(paths.configFile);
    if (opts.defaultsOverride) config.defaults = { ...config.defaults, ...opts.defaultsOverride };
    // Components bind their own `component`; a binding on the root would override theirs.
    const root = opts.logger ?? createLogger({ level: config.logLevel });
    const logger = root.child({ component: "daemon" });
    const clock = new SystemClock();
    const startedAt = clock.now();
    const lock = DataDirLock.acquire(paths.dataDir);
    const cleanups: Array<() => Promise<void> | void> = [() => lock.release()];
    const undo = async (): Promise<void> => {
      for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    };
    try {
      const opened = await openKeyStore({ dataDir: paths.dataDir, ...(opts.keyStore ? { prefer: opts.keyStore } : {}), env });
      const keyStore = opened.store;
      if (opened.fallbackReason) logger.warn("using the file key store", { reason: opened.fallbackReason });
      const entry = workerEntry();
      limitWorkerYoungGeneration();
      const supervisor = new Supervisor({
        workerUrl: entry.url,
        execArgv: entry.execArgv,
        clock,
        logger: root,
        makeWorkerData: (atSign, keys) => {
          const data: WorkerData & WorkerExtras = {
            atSign, dataDir: paths.dataDir, keys, config: configFor(config, atSign), logLevel: config.logLevel, keyStore: keyStore.kind,
          };
          return data;
        },
      });
      cleanups.push(() => supervisor.stop());
      const hub = new EventHub({ snapshot: () => supervisor.workers().map((w) => statusOf(w, keyStore.kind)), clock, logger: root });
      cleanups.push(() => hub.close());
      supervisor.onEvent((e) => {
        if (e.kind === "worker.event") hub.publish(e.event);
        else if (e.kind === "worker.status") hub.publish({ kind: "status.changed", atSign: e.atSign, status: { ...e.status, keyStore: keyStore.kind } });
        else if (e.to.kind === "starting" || e.to.kind === "backoff" || e.to.kind === "failed") {
          const info = supervisor.worker(e.atSign);
          if (info) hub.publish({ kind: "status.changed", atSign: e.atSign, status: statusOf(info, keyStore.kind) });
        }
      });
      const cron = new CronTrigger({ logger: root, onFire: (atSign) => supervisor.trigger("schedule", atSign) });
      cleanups.push(() => cron.stop());
      const identities = new Identities({ config, keyStore, fallbackReason: opened.fallbackReason, supervisor, cron, clock, logger: root.child({ component: "identities" }) });
      // Every onboarded atSign is added before the socket answers, so a client connecting at once
      // sees each (`starting`); the socket does not wait for their workers, which start a few at a
      // time (the supervisor's start queue), each reading its keys when its turn comes.
      for (const atSign of await keyStore.list()) {
        try {
          identities.startStored(atSign, () => keyStore.get(atSign));
        } catch (err) {
          logger.error("cannot start an onboarded atSign", { atSign, error: err instanceof Error ? err.message : String(err) });
        }
      }
      const rpc = await RpcServer.listen({ socketPath: paths.socketPath, daemonVersion: DAEMON_VERSION, clock, logger: root });
      cleanups.push(() => rpc.close());
      const grants = new AppGrants(paths.dataDir);
      // Browser grants only: sync starts anyway, and every apps.* call names the file until it is fixed.
      if (grants.readError) logger.error("browser apps: apps.json cannot be read", { code: grants.readError.code, error: grants.readError.message });
      const consent = new AppConsent(grants, hub, clock, root.child({ component: "apps" }));
      const sessions = new PageSessions(clock);
      // The shutdown method needs the daemon it is part of, built just below.
      const self: { daemon?: Daemon } = {};
      const webHolder: { web?: WebListener } = {};
      const methods = registerMethods({
        rpc, hub, supervisor, identities, consent, keyStoreKind: keyStore.kind, testHooks: opts.testHooks === true,
        describe: () => ({
          version: DAEMON_VERSION, pid: process.pid, startedAt, socketPath: paths.socketPath, dataDir: paths.dataDir,
          configFile: paths.configFile, keyStore: keyStore.kind, dev: opts.dev === true,
          ...(webHolder.web ? { webUrl: `ws://127.0.0.1:${webHolder.web.port}` } : {}),
          memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
        }),
        webLogin: () => {
          const web = webHolder.web;
          if (!web) throw new AtsyncError(ErrorCode.WebOff, "the web listener is off: start atsyncd with `atsyncd run --web` (or set \"web\": true in the config)");
          const login = sessions.issueLogin();
          return { url: web.loginUrl(login.token), expiresAt: login.expiresAt };
        },
        shutdown: () => void self.daemon?.stop().catch((err: unknown) => logger.error("shutdown failed", { error: err })),
      });
      cleanups.push(() => methods.dispose());
      const webPort = opts.webPort ?? config.webPort;
      if (webPort !== undefined) {
        const web = await WebListener.listen({ port: webPort, rpc, consent, page: StatusPage.load(sessions), clock, logger: root });
        webHolder.web = web;
        cleanups.push(() => web.close());
      }
      let network: NetworkMonitor | undefined;
      if (opts.watchNetwork !== false) {
        network = new NetworkMonitor({ clock, logger: root, onChange: () => supervisor.trigger("network") });
        network.start();
      }
      const daemon = new Daemon(paths, config, keyStore, identities, {
        lock, rpc, web: webHolder.web, hub, supervisor, cron, network, logger, disposeMethods: () => methods.dispose(),
      });
      self.daemon = daemon;
      logger.info("atsyncd running", { socket: paths.socketPath, web: webHolder.web?.port, dataDir: paths.dataDir, keyStore: keyStore.kind, atSigns: supervisor.atSigns() });
      return daemon;
    } catch (err) {
      await undo();
      throw err;
    }
  }

  /** Resolves once the daemon has stopped (by `stop()`, a signal, or `daemon.shutdown`). */
  whenStopped(): Promise<void> {
    if (this.stopping === undefined) return new Promise((resolve) => this.stoppedWaiters.push(resolve));
    return this.stopping;
  }

  /**
   * Stops accepting, lets requests in flight finish, stops every worker (each closes its
   * store), removes the socket and releases the lock. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const p = this.parts;
      p.logger.info("atsyncd stopping");
      await p.cron.stop().catch(() => undefined);
      await p.network?.stop().catch(() => undefined);
      await p.rpc.close({ drainMs: 5000 });
      await p.web?.close();
      p.disposeMethods();
      await p.supervisor.stop();
      p.hub.close();
      p.lock.release();
      p.logger.info("atsyncd stopped");
      for (const w of this.stoppedWaiters.splice(0)) w();
    })();
    return this.stopping;
  }
}

