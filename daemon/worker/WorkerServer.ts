// Serves main's messages for one atSign: requests through the serial inbox, cancellations,
// triggers, and the shutdown that finishes in-flight work before the store closes.
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { Logger } from "../ports.js";
import { parseMainToWorker, unbatch, type MainToWorker, type TriggerReason, type WorkerToMain } from "./protocol.js";
import { DEBUG_CRASH_METHOD, WORKER_HANDLERS } from "./handlers/index.js";
import { DEBUG_MEMORY_METHOD, debugMemory } from "./handlers/debugMemory.js";
import { Inbox, isDetached } from "./Inbox.js";
import { toWireError } from "./toWireError.js";
import { isThenable } from "../thenable.js";
import type { WorkerContext } from "./WorkerContext.js";

export interface WorkerServerOptions {
  ctx: WorkerContext;
  /** Into this turn's batch to main (MessageBatcher.ts). */
  post(msg: WorkerToMain): void;
  /** Posts that batch now. */
  flush(): void;
  logger: Logger;
  onTrigger(reason: TriggerReason): void;
  /** Stops sync, closes connections and the store; called once, after in-flight requests finished. */
  close(): Promise<void>;
  /** Ends the thread with an exit code. */
  exit(code: number): void;
  /** Whether test-only methods are served (ATSYNCD_TEST_HOOKS=1). */
  testHooks: boolean;
}

/**
 * Methods that only read one key from the store (and decrypt it on a cache miss): their replies
 * wait for the end of the turn to go to main together. Before any other method runs, the replies
 * gathered so far are posted, so that none waits behind a write's fsync or a long listing.
 */
const QUICK_METHODS: ReadonlySet<string> = new Set(["keys.get", "keys.getMeta"]);

/** What handlers that declare no `signal` parameter get: they finish before a cancel could matter. */
const NEVER: AbortSignal = new AbortController().signal;

/** One accepted request: cancelled by main or not, and its signal, made on first use. */
class InFlight {
  cancelled = false;
  private ac: AbortController | undefined;

  get signal(): AbortSignal {
    this.ac ??= new AbortController();
    if (this.cancelled) this.ac.abort();
    return this.ac.signal;
  }

  cancel(): void {
    this.cancelled = true;
    this.ac?.abort();
  }
}

export class WorkerServer {
  private readonly inbox = new Inbox();
  private readonly inFlight = new Map<number, InFlight>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: WorkerServerOptions) {}

  /** Entry point for every raw message from main (one, or a batch of them in order); never throws. */
  receive(raw: unknown): void {
    let list: unknown[];
    try {
      list = unbatch(raw);
    } catch (err) {
      this.o.logger.warn("dropped malformed message from main", { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    for (const m of list) this.receiveOne(m);
  }

  private receiveOne(raw: unknown): void {
    let msg: MainToWorker;
    try {
      msg = parseMainToWorker(raw);
    } catch (err) {
      this.o.logger.warn("dropped malformed message from main", { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    switch (msg.type) {
      case "request":
        this.request(msg.id, msg.method, msg.params);
        return;
      case "cancel":
        this.inFlight.get(msg.id)?.cancel();
        return;
      case "trigger":
        if (this.stopping === undefined) this.o.onTrigger(msg.reason);
        return;
      case "shutdown":
        void this.shutdown();
        return;
    }
  }

  private request(id: number, method: string, params: unknown): void {
    if (this.stopping !== undefined) {
      this.o.post({ type: "reply", id, error: new AtsyncError(ErrorCode.ShuttingDown, `${this.o.ctx.atSign} is stopping`).toJSON() });
      return;
    }
    if (method === DEBUG_CRASH_METHOD && this.o.testHooks) {
      this.o.logger.warn("crashing on request (test hook)");
      this.o.exit(1);
      return;
    }
    const handler = WORKER_HANDLERS.get(method) ?? (method === DEBUG_MEMORY_METHOD && this.o.testHooks ? debugMemory : undefined);
    if (handler === undefined) {
      this.o.post({ type: "reply", id, error: { code: ErrorCode.MethodNotFound, message: `the worker has no method ${method}` } });
      return;
    }
    // Most requests finish within one turn and nobody cancels them: their controller is made
    // only when a handler asks for the signal or main cancels (an AbortSignal costs microseconds).
    const flight = new InFlight();
    this.inFlight.set(id, flight);
    const quick = QUICK_METHODS.has(method);
    // The reply is posted inside the task, before the next task starts: a flush before a slow
    // task takes every reply finished before it.
    this.inbox.enqueue(() => {
      if (flight.cancelled) {
        this.replyError(id, new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
        return undefined;
      }
      if (!quick) this.o.flush();
      let out: unknown;
      try {
        out = handler(this.o.ctx, params, handler.length >= 3 ? flight.signal : NEVER);
      } catch (err) {
        this.replyError(id, err);
        return undefined;
      }
      if (!isThenable(out)) {
        this.settle(id, out);
        return undefined;
      }
      return out.then((r) => this.settle(id, r), (err: unknown) => this.replyError(id, err ?? new Error("rejected")));
    });
  }

  /** A handler's result: replied now, or (detached: it only started something long) once it resolves, outside the inbox. */
  private settle(id: number, result: unknown): void {
    if (!isDetached(result)) {
      this.reply(id, result);
      return;
    }
    result.detached.then((r) => this.reply(id, r), (err: unknown) => this.replyError(id, err ?? new Error("rejected")));
  }

  /** The result serialized here (main writes it into the app's reply as it is); never throws. */
  private reply(id: number, result: unknown): void {
    this.inFlight.delete(id);
    let json: string;
    try {
      // A result that serializes to nothing (a function, a symbol) would be written raw as an invalid frame: it replies null.
      json = (JSON.stringify(result ?? null) as string | undefined) ?? "null";
    } catch (err) {
      this.replyError(id, err);
      return;
    }
    this.postReply({ type: "reply", id, json });
  }

  private replyError(id: number, err: unknown): void {
    this.inFlight.delete(id);
    let error;
    try {
      error = toWireError(err);
    } catch (e) {
      error = { code: ErrorCode.Internal, message: "unknown failure in the worker" };
      this.o.logger.error("cannot describe a failure", { error: e instanceof Error ? e.message : String(e) });
    }
    this.postReply({ type: "reply", id, error });
  }

  private postReply(msg: WorkerToMain): void {
    try {
      this.o.post(msg);
    } catch (err) {
      this.o.logger.error("cannot post a reply", { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * Runs work of the worker's own (not a request) in the serial inbox, after what was accepted
   * before it; a shutdown waits for it. Ignored once stopping. `task` reports its own failures.
   */
  background(task: () => Promise<unknown>): void {
    if (this.stopping !== undefined) return;
    void this.inbox.run(task).catch((err: unknown) => this.o.logger.warn("background task failed", { error: err instanceof Error ? err.message : String(err) }));
  }

  /** Finishes what was accepted, closes everything, exits 0. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.o.logger.info("worker stopping", { inFlight: this.inbox.size });
      await this.inbox.drained();
      try {
        await this.o.close();
      } catch (err) {
        this.o.logger.error("error while closing", { error: err instanceof Error ? err.message : String(err) });
      }
      this.o.logger.info("worker stopped");
      this.o.exit(0);
    })();
    return this.stopping;
  }
}
