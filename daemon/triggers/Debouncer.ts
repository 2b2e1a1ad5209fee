// Collapses a burst of pokes (an interface coming up emits a dozen netlink lines) into one
// call, `delayMs` after the last poke, but never later than `maxWaitMs` after the first.
import type { Clock, Disposable } from "../ports.js";

export class Debouncer {
  private timer: Disposable | undefined;
  private firstAt: number | undefined;
  private count = 0;

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    private readonly maxWaitMs: number,
    private readonly fire: (pokes: number) => void,
  ) {}

  poke(): void {
    const now = this.clock.now();
    this.firstAt ??= now;
    this.count++;
    this.timer?.dispose();
    const wait = Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxWaitMs - now));
    this.timer = this.clock.setTimer(wait, () => this.flush());
  }

  private flush(): void {
    const n = this.count;
    this.timer = undefined;
    this.firstAt = undefined;
    this.count = 0;
    this.fire(n);
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    this.timer?.dispose();
    this.timer = undefined;
    this.firstAt = undefined;
    this.count = 0;
  }
}
