// A Clock whose time moves only when a test says so; timers fire on advance().
import type { Clock, Disposable } from "../../../daemon/ports.js";

interface Timer {
  at: number;
  fn: () => void;
  seq: number;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Set<Timer>();

  constructor(startMs = Date.UTC(2026, 10, 22, 12, 0, 0)) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): Disposable {
    const timer: Timer = { at: this.t + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.add(timer);
    return { dispose: () => void this.timers.delete(timer) };
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers].filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.delete(due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}
