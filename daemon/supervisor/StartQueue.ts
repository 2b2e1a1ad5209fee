// How many workers start at once. Starting one is CPU work (a V8 isolate loading the worker's
// modules, opening its store), so past the cores more at once only makes each slower, and the
// main thread with them. A worker holds its turn from its spawn until it says ready or exits; the
// others wait in order, and one an app is waiting for goes first.

export interface StartTicket {
  /** Moves a waiting start to the front of the queue (an app is waiting for it); nothing once started. */
  hurry(): void;
  /** Gives the turn back (ready, exited, failed), or leaves the queue before the turn came. Idempotent. */
  release(): void;
}

interface Entry {
  start: () => void;
  state: "waiting" | "started" | "done";
}

export class StartQueue {
  private running = 0;
  private readonly waiting: Entry[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a start limit must be a whole number ≥ 1 (got ${limit})`);
  }

  /** Starts now if a turn is free, else when one is. `start` runs once, never inside enter() when it must wait. */
  enter(start: () => void): StartTicket {
    const e: Entry = { start, state: "waiting" };
    this.waiting.push(e);
    const ticket: StartTicket = {
      hurry: () => {
        const i = this.waiting.indexOf(e);
        if (i > 0) this.waiting.unshift(...this.waiting.splice(i, 1));
      },
      release: () => {
        if (e.state === "done") return;
        const wasStarted = e.state === "started";
        e.state = "done";
        if (wasStarted) this.running--;
        else this.waiting.splice(this.waiting.indexOf(e), 1);
        this.pump();
      },
    };
    this.pump();
    return ticket;
  }

  /** Workers starting now, and waiting for a turn. */
  get counts(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private pump(): void {
    while (this.running < this.limit) {
      const e = this.waiting.shift();
      if (e === undefined) return;
      e.state = "started";
      this.running++;
      e.start();
    }
  }
}
