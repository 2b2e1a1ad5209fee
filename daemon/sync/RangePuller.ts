// Pulls (cursor, target] with `sync:from` pages. daemon/core/pullFrontier.ts decides which pages
// to ask for and what each answer proves; this file sends them and applies what they carry.
//
// A long pull keeps many pages in flight: each connection (lane) takes the next pages the
// frontier hands out and asks for them in one `batch` (the atServer takes one command at a time
// per connection, so pipelining is a batch), starting with one plain page and doubling per round
// trip. Short and empty pages never end the pull early: what they leave unproven is asked for again.
//
// Pages are not applied where they arrive: they are queued, and the queue is applied in one
// transaction per turn of the event loop (a reply's pages, and those of every other reply that
// arrived with it). A commit per page was the engine's largest cost in an initial sync; this way
// the network and the store overlap, and what arrives together shares a commit. A page is applied
// in the turn it arrived, never later: what the engine received is what it has applied (the
// simulator's oracle judges a write known from when a device applied it). The last received id
// moves only over what the applied pages prove (the frontier's progress at the time of the apply).
import { AtProtocolError } from "../../protocol/errors.js";
import { InternalCode } from "../../shared/errors.js";
import { BatchedPageMissingError, checkPageOrder, cursorAfterEmptyPage, parseStats15CommitIds, parseStats3, parseSyncBatch, parseSyncPage, statsCommand, syncFromBatchCommand, syncFromCommand, SYNC_PAGE_LIMIT, type SyncPage } from "../core/pull.js";
import { nextPagesPerRequest, PARALLEL_MIN_GAP, PullFrontier } from "../core/pullFrontier.js";
import type { RemoteEntry } from "../core/types.js";
import type { AtRemote } from "../ports.js";
import { applyPulled, type PullApplyContext, type PullApplyResult } from "./applyPulled.js";

export interface RangePullerDeps {
  remotes: readonly AtRemote[];
  apply: PullApplyContext;
  regex: string | undefined;
  signal: AbortSignal;
  onApplied: (res: PullApplyResult) => void;
  /** The commit ids (from, to] arrived (each id once per pull, before its page is applied). */
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
  private frontier = new PullFrontier(-1, -1);
  private queued: RemoteEntry[][] = [];
  private flushScheduled = false;
  /** The progress the last apply wrote. */
  private appliedProgress = -1;
  private applyError: unknown = null;
  /** Largest page (characters) seen in this pull: how many pages a request may carry. */
  private largestPage = 0;
  /** Entries past the target already queued (no proof covers them, so a later page may repeat them). */
  private readonly pastTarget = new Set<number>();
  /** Lanes waiting for pages in flight elsewhere (their answers may leave a gap to ask for). */
  private waiting: Array<() => void> = [];
  /** The server would not run sync:from inside a batch: one plain page a request from then on. */
  private noBatch = false;
  constructor(private readonly d: RangePullerDeps) {}

  async pull(cursor: number, target: number): Promise<void> {
    this.frontier = new PullFrontier(cursor, target);
    this.appliedProgress = cursor;
    if (cursor >= target) return;
    const lanes = target - cursor > PARALLEL_MIN_GAP ? this.d.remotes : this.d.remotes.slice(0, 1);
    const results = await Promise.allSettled(lanes.map((r) => this.lane(r)));
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
    if (entries.length > 0) this.queued.push(entries);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After this turn of the event loop: replies that arrived with this one join the transaction.
    setImmediate(() => {
      this.flushScheduled = false;
      this.applyQueued();
    });
  }

