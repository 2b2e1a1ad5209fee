// The real Clock: wall time and node timers. Timers are unref'd so a pending timeout
// never keeps a worker (or a test run) alive on its own.
import type { Clock, Disposable } from "../ports.js";

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): Disposable {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return { dispose: () => clearTimeout(handle) };
  }
}
