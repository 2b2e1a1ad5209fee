// One atSign's worker thread: spawns it when the start queue gives it a turn, holds requests
// until it is ready, routes requests and replies by id, restarts it after a crash with capped
// backoff, or marks it failed when restarting stops helping.
import { Worker } from "node:worker_threads";
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { SyncStatus } from "../../shared/status.js";
import { Backoff, type BackoffOptions } from "../backoff.js";
import { redactText } from "../log/redact.js";
import type { Clock, Disposable, Logger } from "../ports.js";
import { RawJson } from "../rpc/RawJson.js";
import { MessageBatcher } from "../worker/MessageBatcher.js";
import {
  exitCodeName, NO_RESTART_EXIT_CODES, parseWorkerToMain, unbatch,
  type MainToWorker, type ReplyMessage, type TriggerReason, type WorkerData, type WorkerToMain,
} from "../worker/protocol.js";
import type { Cancellation } from "./CancelSource.js";
import { CrashWindow } from "./CrashWindow.js";
import { HeldRequests } from "./HeldRequests.js";
import { PendingRequest } from "./PendingRequest.js";
import type { StartQueue, StartTicket } from "./StartQueue.js";
import type { SupervisorEvent, WorkerInfo } from "./SupervisorEvent.js";
import { checkTransition, type WorkerState } from "./WorkerState.js";

export interface SlotOptions {
  workerUrl: URL;
  execArgv: string[] | undefined;
  /** Its workerData at each (re)start; a promise when the keys are read from the key store first. */
  makeWorkerData: () => WorkerData | Promise<WorkerData>;
  /** Whose turn it is to start (shared by every slot of the supervisor). */
  queue: StartQueue;
  /** How long a request waits for the worker to be ready (HeldRequests). */
  startWaitMs: number;
  clock: Clock;
  logger: Logger;
  backoff: Omit<BackoffOptions, "random">;
  crashLimit: { maxCrashes: number; windowMs: number };
  readyTimeoutMs: number;
  healthyAfterMs: number;
  random: () => number;
  emit: (e: SupervisorEvent) => void;
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return redactText(msg).slice(0, 500);
}

export class WorkerSlot {
  private worker: Worker | undefined;
  /** What is posted to `worker` this turn, posted together at its end (one postMessage, not one per request). */
  private out: MessageBatcher<MainToWorker> | undefined;
  private st: WorkerState;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly held: HeldRequests;
  private ticket: StartTicket | undefined;
  private nextId = 1;
  private restarts = 0;
  private lastError: string | undefined;
  private status: SyncStatus | null = null;
  private readyTimer: Disposable | undefined;
  private healthyTimer: Disposable | undefined;
  private restartTimer: Disposable | undefined;
  private stopWaiters: Array<() => void> = [];
  private launched = false;
  private readonly crashes: CrashWindow;
  /** Its attempt count is the restart number the state reports. */
  private readonly backoff: Backoff;

  constructor(readonly atSign: string, private readonly o: SlotOptions) {
    this.crashes = new CrashWindow(o.crashLimit.maxCrashes, o.crashLimit.windowMs);
    this.backoff = new Backoff({ ...o.backoff, random: o.random });
    this.held = new HeldRequests({ atSign, clock: o.clock, waitMs: o.startWaitMs });
    this.st = { kind: "starting", since: o.clock.now(), attempt: 0 };
  }

  get state(): WorkerState {
    return this.st;
  }

  info(): WorkerInfo {
    return { atSign: this.atSign, state: this.st, restarts: this.restarts, status: this.status };
  }

  /** First start; afterwards the slot restarts itself (or `retry()` after failure). */
  start(): void {
    if (this.launched) return;
    this.launched = true;
    this.o.logger.info("worker starting");
    this.o.emit({ kind: "worker.state", atSign: this.atSign, from: "stopped", to: this.st, durationMs: 0 });
    this.enqueue();
  }

  private restart(): void {
    this.transition({ kind: "starting", since: this.o.clock.now(), attempt: this.backoff.attempt });
    this.enqueue();
  }

