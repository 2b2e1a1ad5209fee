// Pulls (cursor, target] with `sync:from` pages, over one connection or, for a long lag, over
// several in disjoint commit-id ranges (daemon/core/pullRanges.ts says why that is sound).
// Short and empty pages never end a range early.
//
// Pages are not applied where they arrive: each lane queues its page and asks for the next one
// at once, and the queue is applied in one transaction per turn of the event loop. A commit per
// page was the engine's largest cost in an initial sync; this way the network and the store
// overlap, and pages that arrive together share a commit. The last received id still moves only
// over what the applied pages prove (contiguousProgress at the time of the apply).
import { AtProtocolError } from "../../protocol/errors.js";
import { InternalCode } from "../../shared/errors.js";
import { checkPageOrder, cursorAfterEmptyPage, parseStats15CommitIds, parseStats3, parseSyncPage, statsCommand, syncFromCommand } from "../core/pull.js";
import { contiguousProgress, PARALLEL_MIN_GAP, splitRanges, type PullRange } from "../core/pullRanges.js";
import type { RemoteEntry } from "../core/types.js";
import type { AtRemote } from "../ports.js";
import { applyPulled, type PullApplyContext, type PullApplyResult } from "./applyPulled.js";

export interface RangePullerDeps {
  remotes: readonly AtRemote[];
  apply: PullApplyContext;
  regex: string | undefined;
  signal: AbortSignal;
  onApplied: (res: PullApplyResult) => void;
  /** The commit ids (from, to] arrived (once per page, before it is applied). */
  onCovered?: (from: number, to: number) => void;
}

/** The server's commit id fell below the one this pull was aiming at: its log was reset mid-pull. */
export class ServerResetDuringPullError extends Error {
  readonly code = InternalCode.ATSYNC_SERVER_RESET;
  readonly retryable = true;
  constructor(readonly serverCommitId: number | null) {
    super("the server's commit id went back during a pull");
    this.name = "ServerResetDuringPullError";
  }
}

export class RangePuller {
  private latestIds: Promise<number[]> | null = null;
  private failed = false;
  private target = -1;
  private cursor = -1;
  private ranges: readonly PullRange[] = [];
  private queued: RemoteEntry[][] = [];
  private flushScheduled = false;
  private applyError: unknown = null;

  constructor(private readonly d: RangePullerDeps) {}

  async pull(cursor: number, target: number): Promise<void> {
    this.target = target;
    this.cursor = cursor;
    const lanes = target - cursor > PARALLEL_MIN_GAP ? this.d.remotes.length : 1;
    const ranges = splitRanges(cursor, target, lanes);
    this.ranges = ranges;
    const results = await Promise.allSettled(ranges.map((r, i) => this.pullRange(this.d.remotes[i] ?? this.d.remotes[0]!, r)));
    // What arrived before a failure is applied too: it is valid, and the next run resumes after it.
    this.applyQueued();
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
    if (this.applyError !== null) throw this.applyError;
  }

  private request(remote: AtRemote, command: string): Promise<string> {
    return remote.request(command, { signal: this.d.signal });
  }

  /** Queues a page's entries; the queue is applied on the next turn of the event loop. */
  private enqueue(entries: RemoteEntry[]): void {
    this.queued.push(entries);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.applyQueued();
    });
  }

  /** Applies every queued page in one transaction, and moves the last received id as far as the ranges prove. */
  private applyQueued(): void {
    const pages = this.queued;
    this.queued = [];
    if (pages.length === 0 || this.applyError !== null) return;
    try {
      const progress = contiguousProgress(this.cursor, this.ranges);
      const entries = pages.length === 1 ? pages[0]! : pages.flat();
      const res = applyPulled(this.d.apply, entries, progress);
      if (entries.length > 0) this.d.onApplied(res);
    } catch (err) {
      // A store failure stops every lane at its next page.
      this.applyError = err;
      this.failed = true;
    }
  }

  private async pullRange(remote: AtRemote, r: PullRange): Promise<void> {
    let checkedServer = false;
    try {
      while (r.pos < r.end && !this.failed) {
        const before = r.pos;
        const page = parseSyncPage(await this.request(remote, syncFromCommand(r.pos, this.d.regex)));
        checkPageOrder(page, r.pos);
        // The last range keeps what lies past the target too: it is news, and a push follows this
        // pull (the simulator's seed 2 lost a newer delete to it). Other ranges leave the rest to their neighbour.
        const mine = r.end >= this.target ? page.entries : page.entries.filter((e) => e.commitId <= r.end);
        if (page.maxCommitId > r.pos) {
          r.pos = Math.min(r.end, page.maxCommitId);
        } else {
          // Before skipping ahead over empty pages, make sure the server is still ahead: after a
          // reset its log is short, every page is empty, and the skip would walk to the old target.
          // Once per lane and run: a run of skipped ids costs a page per 25 of them, not two round trips each.
          if (!checkedServer) {
            const server = parseStats3(await this.request(remote, statsCommand(3, this.d.regex)));
            if (server === null || server < this.target) throw new ServerResetDuringPullError(server);
            checkedServer = true;
          }
          this.latestIds ??= this.request(remote, statsCommand(15, this.d.regex)).then(parseStats15CommitIds);
          r.pos = cursorAfterEmptyPage(r.pos, await this.latestIds, r.end);
        }
        if (r.pos <= before) throw new AtProtocolError("AT0011", "sync:from made no progress");
        if (r.pos >= r.end) r.done = true;
        this.d.onCovered?.(before, r.pos);
        this.enqueue(mine);
      }
      r.done = r.pos >= r.end;
    } catch (err) {
      // The other ranges stop at their next page; what they received is still applied.
      this.failed = true;
      throw err;
    }
  }
}
