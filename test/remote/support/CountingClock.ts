// The system clock, counting timers that are set and neither fired nor disposed: SystemClock's
// timers are unref'd, so process.getActiveResourcesInfo() cannot show a leaked one.
import type { Clock, Disposable } from "../../../daemon/ports.js";
import { SystemClock } from "../../../daemon/adapters/SystemClock.js";

export class CountingClock implements Clock {
  private readonly inner = new SystemClock();
  private live = 0;
  /** Every delay asked for, in order. */
  readonly delays: number[] = [];

  now(): number {
    return this.inner.now();
  }

  setTimer(ms: number, fn: () => void): Disposable {
    this.delays.push(ms);
    this.live++;
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        this.live--;
      }
    };
    const t = this.inner.setTimer(ms, () => {
      finish();
      fn();
    });
    return {
      dispose: () => {
        finish();
        t.dispose();
      },
    };
  }

  get liveTimers(): number {
    return this.live;
  }
}

/** Sockets and handles the process holds, by kind (TLSWrap, TCPWrap, Timeout, ...). */
export function activeHandles(kind: string): number {
  return process.getActiveResourcesInfo().filter((k) => k === kind).length;
}
