// Requests to an atSign whose worker is still starting: held in order until it says ready, then
// posted, each bounded by `waitMs` from its arrival (then WorkerStarting, retryable) and by its
// caller's cancellation. A worker that exits before it is ready takes them with it.
import { AtsyncError, ErrorCode } from "../../shared/errors.js";
import type { Clock, Disposable } from "../ports.js";
import type { Cancellation } from "./CancelSource.js";
import { PendingRequest } from "./PendingRequest.js";

export interface HeldRequest {
  readonly p: PendingRequest;
  readonly method: string;
  readonly params: unknown;
}

/** How long a request waits for a starting worker by default: the supervisor's ready timeout. */
export const START_WAIT_MS = 30_000;

export class HeldRequests {
  private readonly held = new Map<number, HeldRequest & { timer: Disposable; since: number }>();

  constructor(private readonly o: { atSign: string; clock: Clock; waitMs: number }) {}

  get size(): number {
    return this.held.size;
  }

  /** `cancelled` is the slot's one cancellation hook (it asks `cancel(id)` first). */
  hold(id: number, method: string, params: unknown, cancel: Cancellation | undefined, cancelled: (p: PendingRequest) => void, raw = false): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const p = new PendingRequest(id, resolve, reject, cancel, cancelled, raw);
      const since = this.o.clock.now();
      const timer = this.o.clock.setTimer(this.o.waitMs, () => {
        if (!this.held.delete(id)) return;
        const waitedMs = this.o.clock.now() - since;
        p.reject(new AtsyncError(ErrorCode.WorkerStarting, `${this.o.atSign} is still starting (waited ${waitedMs} ms for its worker); retry`, { waitedMs }));
      });
      this.held.set(id, { p, method, params, timer, since });
    });
  }

  /** Drops a held request its caller cancelled; false when it is not held (posted already). */
  cancel(id: number): boolean {
    const h = this.held.get(id);
    if (h === undefined) return false;
    this.held.delete(id);
    h.timer.dispose();
    h.p.reject(new AtsyncError(ErrorCode.RequestCancelled, "request cancelled"));
    return true;
  }

  /** Every held request, oldest first, no longer held (the worker is ready: the slot posts them). */
  release(): HeldRequest[] {
    const out = [...this.held.values()];
    this.held.clear();
    for (const h of out) h.timer.dispose();
    return out;
  }

  rejectAll(err: AtsyncError): void {
    for (const h of this.release()) h.p.reject(err);
  }
}
