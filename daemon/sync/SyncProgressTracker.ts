// How far a sync is, in figures that add up (shared/status.ts PhaseProgress): upload and download
// are separate phases with their own counts, both counted from when the sync began (runs back to
// back are one sync), and each total is what is done plus what is known to be left *now*, so it
// grows as writes keep arriving instead of being read once. The echo of our own uploads (the
// commits our batches were given, pulled back after the push) is not a download.
import type { PhaseProgress, SyncProgress } from "../../shared/status.js";

/** The window the rate is measured over. */
const RATE_WINDOW_MS = 10_000;
/** No rate before a phase has run this long (the first pages say little). */
const MIN_RATE_SPAN_MS = 1_000;

/** Commit ids our own uploads were given, sorted, to count what of a range is someone else's. */
export class OwnCommitIds {
  private readonly ids: number[] = [];

  add(id: number): void {
    const a = this.ids;
    if (a.length === 0 || id > a[a.length - 1]!) a.push(id);
    else {
      const i = lowerBound(a, id);
      if (a[i] !== id) a.splice(i, 0, id);
    }
  }

  /** Forgets the ids at or below `id`. */
  dropUpTo(id: number): void {
    const n = lowerBound(this.ids, id + 1);
    if (n > 0) this.ids.splice(0, n);
  }

  /** How many of the ids in (from, to] are not ours. */
  foreignIn(from: number, to: number): number {
    if (to <= from) return 0;
    return to - from - (lowerBound(this.ids, to + 1) - lowerBound(this.ids, from + 1));
  }
}

/** The first index whose value is at least `x`. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Phase {
  done = 0;
  private readonly samples: { at: number; done: number }[] = [];

  constructor(readonly startedAt: number) {
    this.samples.push({ at: startedAt, done: 0 });
  }

  add(n: number, now: number): void {
    this.done += n;
    this.samples.push({ at: now, done: this.done });
    while (this.samples.length > 2 && this.samples[1]!.at <= now - RATE_WINDOW_MS) this.samples.shift();
  }

  figures(left: number, now: number, moving: boolean): PhaseProgress {
    const total = this.done + Math.max(0, left);
    // From the last sample at or before the window's start (the first, in a young phase); a phase
    // with nothing in the window is stalled: no rate, rather than an average that decays.
    const windowStart = now - RATE_WINDOW_MS;
    const base = this.samples.findLast((s) => s.at <= windowStart) ?? this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const span = now - base.at;
    const moved = this.done - base.done;
    const live = moving && now - this.startedAt >= MIN_RATE_SPAN_MS && last.at > windowStart;
    const perSecond = live && span > 0 && moved > 0 ? (moved * 1000) / span : null;
    const etaMs = perSecond !== null ? Math.round(((total - this.done) / perSecond) * 1000) : null;
    // Two figures below 10/s: a change every 4 s is 0.25/s, not 0/s beside a time left.
    const shown = perSecond === null ? null : perSecond >= 10 ? Math.round(perSecond) : Number(perSecond.toPrecision(2));
    return { done: this.done, total, perSecond: shown, etaMs };
  }
}

export class SyncProgressTracker {
  private upload: Phase | null = null;
  private download: Phase | null = null;
  private current: "upload" | "download" | null = null;
  /** Someone else's commit ids left in the pull under way. */
  private pullLeft = 0;
  /** The commit ids our pushes were given and not yet pulled back (across runs: the echo may come in a later one). */
  private readonly own = new OwnCommitIds();
  private began: number | null = null;

  constructor(private readonly now: () => number) {}

  /** When this sync began (the first reset), or null before any. */
  get startedAt(): number | null {
    return this.began;
  }

  /** The phase moving now, or null (idle, or a run only checking the server). */
  get direction(): "upload" | "download" | null {
    return this.current;
  }

  /** A new sync: the counts start again. */
  reset(): void {
    this.began = this.now();
    this.upload = null;
    this.download = null;
    this.current = null;
    this.pullLeft = 0;
  }

  /** A push was given `commitId`. */
  committed(commitId: number): void {
    this.own.add(commitId);
  }

  /** A pull of (cursor, target] begins. */
  pulling(cursor: number, target: number): void {
    // What lies at or below the cursor has been received: its echo is behind us.
    this.own.dropUpTo(cursor);
    this.pullLeft = this.own.foreignIn(cursor, target);
    // Nothing but our own echoes: not a download.
    if (this.pullLeft === 0) return;
    this.download ??= new Phase(this.now());
    this.current = "download";
  }

  /** The commit ids (from, to] arrived. */
  covered(from: number, to: number): void {
    const n = this.own.foreignIn(from, to);
    if (n === 0 || this.download === null) return;
    this.pullLeft = Math.max(0, this.pullLeft - n);
    this.download.add(n, this.now());
  }

  /** A push begins. */
  pushing(): void {
    this.upload ??= new Phase(this.now());
    this.current = "upload";
  }

  /** `n` changes were answered for good (taken or rejected). */
  answered(n: number): void {
    if (n > 0) this.upload?.add(n, this.now());
  }

  /** The phase under way ended (the run ends, or moves on to checking). */
  idle(): void {
    this.current = null;
  }

  /** The figures now; `pendingUploads` is what the outbox holds now. Null when no phase is moving. */
  snapshot(pendingUploads: number): SyncProgress | null {
    if (this.current === null) return null;
    const now = this.now();
    return {
      direction: this.current,
      upload: this.upload?.figures(pendingUploads, now, this.current === "upload") ?? null,
      download: this.download?.figures(this.pullLeft, now, this.current === "download") ?? null,
    };
  }
}
