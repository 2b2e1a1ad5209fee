// Retry delays: exponential, capped, with ± jitter so many clients do not retry in step
// (house-style §20). One policy for every retry of the daemon: a crashed worker's restart
// (supervisor/WorkerSlot), the monitor's reconnect (remote/Monitor) and a failed sync run
// (sync/SyncDriver). Callers schedule the delay on their Clock and reset after a healthy spell.

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Fraction of ± spread: 0.2 gives delays within ±20% of the nominal one. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private attempts = 0;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 1000;
    this.maxMs = opts.maxMs ?? 60_000;
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.2));
    this.random = opts.random ?? Math.random;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) throw new RangeError("Backoff needs 0 < baseMs <= maxMs");
  }

  /** The delay before the next attempt; each call doubles the nominal delay up to maxMs. */
  next(): number {
    const nominal = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempts, 52));
    this.attempts++;
    const spread = nominal * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(Math.min(this.maxMs, nominal + spread)));
  }

  reset(): void {
    this.attempts = 0;
  }

  get attempt(): number {
    return this.attempts;
  }
}
