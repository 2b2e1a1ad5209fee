// Splitting a long pull over several connections. `sync:from:<id>` answers from any id, so
// disjoint commit-id ranges can be asked for in parallel; what makes it sound:
// - each connection keeps only the entries of its own range (a page may run past its end);
// - pages are applied out of order, so the store applies an entry only if it is newer than
//   the key's known commit id, and keeps tombstones for remote deletes (an older update of a
//   deleted key arriving late is ignored instead of bringing the key back);
// - the last received id moves only over the prefix of ranges that are complete, so a run cut
//   halfway resumes from there (re-applying a page is harmless by the rule above).

export interface PullRange {
  /** Exclusive lower bound: the range holds commit ids in (start, end]. */
  start: number;
  end: number;
  /** Highest id up to which this range has been received. */
  pos: number;
  done: boolean;
}

/** Below this many ids of lag a single connection is as fast (ranges would be a page or two). */
export const PARALLEL_MIN_GAP = 25 * 8;

export function splitRanges(cursor: number, target: number, n: number): PullRange[] {
  const gap = target - cursor;
  if (gap <= 0) return [];
  const parts = Math.max(1, Math.min(n, Math.ceil(gap / 25)));
  const size = Math.ceil(gap / parts);
  const ranges: PullRange[] = [];
  for (let i = 0; i < parts; i++) {
    const start = cursor + i * size;
    const end = Math.min(target, start + size);
    if (start < end) ranges.push({ start, end, pos: start, done: false });
  }
  return ranges;
}

/** The last received id the ranges prove: the end of every complete leading range, then the first incomplete one's position. */
export function contiguousProgress(cursor: number, ranges: readonly PullRange[]): number {
  let upTo = cursor;
  for (const r of ranges) {
    if (!r.done) return Math.max(upTo, r.pos);
    upTo = r.end;
  }
  return upTo;
}