  /** Waits for a turn to start; the turn is given back once the worker is ready or gone. */
  private enqueue(): void {
    this.ticket?.release();
    this.ticket = this.o.queue.enter(() => this.guard("start", () => this.launch()));
  }

  private launch(): void {
    let data: WorkerData | Promise<WorkerData>;
    try {
      data = this.o.makeWorkerData();
    } catch (err) {
      this.fail(`cannot start worker: ${describe(err)}`, null);
      return;
    }
    if (!(data instanceof Promise)) {
      this.spawn(data);
      return;
    }
    data.then((d) => this.guard("start", () => {
      // Stopped while its keys were read: its turn goes to the next.
      if (this.st.kind === "starting" && this.worker === undefined) this.spawn(d);
      else this.ticket?.release();
    }), (err: unknown) => this.guard("start", () => {
      if (this.st.kind === "starting") this.fail(`cannot start worker: ${describe(err)}`, null);
      else this.ticket?.release();
    }));
  }

  /** Leaves `failed` for a fresh start with a clean crash history. */
  retry(): void {
    if (this.st.kind !== "failed") return;
    this.backoff.reset();
    this.crashes.reset();
    this.restart();
  }

  private spawn(workerData: WorkerData): void {
    let w: Worker;
    try {
      w = new Worker(this.o.workerUrl, { workerData, execArgv: this.o.execArgv });
    } catch (err) {
      this.fail(`cannot start worker: ${describe(err)}`, null);
      return;
    }
    this.worker = w;
    this.out = new MessageBatcher<MainToWorker>({ post: (m) => w.postMessage(m), failed: (m, err) => this.notPosted(w, m, err) });
    // One message may carry many (a batch): each is handled alone, so a bad one is dropped alone.
    w.on("message", (raw: unknown) => {
      let list: unknown[];
      try {
        list = unbatch(raw);
      } catch (err) {
        this.o.logger.warn("dropped malformed message from worker", { error: describe(err) });
        return;
      }
      for (const m of list) {
        try {
          this.onMessage(w, m);
        } catch (err) {
          this.bug("message", err);
        }
      }
    });
    w.on("messageerror", (err) => this.o.logger.warn("undecodable message from worker", { error: describe(err) }));
    w.on("error", (err) => {
      if (w === this.worker) this.lastError = describe(err);
    });
    w.on("exit", (code) => this.guard("exit", () => this.onExit(w, code)));
    this.readyTimer = this.o.clock.setTimer(this.o.readyTimeoutMs, () => {
      if (w !== this.worker || this.st.kind !== "starting") return;
      this.lastError = `worker not ready after ${this.o.readyTimeoutMs} ms`;
      void w.terminate().catch(() => undefined);
    });
  }

