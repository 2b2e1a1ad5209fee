// The daemon-wide cap on what incomplete frames hold (SECURITY.md "Frames"). Each frame is held
// whole until its newline, up to MAX_FRAME_BYTES (16 MiB); twenty connections sending the largest
// legal frame at once made the daemon hold all twenty (+567 MB at the peak). An incomplete frame
// may grow past `largeBytes` only on a connection that holds one of `slots` places; a connection
// that needs one while all are taken stops reading (its bytes wait in the kernel and its client's
// writes block) until a place frees, first come first served. Ordinary frames stay under
// `largeBytes` and never wait. A holder never waits for the gate, so the frames holding places
// always progress as fast as their clients send them, and every waiter is reached in turn.

export class LargeFrameGate {
  private readonly holders = new Set<object>();
  /** In arrival order; each woken once it holds a place. */
  private readonly waiting = new Map<object, () => void>();

  constructor(
    /** How many connections may hold an incomplete frame past `largeBytes` at once. */
    readonly slots: number,
    /** The most an incomplete frame holds without a place (ordinary requests are far smaller). */
    readonly largeBytes: number,
  ) {
    if (!(slots >= 1)) throw new RangeError("a LargeFrameGate needs at least one slot");
  }

  /**
   * True when `who` holds a place (already, or now). Otherwise `who` is queued and `wake` runs once
   * a place is its own; asking again while queued keeps its turn.
   */
  enter(who: object, wake: () => void): boolean {
    if (this.holders.has(who)) return true;
    if (this.waiting.size === 0 && this.holders.size < this.slots) {
      this.holders.add(who);
      return true;
    }
    if (!this.waiting.has(who)) this.waiting.set(who, wake);
    return false;
  }

  /** `who` holds no large frame any more (it ended, was refused, or its connection closed): its place, or its turn, goes. */
  leave(who: object): void {
    this.waiting.delete(who);
    if (!this.holders.delete(who)) return;
    for (const [next, wake] of this.waiting) {
      if (this.holders.size >= this.slots) break;
      this.waiting.delete(next);
      this.holders.add(next);
      wake();
    }
  }

  /** Connections holding a place, and waiting for one (for tests and the debug view). */
  get counts(): { holding: number; waiting: number } {
    return { holding: this.holders.size, waiting: this.waiting.size };
  }
}
