// When the server's log reached each commit id, on the server's clock: a statsNotification says
// "at epochMillis E the last commit id was C", so every entry at or below C was written by E.
// That is an upper bound on the time of an entry that carries none (a delete), tighter than the
// entries around it when it is the last of a page. Kept in memory: a restart falls back to the
// neighbouring entries; a log that went back (a restore) clears the marks.

/** Most marks kept; each new one drops those it makes useless. */
const MAX_MARKS = 256;

export interface HeadMark {
  commitId: number;
  atMs: number;
}

export class HeadMarks {
  private marks: HeadMark[] = [];

  /** The server's head was `commitId` at its time `atMs`. */
  record(commitId: number, atMs: number): void {
    if (!Number.isInteger(commitId) || commitId < 0 || !Number.isFinite(atMs)) return;
    const top = this.marks[this.marks.length - 1];
    if (top && commitId < top.commitId) this.marks = []; // the log went back
    // A mark is useless when another covers at least its ids by an earlier time.
    if (this.marks.some((m) => m.commitId >= commitId && m.atMs <= atMs)) return;
    this.marks = this.marks.filter((m) => !(m.commitId <= commitId && m.atMs >= atMs));
    this.marks.push({ commitId, atMs });
    this.marks.sort((a, b) => a.commitId - b.commitId);
    if (this.marks.length > MAX_MARKS) this.marks.splice(0, this.marks.length - MAX_MARKS);
  }

  clear(): void {
    this.marks = [];
  }

  /** The earliest server time by which entry `commitId` existed, or null. */
  writtenBy(commitId: number): number | null {
    let best: number | null = null;
    for (const m of this.marks) if (m.commitId >= commitId && (best === null || m.atMs < best)) best = m.atMs;
    return best;
  }
}