  // Nothing may escape a worker event listener: it would take the whole daemon down.
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.bug(what, err);
    }
  }

  private bug(what: string, err: unknown): void {
    this.o.logger.error("supervisor bug handling a worker event", { event: what, error: describe(err) });
  }

  private onMessage(w: Worker, raw: unknown): void {
    if (w !== this.worker) return;
    let msg: WorkerToMain;
    try {
      msg = parseWorkerToMain(raw);
    } catch (err) {
      this.o.logger.warn("dropped malformed message from worker", { error: describe(err) });
      return;
    }
    switch (msg.type) {
      case "ready":
        this.readyTimer?.dispose();
        this.ticket?.release();
        if (this.st.kind !== "starting") return;
        this.transition({ kind: "running", since: this.o.clock.now() });
        this.healthyTimer = this.o.clock.setTimer(this.o.healthyAfterMs, () => this.backoff.reset());
        for (const h of this.held.release()) this.send(w, h.p, h.method, h.params);
        return;
      case "reply": {
        const p = this.pending.get(msg.id);
        if (p === undefined) return; // cancelled or timed out on our side already
        this.pending.delete(msg.id);
        settle(p, msg);
        return;
      }
      case "event":
        this.o.emit({ kind: "worker.event", atSign: this.atSign, event: msg.event });
        return;
      case "status":
        this.status = msg.status;
        this.o.emit({ kind: "worker.status", atSign: this.atSign, status: msg.status });
        return;
    }
  }

  private onExit(w: Worker, code: number): void {
    if (w !== this.worker) return;
    this.worker = undefined;
    this.out = undefined;
    this.readyTimer?.dispose();
    this.healthyTimer?.dispose();
    this.ticket?.release();
    if (this.st.kind === "stopping") {
      this.rejectAll(new AtsyncError(ErrorCode.ShuttingDown, `${this.atSign} stopped before answering`));
      this.transition({ kind: "stopped", since: this.o.clock.now() });
      for (const done of this.stopWaiters.splice(0)) done();
      return;
    }
    const error = this.lastError ?? (code === 0 ? "worker exited without being asked to" : `worker exited with ${exitCodeName(code)}`);
    this.lastError = undefined;
    this.rejectAll(new AtsyncError(ErrorCode.WorkerRestarting, `${this.atSign} crashed while answering; retry`));
    const limitReached = this.crashes.record(this.o.clock.now());
    if (NO_RESTART_EXIT_CODES.has(code)) {
      this.fail(error, code);
    } else if (limitReached) {
      this.fail(`${error} (crashed ${this.crashes.count} times within ${this.o.crashLimit.windowMs} ms)`, code);
    } else {
      const delay = this.backoff.next();
      this.restarts++;
      const now = this.o.clock.now();
      this.o.logger.warn("worker crashed; restarting", { exitCode: code, error, restartInMs: delay });
      this.transition({ kind: "backoff", since: now, untilMs: now + delay, attempt: this.backoff.attempt, lastError: error, lastExitCode: code });
      this.restartTimer = this.o.clock.setTimer(delay, () => {
        this.guard("restart", () => {
          if (this.st.kind === "backoff") this.restart();
        });
      });
    }
  }

  private fail(error: string, code: number | null): void {
    this.ticket?.release();
    this.o.logger.error("worker failed; not restarting", { exitCode: code, error });
    this.transition({ kind: "failed", since: this.o.clock.now(), lastError: error, lastExitCode: code });
    this.held.rejectAll(new AtsyncError(ErrorCode.WorkerFailed, `${this.atSign} has failed and is not restarting: ${error}`));
  }

  /** Every request posted and not answered, and every one held for the start, with `err`. */
  private rejectAll(err: AtsyncError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
    this.held.rejectAll(err);
  }

  private transition(next: WorkerState): void {
    const from = this.st;
    checkTransition(from.kind, next.kind);
    this.st = next;
    const durationMs = next.since - from.since;
    this.o.logger.info("worker state changed", { from: from.kind, to: next.kind, durationMs });
    this.o.emit({ kind: "worker.state", atSign: this.atSign, from: from.kind, to: next, durationMs });
  }

  /** Into this turn's batch for `w` (posted at once when it is not the current worker's: it is going away). */
  private post(w: Worker, msg: MainToWorker): void {
    const out = this.out;
    if (out !== undefined && w === this.worker) out.push(msg);
    else w.postMessage(msg);
  }

  /** A message the batch could not post, even alone: a request's caller hears why; the rest only matter to a live worker. */
  private notPosted(w: Worker, msg: MainToWorker, err: unknown): void {
    if (msg.type !== "request") {
      this.o.logger.warn("message not delivered to the worker", { type: msg.type, error: describe(err) });
      return;
    }
    const p = this.pending.get(msg.id);
    if (p === undefined || w !== this.worker) return;
    this.pending.delete(msg.id);
    p.reject(new AtsyncError(ErrorCode.InvalidParams, `params cannot be passed to the worker: ${describe(err)}`));
  }

  /**
   * Sends one request; rejects with an AtsyncError when the worker cannot answer. While the worker
   * starts, the request waits for it (and it starts next if it was waiting for a turn).
   */
  request(method: string, params: unknown, cancel?: Cancellation, raw = false): Promise<unknown> {
    const st = this.st;
    const w = this.worker;
    if (st.kind === "starting") {
      if (cancel?.aborted) return Promise.reject(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
      this.ticket?.hurry();
      return this.held.hold(this.nextId++, method, params, cancel, this.onCancelled, raw);
    }
    if (st.kind === "backoff") {
      const retryAfterMs = Math.max(0, st.untilMs - this.o.clock.now());
      return Promise.reject(new AtsyncError(ErrorCode.WorkerRestarting, `${this.atSign} is restarting after a crash (${st.lastError}); retry in ${retryAfterMs} ms`, { retryAfterMs }));
    }
    if (st.kind === "failed") {
      return Promise.reject(new AtsyncError(ErrorCode.WorkerFailed, `${this.atSign} has failed and is not restarting: ${st.lastError}`));
    }
    if (st.kind === "stopping" || st.kind === "stopped" || w === undefined) {
      return Promise.reject(new AtsyncError(ErrorCode.ShuttingDown, `${this.atSign} is stopping`));
    }
    if (cancel?.aborted) return Promise.reject(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => this.send(w, new PendingRequest(id, resolve, reject, cancel, this.onCancelled, raw), method, params));
  }

  private send(w: Worker, p: PendingRequest, method: string, params: unknown): void {
    this.pending.set(p.id, p);
    this.post(w, { type: "request", id: p.id, method, params });
  }

  private readonly onCancelled = (p: PendingRequest): void => {
    if (this.held.cancel(p.id)) return;
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    // Still pending means the worker it was posted to is the current one (an exit rejects all).
    const w = this.worker;
    if (w !== undefined) {
      try {
        this.post(w, { type: "cancel", id: p.id });
      } catch {
        // The worker is going away; its exit rejects nothing more for this id.
      }
    }
    p.reject(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
  };

  /** Pokes a running worker (cron tick, network change); false when it is not running. */
  trigger(reason: TriggerReason): boolean {
    const w = this.worker;
    if (w === undefined || this.st.kind !== "running") return false;
    this.post(w, { type: "trigger", reason });
    return true;
  }

  /**
   * Asks the worker to finish in-flight work and close its store; terminates it after
   * `timeoutMs`. Resolves once it has exited. Idempotent.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.st.kind === "stopped") return;
    const stopped = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    if (this.st.kind === "stopping") return stopped;
    this.restartTimer?.dispose();
    this.readyTimer?.dispose();
    this.healthyTimer?.dispose();
    this.ticket?.release();
    this.held.rejectAll(new AtsyncError(ErrorCode.ShuttingDown, `${this.atSign} is stopping`));
    const w = this.worker;
    this.transition({ kind: "stopping", since: this.o.clock.now() });
    if (w === undefined) {
      this.transition({ kind: "stopped", since: this.o.clock.now() });
      for (const done of this.stopWaiters.splice(0)) done();
      return stopped;
    }
    try {
      this.post(w, { type: "shutdown" });
      this.out?.flush();
    } catch {
      // Already closing; the timer below still bounds the wait.
    }
    const killer = this.o.clock.setTimer(timeoutMs, () => {
      this.o.logger.warn("worker did not stop in time; terminating", { timeoutMs });
      void w.terminate().catch(() => undefined);
    });
    await stopped;
    killer.dispose();
  }
}

/**
 * A reply to its request: an error as the AtsyncError it names; a result serialized by the worker
 * as it is for a caller that takes it so (RawJson: the RPC layer writes it unparsed), else parsed.
 */
function settle(p: PendingRequest, msg: ReplyMessage): void {
  if ("error" in msg) {
    p.reject(AtsyncError.fromJSON(msg.error));
  } else if ("result" in msg) {
    p.resolve(msg.result);
  } else if (p.raw) {
    p.resolve(new RawJson(msg.json));
  } else {
    let value: unknown;
    try {
      value = JSON.parse(msg.json);
    } catch (err) {
      p.reject(new AtsyncError(ErrorCode.Internal, `the worker sent a result that is not JSON: ${describe(err)}`));
      return;
    }
    p.resolve(value);
  }
}
