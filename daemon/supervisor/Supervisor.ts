// One worker_thread per onboarded atSign. The main thread never opens a store: it forwards
// requests to the owning worker, restarts crashed workers while the others keep serving,
// and fans the workers' events out to whoever listens (the RPC layer).
import { availableParallelism } from "node:os";
import type { AtKeys } from "../../protocol/atKeysFile.js";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { BackoffOptions } from "../backoff.js";
import { normalizeAtSignName } from "../config/DaemonConfig.js";
import type { Clock, Disposable, Logger } from "../ports.js";
import type { TriggerReason, WorkerData } from "../worker/protocol.js";
import type { Cancellation } from "./CancelSource.js";
import { START_WAIT_MS } from "./HeldRequests.js";
import { StartQueue } from "./StartQueue.js";
import type { SupervisorEvent, WorkerInfo } from "./SupervisorEvent.js";
import { WorkerSlot } from "./WorkerSlot.js";

export interface SupervisorOptions {
  /** The worker entry: `dist/daemon/worker/main.js` in production, a test entry in tests. */
  workerUrl: URL;
  /** e.g. `["--import", "tsx"]` for a TypeScript entry in tests. */
  execArgv?: string[];
  /** Builds a worker's `workerData`; called at every (re)start, so config reloads apply on restart. */
  makeWorkerData(atSign: string, keys: AtKeys): WorkerData;
  clock: Clock;
  logger: Logger;
  /** Restart delays (daemon/backoff.ts); what is not given comes from RESTART_BACKOFF. */
  backoff?: Omit<BackoffOptions, "random">;
  /** A worker crashing `maxCrashes` times within `windowMs` is marked failed. Default 5 in 5 min. */
  crashLimit?: { maxCrashes: number; windowMs: number };
  /** A worker that has not said `ready` by then is terminated (and counts as a crash). Default 30 s. */
  readyTimeoutMs?: number;
  /** Running this long resets the backoff to its initial delay. Default 60 s. */
  healthyAfterMs?: number;
  /** How long `stop()`/`remove()` wait for a worker to finish before terminating it. Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Jitter source, injectable for tests. */
  random?: () => number;
  /** Workers starting at once (from spawn to ready). Default: the cores, os.availableParallelism(). */
  startConcurrency?: number;
  /** How long a request to a starting atSign waits for its worker before WorkerStarting. Default 30 s. */
  startWaitMs?: number;
}

/** An atSign's keys, or how to read them when its worker's turn to start comes (daemon start). */
export type KeysSource = AtKeys | (() => Promise<AtKeys | undefined>);

/** A crashed worker restarts after 500 ms, doubling up to 30 s, each delay within ±20%. */
export const RESTART_BACKOFF = { baseMs: 500, maxMs: 30_000, jitter: 0.2 } as const;

export type SupervisorListener = (e: SupervisorEvent) => void;

