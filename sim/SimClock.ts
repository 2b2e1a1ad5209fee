// Simulated time. Nothing in a simulation reads the real clock: the scheduler moves this one,
// firing timers in time order (ties in the order they were set). Each timer has an owner, so a
// crashed device's timers die with it.
import type { Clock, Disposable } from "../daemon/ports.js";

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  owner: object | null;
}

/** 2026-11-22 12:00:00 UTC, as the driver tests' ManualClock. */
export const SIM_EPOCH_MS = Date.UTC(2026, 10, 22, 12, 0, 0);

export class SimClock {
  private t = SIM_EPOCH_MS;
  private seq = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void, owner: object | null = null): Disposable {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, owner };
    this.timers.add(timer);
    return { dispose: () => void this.timers.delete(timer) };
  }

  /** Forgets every timer `owner` set (a crashed process keeps none). */
  dropOwner(owner: object): void {
    for (const timer of this.timers) if (timer.owner === owner) this.timers.delete(timer);
  }

  /** The time of the earliest timer, or null. */
  nextAt(): number | null {
    let best: Timer | null = null;
    for (const x of this.timers) if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    return best ? best.at : null;
  }

  /** Fires the earliest timer due at or before `until` (moving time to it); false when there is none. */
  fireNext(until: number): boolean {
    let best: Timer | null = null;
    for (const x of this.timers) if (x.at <= until && (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq))) best = x;
    if (!best) return false;
    this.timers.delete(best);
    this.t = Math.max(this.t, best.at);
    best.fn();
    return true;
  }

  /** Moves time to `t` without firing anything (callers fire what is due first). */
  moveTo(t: number): void {
    this.t = Math.max(this.t, t);
  }

  /** A device's view: sim time plus a fixed skew, timers owned by `owner`. */
  view(skewMs: number, owner: object): Clock {
    return {
      now: () => this.t + skewMs,
      setTimer: (ms, fn) => this.setTimer(ms, fn, owner),
    };
  }
}
