// The crash window that decides when restarting a worker has stopped helping (the restart
// delays themselves are daemon/backoff.ts).

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
