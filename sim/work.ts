// Bounded work: round trips per sync run, and runs per trigger. The bounds (sim/README.md):
// a run asks for at most RUN_BASE + 3 × (pages of the log + 1) + 2 × (keys it has to push)
// round trips: three pulls (before the push, after it, and a repair from -1), each a stats:3 and
// one page per 25 commit ids, at most two commands per pending key, and two (a stats:3 and a page)
// per commit the server made while the run was open (a repair follows a head others move: its
// catch-ups, each bounded by MAX_REPAIR_CATCH_UPS, seed 18370).
export const RUN_BASE = 10;
const PAGE = 25;

interface OpenRun {
  requests: number;
  pendingKeys: number;
  writes: number;
  maxCommitId: number;
  /** The server's last commit id when the run started. */
  startCommitId: number;
}

export class WorkLog {
  readonly requests: number[];
  readonly runs: number[];
  private readonly open: Array<OpenRun | null>;
  readonly problems: string[] = [];
  /** The largest requests/bound ratio seen, for the report. */
  worst = { requests: 0, bound: 1 };

  constructor(devices: number) {
    this.requests = Array.from({ length: devices }, () => 0);
    this.runs = Array.from({ length: devices }, () => 0);
    this.open = Array.from({ length: devices }, () => null);
  }

  request(d: number, lastCommitId: number): void {
    this.requests[d]!++;
    const run = this.open[d];
    if (!run) return;
    run.requests++;
    run.maxCommitId = Math.max(run.maxCommitId, lastCommitId);
  }

  runStarted(d: number, pendingKeys: number, lastCommitId: number): void {
    this.runs[d]!++;
    this.open[d] = { requests: 0, pendingKeys, writes: 0, maxCommitId: lastCommitId, startCommitId: lastCommitId };
  }

  localWrite(d: number): void {
    const run = this.open[d];
    if (run) run.writes++;
  }

  runEnded(d: number, lastCommitId: number): void {
    const run = this.open[d];
    this.open[d] = null;
    if (!run) return;
    const maxId = Math.max(run.maxCommitId, lastCommitId);
    const during = Math.max(0, maxId - run.startCommitId);
    const bound = RUN_BASE + 3 * (Math.ceil((maxId + 1) / PAGE) + 1) + 2 * (run.pendingKeys + run.writes) + 2 * during;
    if (run.requests / bound > this.worst.requests / this.worst.bound) this.worst = { requests: run.requests, bound };
    if (run.requests > bound) {
      this.problems.push(`d${d}: one sync run made ${run.requests} round trips, over its bound of ${bound} (log up to id ${maxId}, ${during} commits during the run, ${run.pendingKeys + run.writes} keys to push)`);
    }
  }

  storm(message: string): void {
    this.problems.push(message);
  }
}