export class Supervisor {
  private readonly slots = new Map<string, WorkerSlot>();
  private readonly listeners = new Set<SupervisorListener>();
  private readonly queue: StartQueue;
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: SupervisorOptions) {
    this.queue = new StartQueue(o.startConcurrency ?? availableParallelism());
  }

  /**
   * Adds an atSign (daemon start, onboarding): its status says `starting` at once, and its worker
   * starts when the start queue gives it a turn.
   */
  add(atSign: string, keys: KeysSource): void {
    const name = normalizeAtSignName(atSign);
    if (this.stopping) throw new AtsyncError(ErrorCode.ShuttingDown, "atsyncd is shutting down");
    if (this.slots.has(name)) throw new AtsyncError(ErrorCode.AlreadyOnboarded, `${name} is already running`);
    const slot = new WorkerSlot(name, {
      workerUrl: this.o.workerUrl,
      execArgv: this.o.execArgv,
      makeWorkerData: typeof keys === "function"
        ? async () => {
          const k = await keys();
          if (k === undefined) throw new Error(`the keys of ${name} are no longer in the key store`);
          return this.o.makeWorkerData(name, k);
        }
        : () => this.o.makeWorkerData(name, keys),
      queue: this.queue,
      startWaitMs: this.o.startWaitMs ?? START_WAIT_MS,
      clock: this.o.clock,
      logger: this.o.logger.child({ atSign: name, component: "supervisor" }),
      backoff: { ...RESTART_BACKOFF, ...this.o.backoff },
      crashLimit: this.o.crashLimit ?? { maxCrashes: 5, windowMs: 5 * 60_000 },
      readyTimeoutMs: this.o.readyTimeoutMs ?? 30_000,
      healthyAfterMs: this.o.healthyAfterMs ?? 60_000,
      random: this.o.random ?? Math.random,
      emit: (e) => this.emit(e),
    });
    this.slots.set(name, slot);
    slot.start();
  }

  /** Offboards an atSign: stops its worker cleanly, then forgets it. */
  async remove(atSign: string): Promise<void> {
    const name = normalizeAtSignName(atSign);
    const slot = this.slots.get(name);
    if (slot === undefined) throw new AtsyncError(ErrorCode.NotOnboarded, `${name} is not onboarded`);
    // Kept in the map while stopping so a concurrent add() cannot open the same store twice.
    await slot.stop(this.o.shutdownTimeoutMs ?? 10_000);
    if (this.slots.get(name) === slot) this.slots.delete(name);
  }

  has(atSign: string): boolean {
    return this.slots.has(normalizeAtSignName(atSign));
  }

  atSigns(): string[] {
    return [...this.slots.keys()].sort();
  }

  workers(): WorkerInfo[] {
    return this.atSigns().map((a) => (this.slots.get(a) as WorkerSlot).info());
  }

  worker(atSign: string): WorkerInfo | undefined {
    return this.slots.get(normalizeAtSignName(atSign))?.info();
  }

  /**
   * Routes one request to the atSign's worker. Rejects with an AtsyncError: NotOnboarded,
   * WorkerRestarting (crashed, or died with this request in flight: retryable), WorkerFailed,
   * ShuttingDown, RequestCancelled (`cancel` fired), or whatever the worker answered.
   * `cancel` is an AbortSignal or, cheaper, the RPC request context itself (a CancelSource).
   */
  forward(atSign: string, method: string, params: unknown, cancel?: Cancellation): Promise<unknown> {
    return this.route(atSign, method, params, cancel, false);
  }

  /**
   * As forward(), for a caller that hands the result straight to the RPC layer: it may resolve with
   * the result as the worker serialized it (a RawJson), written into the reply unparsed.
   */
  forwardRaw(atSign: string, method: string, params: unknown, cancel?: Cancellation): Promise<unknown> {
    return this.route(atSign, method, params, cancel, true);
  }

  private route(atSign: string, method: string, params: unknown, cancel: Cancellation | undefined, raw: boolean): Promise<unknown> {
    if (this.stopping) return Promise.reject(new AtsyncError(ErrorCode.ShuttingDown, "atsyncd is shutting down"));
    // Apps pass the atSign as onboarded nearly always: the exact lookup spares normalizing per request.
    const slot = this.slots.get(atSign) ?? this.slots.get(normalizeAtSignName(atSign));
    if (slot === undefined) return Promise.reject(new AtsyncError(ErrorCode.NotOnboarded, `${normalizeAtSignName(atSign)} is not onboarded`));
    return slot.request(method, params, cancel, raw);
  }

  /** Pokes one worker (cron tick) or, without atSign, all of them (network change). */
  trigger(reason: TriggerReason, atSign?: string): void {
    const targets = atSign === undefined ? [...this.slots.values()] : [this.slots.get(normalizeAtSignName(atSign))];
    for (const slot of targets) {
      try {
        slot?.trigger(reason);
      } catch (err) {
        this.o.logger.warn("trigger not delivered", { atSign: slot?.atSign, reason, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** Gives a failed atSign a fresh start (after the user fixed what was wrong). */
  retry(atSign: string): void {
    const name = normalizeAtSignName(atSign);
    const slot = this.slots.get(name);
    if (slot === undefined) throw new AtsyncError(ErrorCode.NotOnboarded, `${name} is not onboarded`);
    slot.retry();
  }

  /** Fan-out of worker events, statuses and lifecycle changes. A throwing listener is logged, not propagated. */
  onEvent(listener: SupervisorListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(e: SupervisorEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.o.logger.error("supervisor listener threw", { kind: e.kind, error: err });
      }
    }
  }

  /** Shuts every worker down (each finishes in-flight work and closes its store). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const timeout = this.o.shutdownTimeoutMs ?? 10_000;
      await Promise.all([...this.slots.values()].map((s) => s.stop(timeout)));
      this.slots.clear();
    })();
    return this.stopping;
  }
}
