// Pulls (cursor, target] with `sync:from` pages, over one connection or, for a long lag, over
// several in disjoint commit-id ranges (daemon/core/pullRanges.ts says why that is sound).
// Short and empty pages never end a range early.
import { AtProtocolError } from "../../protocol/errors.js";
import { cursorAfterEmptyPage, parseStats15CommitIds, parseSyncPage, statsCommand, syncFromCommand } from "../core/pull.js";
import { contiguousProgress, PARALLEL_MIN_GAP, splitRanges, type PullRange } from "../core/pullRanges.js";
import type { ConflictPolicy } from "../core/types.js";
import type { AtRemote } from "../ports.js";
import type { RemoteApplyResult, SqliteStore } from "../store/SqliteStore.js";

export interface RangePullerDeps {
  remotes: readonly AtRemote[];
  store: SqliteStore;
  regex: string | undefined;
  policy: ConflictPolicy;
  signal: AbortSignal;
  onApplied: (res: RemoteApplyResult) => void;
}

export class RangePuller {
  private latestIds: Promise<number[]> | null = null;
  private failed = false;

  constructor(private readonly d: RangePullerDeps) {}

  async pull(cursor: number, target: number): Promise<void> {
    const lanes = target - cursor > PARALLEL_MIN_GAP ? this.d.remotes.length : 1;
    const ranges = splitRanges(cursor, target, lanes);
    const results = await Promise.allSettled(ranges.map((r, i) => this.pullRange(this.d.remotes[i] ?? this.d.remotes[0]!, r, cursor, ranges)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
  }

  private request(remote: AtRemote, command: string): Promise<string> {
    return remote.request(command, { signal: this.d.signal });
  }

  private async pullRange(remote: AtRemote, r: PullRange, cursor: number, all: readonly PullRange[]): Promise<void> {
    try {
      while (r.pos < r.end && !this.failed) {
        const before = r.pos;
        const page = parseSyncPage(await this.request(remote, syncFromCommand(r.pos, this.d.regex)));
        const mine = page.entries.filter((e) => e.commitId <= r.end);
        if (page.maxCommitId > r.pos) {
          r.pos = Math.min(r.end, page.maxCommitId);
        } else {
          this.latestIds ??= this.request(remote, statsCommand(15, this.d.regex)).then(parseStats15CommitIds);
          r.pos = cursorAfterEmptyPage(r.pos, await this.latestIds, r.end);
        }
        if (r.pos <= before) throw new AtProtocolError("AT0011", "sync:from made no progress");
        if (r.pos >= r.end) r.done = true;
        const progress = contiguousProgress(cursor, all);
        if (mine.length > 0) this.d.onApplied(this.d.store.applyRemotePage(mine, this.d.policy, { lastReceived: progress }));
        else this.d.store.advanceLastReceived(progress);
      }
      r.done = r.pos >= r.end;
    } catch (err) {
      // The other ranges stop at their next page; what they applied stays applied.
      this.failed = true;
      throw err;
    }
  }
}
