// One request being handled: the context its handler receives. The AbortController
// is made only when a handler asks for `signal` (most never do on the fast path, and
// creating one per request costs more than the rest of the dispatch).

import type { ConnectionId } from "../../shared/ids.js";
import type { RequestContext, RpcPeer } from "./types.js";

export class InflightRequest implements RequestContext {
  private ac: AbortController | undefined;
  private abortReason: unknown;
  private isAborted = false;
  private hooks: (() => void)[] | undefined;

  constructor(readonly connectionId: ConnectionId, readonly peer: RpcPeer) {}

  get signal(): AbortSignal {
    if (!this.ac) {
      this.ac = new AbortController();
      if (this.isAborted) this.ac.abort(this.abortReason);
    }
    return this.ac.signal;
  }

  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.ac?.abort(reason);
  }

  afterReply(fn: () => void): void {
    (this.hooks ??= []).push(fn);
  }

  /** The hooks registered with afterReply, to run once the reply is written. */
  takeHooks(): (() => void)[] {
    const h = this.hooks ?? [];
    this.hooks = undefined;
    return h;
  }
}
