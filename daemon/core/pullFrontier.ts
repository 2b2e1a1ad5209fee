// Which `sync:from` pages a long pull asks for next, and what their answers prove. Pure.
//
// A page from id Q proves (Q, P], P its highest commit id: the server's window is the first 25
// log entries after Q that the regex selects (CommitLogKeyStore.getEntries), so every entry it
// holds in (Q, P] was in that window, sent or skipped (atprotocol.md §4 sync:from). Commit ids
// are unique, so 25 entries after Q reach at least Q+25: pages asked for at Q, Q+s, Q+2s... tile
// the range when s is what 25 entries span. Such pages need not wait for one another, so many
// go out at once (several connections, and several pages per `batch` command on each, since the
// atServer does not pipeline: §1.2). A page that proves less than its tile (the log is denser
// there, or the page is short) leaves a gap, which the next request starts at.
//
// The last received id moves only over the contiguous prefix of proven ids (progress), so a
// pull cut anywhere resumes from there; pages beyond a gap are applied already, and applying
// them again is harmless (the store applies an entry only if it is newer than what it holds).

import { SYNC_PAGE_LIMIT as PAGE_ENTRIES } from "./pull.js";

/**
 * Below this many ids of lag one connection is as fast as more: it asks for 1, 2, 4, 8, then 16
 * pages a round trip (775 ids in five), while an extra connection spends about as many round trips
 * logging in (root lookup, TCP, TLS, from, pkam) before its first page.
 */
export const PARALLEL_MIN_GAP = 2000;
/** Pages one request may carry at most (a `batch` of `sync:from` commands). */
export const MAX_PAGES_PER_REQUEST = 16;
/** What one request's reply should stay under, by the largest page seen so far in the pull. */
export const REQUEST_REPLY_BUDGET_BYTES = 2 * 1024 * 1024;
/** How many of the last full pages' spans set the stride. */
const SPAN_SAMPLES = 8;

/** (from, to]: the commit ids after `from` up to and including `to`. */
export type IdSpan = [from: number, to: number];

/**
 * Pages per request for a lane: doubles from 1 after each answer (the first request of a pull is
 * one plain page, so a short pull sends what it always did), never past MAX_PAGES_PER_REQUEST,
 * and never so many that pages as large as the largest seen would pass the reply budget.
 */
export function nextPagesPerRequest(previous: number, largestPageBytes: number): number {
  const byBytes = Math.max(1, Math.floor(REQUEST_REPLY_BUDGET_BYTES / Math.max(1, largestPageBytes)));
  return Math.max(1, Math.min(MAX_PAGES_PER_REQUEST, byBytes, previous * 2));
}

export class PullFrontier {
  /** Proven spans, sorted, disjoint and never touching (touching spans are merged). */
  private readonly proven: IdSpan[] = [];
  /** Pages asked for and not answered yet: their start and the end of the tile they stand for. */
  private readonly claims = new Map<number, number>();
  private readonly spans: number[] = [];
  private strideIds = PAGE_ENTRIES;

  constructor(
    readonly cursor: number,
    readonly target: number,
  ) {}

  /** The last received id the answers prove: the end of the proven prefix, at most the target. */
  get progress(): number {
    const first = this.proven[0];
    return first !== undefined && first[0] <= this.cursor ? first[1] : this.cursor;
  }

  get done(): boolean {
    return this.progress >= this.target;
  }

  /** Pages asked for and not answered. */
  get pending(): number {
    return this.claims.size;
  }

  /** Ids one page is expected to span: what the last full pages spanned at the least, never under PAGE_ENTRIES. */
  get stride(): number {
    return this.strideIds;
  }

  /**
   * Up to `n` pages to ask for: each starts at the lowest id neither proven nor claimed by a page
   * in flight, and claims a stride of ids (less where a proven or claimed span begins sooner).
   */
  take(n: number): number[] {
    const out: number[] = [];
    const busy = this.occupied();
    let pos = this.cursor;
    let i = 0;
    while (out.length < n && pos < this.target) {
      // Skip what is proven or claimed at pos.
      while (i < busy.length && busy[i]![1] <= pos) i++;
      const next = busy[i];
      if (next !== undefined && next[0] <= pos) {
        pos = next[1];
        continue;
      }
      const limit = Math.min(this.target, next !== undefined ? next[0] : this.target);
      const end = Math.min(limit, pos + this.strideIds);
      this.claims.set(pos, end);
      out.push(pos);
      pos = end;
    }
    return out;
  }

  /** A page from `from` is lost (its request failed): its tile may be asked for again. */
  release(from: number): void {
    this.claims.delete(from);
  }

  /**
   * The page from `from` proved (from, provenTo] (capped at the target); `fullPage` when it held
   * PAGE_ENTRIES entries, so that its span says how dense the log is. Returns the spans this
   * answer proved that no earlier one had, in order.
   */
  answer(from: number, provenTo: number, fullPage: boolean): IdSpan[] {
    this.claims.delete(from);
    if (fullPage && provenTo > from) this.observeSpan(provenTo - from);
    const to = Math.min(provenTo, this.target);
    if (to <= from) return [];
    const fresh: IdSpan[] = [];
    let pos = from;
    for (const [a, b] of this.proven) {
      if (b <= pos) continue;
      if (a >= to) break;
      if (a > pos) fresh.push([pos, a]);
      pos = Math.max(pos, b);
      if (pos >= to) break;
    }
    if (pos < to) fresh.push([pos, to]);
    this.merge(from, to);
    return fresh;
  }

  /** Whether `commitId` lies in a proven span (an earlier answer sent its entry already). */
  isProven(commitId: number): boolean {
    let lo = 0;
    let hi = this.proven.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.proven[mid]!;
      if (commitId <= a) hi = mid;
      else if (commitId > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private observeSpan(span: number): void {
    this.spans.push(span);
    if (this.spans.length > SPAN_SAMPLES) this.spans.shift();
    // The least of the recent spans: a denser stretch ahead leaves small gaps, not a page per tile.
    this.strideIds = Math.max(PAGE_ENTRIES, Math.min(...this.spans));
  }

  /** Proven spans and claims together, sorted by start. */
  private occupied(): IdSpan[] {
    const all: IdSpan[] = [...this.proven];
    for (const [a, b] of this.claims) all.push([a, b]);
    return all.sort((x, y) => x[0] - y[0]);
  }

  private merge(from: number, to: number): void {
    const p = this.proven;
    // The first span that ends at or after `from` (touching counts).
    let i = 0;
    while (i < p.length && p[i]![1] < from) i++;
    let a = from;
    let b = to;
    let j = i;
    while (j < p.length && p[j]![0] <= b) {
      a = Math.min(a, p[j]![0]);
      b = Math.max(b, p[j]![1]);
      j++;
    }
    p.splice(i, j - i, [a, b]);
  }
}
