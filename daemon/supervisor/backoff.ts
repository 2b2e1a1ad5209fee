// Restart delays: exponential, capped, jittered (house-style §20), and a crash window that
// decides when restarting has stopped helping.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of ± spread, e.g. 0.2 for ±20%. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** Delay before restart number `attempt` (0-based). `random` is injectable for tests. */
export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(p.maxMs, p.initialMs * p.factor ** Math.max(0, attempt));
  const spread = base * p.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(p.maxMs, base + spread)));
}

/** Remembers crash times; `record` says whether the limit is now reached. */
export class CrashWindow {
  private times: number[] = [];

  constructor(private readonly maxCrashes: number, private readonly windowMs: number) {}

  record(nowMs: number): boolean {
    this.times = this.times.filter((t) => nowMs - t < this.windowMs);
    this.times.push(nowMs);
    return this.times.length >= this.maxCrashes;
  }

  reset(): void {
    this.times = [];
  }

  get count(): number {
    return this.times.length;
  }
}
