// The atServer's clock minus ours, for last-writer-wins, from bounds rather than one reading:
// - a statsNotification stamped `epochMillis` and received at our `t` is never early, only late
//   (network, a stalled socket, a backlog after a reconnect): offset >= epochMillis - t;
// - our own push sent at our `t` was stamped `updatedAt` by the server after that: offset <=
//   updatedAt - t (read from its echo).
// The estimate is the value nearest 0 (clocks kept by NTP agree) within the recent bounds, so a
// late notification cannot make every local write look older than it is. Bounds age out after
// OFFSET_WINDOW_MS, so a clock step is followed; when the bounds cross (a step inside the window),
// the newest one wins.

/** How long a bound counts. */
export const OFFSET_WINDOW_MS = 10 * 60_000;

interface Bound {
  ms: number;
  atMs: number;
}

export class ClockOffset {
  private lower: Bound[] = [];
  private upper: Bound[] = [];
  private estimate = 0;

  /** A server time `serverMs` that was stamped no later than our `localMs` (a notification). */
  atMost(serverMs: number, localMs: number): void {
    this.lower = this.add(this.lower, { ms: serverMs - localMs, atMs: localMs });
    this.update(localMs);
  }

  /** A server time `serverMs` that was stamped no earlier than our `localMs` (our push's echo). */
  atLeast(serverMs: number, localMs: number): void {
    this.upper = this.add(this.upper, { ms: serverMs - localMs, atMs: localMs });
    this.update(localMs);
  }

  /** The highest lower bound still in the window at `nowMs` (the offset is at least this), or null. */
  lowerBound(nowMs: number): number | null {
    const lo = this.lower.filter((x) => nowMs - x.atMs < OFFSET_WINDOW_MS);
    return lo.length > 0 ? Math.max(...lo.map((b) => b.ms)) : null;
  }

  /** The estimate: 0 before any bound. */
  get ms(): number {
    return this.estimate;
  }

  private add(list: Bound[], b: Bound): Bound[] {
    return [...list.filter((x) => b.atMs - x.atMs < OFFSET_WINDOW_MS && x.atMs <= b.atMs), b];
  }

  private update(nowMs: number): void {
    const live = (l: Bound[]): Bound[] => l.filter((x) => nowMs - x.atMs < OFFSET_WINDOW_MS);
    const lo = live(this.lower);
    const hi = live(this.upper);
    const low = lo.length > 0 ? Math.max(...lo.map((b) => b.ms)) : -Infinity;
    const high = hi.length > 0 ? Math.min(...hi.map((b) => b.ms)) : Infinity;
    if (low <= high) {
      this.estimate = Math.min(Math.max(0, low), high);
      return;
    }
    // Crossed bounds: the clock stepped; the newest bound tells the truth of now.
    const newest = [...lo, ...hi].sort((a, b) => b.atMs - a.atMs)[0]!;
    this.estimate = newest.ms;
    this.lower = this.lower.filter((b) => b === newest || b.ms <= newest.ms);
    this.upper = this.upper.filter((b) => b === newest || b.ms >= newest.ms);
  }
}