  /** Applies every queued page in one transaction, and moves the last received id as far as the answers prove. */
  private applyQueued(): void {
    const pages = this.queued;
    this.queued = [];
    if (this.applyError !== null) return;
    const progress = this.frontier.progress;
    if (pages.length === 0 && progress <= this.appliedProgress) return;
    this.appliedProgress = progress;
    try {
      const entries = pages.length === 1 ? pages[0]! : pages.flat();
      const res = applyPulled(this.d.apply, entries, progress);
      if (entries.length > 0) this.d.onApplied(res);
    } catch (err) {
      // A store failure stops every lane at its next page.
      this.applyError = err;
      this.failed = true;
      this.wake();
    }
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  /** One connection: asks for the pages the frontier hands out until the range is proven. */
  private async lane(remote: AtRemote): Promise<void> {
    let perRequest = 1;
    let checkedServer = false;
    try {
      while (!this.frontier.done && !this.failed) {
        const froms = this.frontier.take(this.noBatch ? 1 : perRequest);
        if (froms.length === 0) {
          // Everything left is in flight on other lanes: wait for an answer (it may leave a gap).
          await new Promise<void>((resolve) => this.waiting.push(resolve));
          continue;
        }
        let pages: Array<{ page: SyncPage; chars: number }>;
        try {
          pages = await this.fetch(remote, froms);
        } catch (err) {
          for (const f of froms) this.frontier.release(f);
          if (froms.length > 1 && refusesBatchedPages(err)) {
            this.noBatch = true;
            continue;
          }
          throw err;
        }
        // Every page is checked before any is taken: a reply whose items carry one another's pages
        // (a server that mixes up the ids) would let the page of a lower id prove the range up
        // to a higher page's last id, past entries it never sent; one of them then fails the check.
        for (const [i, from] of froms.entries()) checkPageOrder(pages[i]!.page, from);
        for (const [i, from] of froms.entries()) {
          const { page, chars } = pages[i]!;
          this.largestPage = Math.max(this.largestPage, chars);
          let provenTo: number;
          if (page.maxCommitId > from) {
            provenTo = page.maxCommitId;
          } else {
            // Before skipping ahead over empty pages, make sure the server is still ahead: after a
            // reset its log is short, every page is empty, and the skip would walk to the old target.
            // Once per lane and run: a run of skipped ids costs a page per 25 of them, not two round trips each.
            if (!checkedServer) {
              const server = parseStats3(await this.request(remote, statsCommand(3, this.d.regex)));
              if (server === null || server < this.frontier.target) throw new ServerResetDuringPullError(server);
              checkedServer = true;
            }
            this.latestIds ??= this.request(remote, statsCommand(15, this.d.regex)).then(parseStats15CommitIds);
            provenTo = cursorAfterEmptyPage(from, await this.latestIds, this.frontier.target);
          }
          if (provenTo <= from) throw new AtProtocolError("AT0011", "sync:from made no progress");
          this.take(page.entries, from, provenTo, page.size >= SYNC_PAGE_LIMIT);
        }
        perRequest = nextPagesPerRequest(perRequest, this.largestPage);
        this.wake();
      }
    } catch (err) {
      // The other lanes stop at their next page; what they received is still applied.
      this.failed = true;
      this.wake();
      throw err;
    }
  }

  /** One plain page, or several in one batch. */
  private async fetch(remote: AtRemote, froms: readonly number[]): Promise<Array<{ page: SyncPage; chars: number }>> {
    if (froms.length === 1) {
      const data = await this.request(remote, syncFromCommand(froms[0]!, this.d.regex));
      return [{ page: parseSyncPage(data), chars: data.length }];
    }
    return parseSyncBatch(await this.request(remote, syncFromBatchCommand(froms, this.d.regex)), froms.length);
  }

  /** Records what a page from `from` proves and queues its entries that no earlier page sent. */
  private take(entries: readonly RemoteEntry[], from: number, provenTo: number, fullPage: boolean): void {
    const target = this.frontier.target;
    const fresh = entries.filter((e) => {
      if (e.commitId > target) {
        // Past the target is news too: a push follows this pull (the simulator's seed 2 lost a newer delete to it).
        if (this.pastTarget.has(e.commitId)) return false;
        this.pastTarget.add(e.commitId);
        return true;
      }
      return !this.frontier.isProven(e.commitId);
    });
    for (const [a, b] of this.frontier.answer(from, provenTo, fullPage)) this.d.onCovered?.(a, b);
    this.enqueue(fresh);
  }
}

/**
 * A server that does not take sync:from in a batch (the verb unknown there: AT0003, or items left
 * out of the reply) still serves every page alone, as the SDK asks for them. Any other error is
 * what the same sync:from alone would have met.
 */
function refusesBatchedPages(err: unknown): boolean {
  if (err instanceof AtProtocolError) return err.code === "AT0003";
  return err instanceof BatchedPageMissingError;
}
