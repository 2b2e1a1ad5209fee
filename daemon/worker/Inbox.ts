// The worker's one serial inbox (house-style §5): every request from main runs here, one at a
// time, in arrival order, so two writes never interleave their encrypt-then-store steps.
// A task that only *starts* something long (a sync to wait for) returns it wrapped in
// `detach()`: the inbox moves on and the caller awaits the detached promise outside it.
import { isThenable } from "../thenable.js";

export interface Detached<T> {
  readonly detached: Promise<T>;
}

export function detach<T>(p: Promise<T>): Detached<T> {
  // Observed here so a rejection before the caller awaits it is never "unhandled".
  p.catch(() => undefined);
  return { detached: p };
}

export function isDetached(v: unknown): v is Detached<unknown> {
  return typeof v === "object" && v !== null && "detached" in v && (v as { detached: unknown }).detached instanceof Promise;
}

export class Inbox {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Tasks accepted and not yet finished. */
  get size(): number {
    return this.queued;
  }

  /** Runs `task` after every task queued before it; resolves with its result (a detached one unwrapped). */
  run<T>(task: () => T | Promise<T> | Detached<T>): Promise<T> {
    this.queued++;
    const turn = this.tail.then(task);
    this.tail = turn.then(
      () => this.queued--,
      () => this.queued--,
    );
    return turn.then((v) => (isDetached(v) ? (v.detached as Promise<T>) : (v as T)));
  }

  /**
   * Runs `task` after every task queued before it, as `run` does, for a task that reports its own
   * outcome (a request's reply). With nothing queued it runs at once, in the caller's turn, and
   * one that finishes synchronously (a cached `keys.get`) costs no promise at all.
   */
  enqueue(task: () => unknown): void {
    if (this.queued === 0) {
      this.queued++;
      let out: unknown;
      try {
        out = task();
      } catch {
        out = undefined;
      }
      if (!isThenable(out)) {
        this.queued--;
        return;
      }
      this.tail = Promise.resolve(out).then(this.done, this.done);
      return;
    }
    this.queued++;
    this.tail = this.tail.then(task).then(this.done, this.done);
  }

  private readonly done = (): void => {
    this.queued--;
  };

  /** Resolves once every task queued so far has finished. */
  async drained(): Promise<void> {
    await this.tail;
  }
}
