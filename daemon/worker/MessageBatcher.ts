// The messages one side of a worker's port posts during an event-loop turn, posted together at
// its end (setImmediate: right after the poll phase that produced them) as one `batch` message,
// in order; a lone message goes as it is. Each postMessage costs a structured clone, a wake-up of
// the other thread and a message event there: with 8 clients × 16 gets in flight they were most
// of a forwarded get's cost on both threads. `flush()` posts at once (before an exit, before work
// that may take long, so that what is done does not wait for it).

/** A batch posts at once when it holds this many messages. */
export const MAX_BATCH_MESSAGES = 256;

export interface MessageBatcherOptions<M> {
  /** A message, a packed one, or a BatchMessage of them. */
  post(msg: unknown): void;
  /** What a batch of several carries in their place, in order (packReplies); default: them. */
  pack?(msgs: M[]): unknown[];
  /** A message that could not be posted even alone (it cannot be cloned, the port is closed). */
  failed(msg: M, err: unknown): void;
  /** Runs `fn` at the end of this turn; default setImmediate. */
  schedule?(fn: () => void): void;
}

export class MessageBatcher<M> {
  private queued: M[] = [];
  private scheduled = false;
  private readonly schedule: (fn: () => void) => void;
  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly o: MessageBatcherOptions<M>) {
    this.schedule = o.schedule ?? ((fn) => void setImmediate(fn));
  }

  /** Messages waiting for the end of the turn. */
  get size(): number {
    return this.queued.length;
  }

  push(msg: M): void {
    this.queued.push(msg);
    if (this.queued.length >= MAX_BATCH_MESSAGES) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.endOfTurn);
    }
  }

  /** Posts what is queued now. Never throws: a message that cannot go is reported to `failed`. */
  flush(): void {
    const q = this.queued;
    if (q.length === 0) return;
    this.queued = [];
    if (q.length === 1) {
      this.postOne(q[0] as M);
      return;
    }
    try {
      const body = this.o.pack ? this.o.pack(q) : q;
      this.o.post(body.length === 1 ? body[0] : { type: "batch", messages: body });
    } catch {
      // One of them cannot be cloned (or the port closed): each alone, so only that one fails.
      for (const m of q) this.postOne(m);
    }
  }

  private postOne(m: M): void {
    try {
      this.o.post(m);
    } catch (err) {
      this.o.failed(m, err);
    }
  }
}
